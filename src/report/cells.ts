/**
 * HTML report of the cells system: a 2-D UMAP of the cell embeddings coloured by species and
 * by cell type, the classification table and confusion matrix, and perturbation rankings.
 * UMAP is umap-js (seeded through the project's RNG).
 */
import { UMAP } from 'umap-js';
import { Rng } from '../core/random.js';
import {
  formatMeanSd,
  meanAndSd,
  type SeedSummaryRow,
} from '../pipelines/cells/tasks/seed-summary.js';
import {
  confusionFigure,
  groupScatterFigure,
  renderPage,
  type Block,
  type Section,
} from './page.js';

export interface CellsReport {
  embeddings: { values: Float32Array; hidden: number; species: string[]; cellType: string[] };
  classification?: {
    rows: { model: string; accuracy: number; macroF1: number }[];
    confusion: { labels: (string | number)[]; counts: number[][] };
    /** Several fine-tuning seeds: mean ± sd per model, and every seed's scores. */
    summary?: SeedSummaryRow[];
    perSeed?: {
      seed: number;
      rows: {
        model: string;
        accuracy: number;
        macroF1: number;
        validation?: { macroF1: number };
        /** `cells classify --ensemble-runs`: each member alone on the same test cells. */
        ensemble?: { run: string; macroF1: number; validation?: { macroF1: number } }[];
      }[];
    }[];
  };
  perturbation?: {
    mode: string;
    goals: string[];
    rows: { gene: string; cells: number; shift: number; towardGoals: Record<string, number> }[];
    /** Marker-deletion permutation test of the genes deleted together. */
    test?: {
      statistic: string;
      genes: string[];
      cells: number;
      observed: number;
      null: { mean: number; sd: number; permutations: number };
      p: number;
      poolSize: number;
    };
  };
  seed: number;
}

export function umap2d(values: Float32Array, hidden: number, seed: number): number[][] {
  const n = values.length / hidden;
  const rows = Array.from({ length: n }, (_, i) =>
    Array.from(values.subarray(i * hidden, (i + 1) * hidden)),
  );
  const rng = new Rng(seed);
  return new UMAP({
    nComponents: 2,
    nNeighbors: Math.min(15, n - 1),
    random: () => rng.uniform(),
  }).fit(rows);
}

function scatter(xy: number[][], groups: string[], title: string): Block {
  return {
    kind: 'figure',
    height: 460,
    figure: groupScatterFigure(
      xy.map((p) => p[0]),
      xy.map((p) => p[1]),
      groups,
      { title, xTitle: 'UMAP 1', yTitle: 'UMAP 2', markerSize: 4 },
    ),
  };
}

export function renderCellsReport(r: CellsReport): string {
  const xy = umap2d(r.embeddings.values, r.embeddings.hidden, r.seed);
  const sections: Section[] = [
    {
      title: 'Embedding map',
      blocks: [
        scatter(xy, r.embeddings.species, 'by species'),
        scatter(xy, r.embeddings.cellType, 'by cell type'),
      ],
    },
  ];
  if (r.classification) sections.push(classificationSection(r.classification));
  if (r.perturbation) sections.push(perturbationSection(r.perturbation));
  return renderPage({ title: 'neurobridge · unified human + mouse cell encoder', sections });
}

function classificationSection(c: NonNullable<CellsReport['classification']>): Section {
  const seeds = c.perSeed?.length ?? 1;
  const scores: Block =
    c.summary && seeds > 1
      ? {
          kind: 'table',
          headers: ['model', 'seeds (fits)', 'accuracy, mean ± sd', 'macro-F1, mean ± sd'],
          rows: c.summary.map((x) => [
            x.model,
            `${x.seeds} (${x.fits})`,
            formatMeanSd(x.accuracy),
            formatMeanSd(x.macroF1),
          ]),
        }
      : {
          kind: 'table',
          headers: ['model', 'accuracy', 'macro-F1'],
          rows: c.rows.map((x) => [x.model, x.accuracy.toFixed(3), x.macroF1.toFixed(3)]),
        };
  const perSeed: Block[] =
    c.perSeed && seeds > 1
      ? [
          {
            kind: 'table',
            headers: ['seed', 'model', 'accuracy', 'macro-F1', 'validation macro-F1'],
            rows: c.perSeed.flatMap((s) =>
              s.rows.map((x) => [
                s.seed,
                x.model,
                x.accuracy.toFixed(3),
                x.macroF1.toFixed(3),
                x.validation ? x.validation.macroF1.toFixed(3) : '–',
              ]),
            ),
          },
        ]
      : [];
  const first = c.perSeed ? ` at seed ${c.perSeed[0].seed}` : '';
  return {
    title: 'Cell-type classification',
    blocks: [
      scores,
      ...perSeed,
      ...ensembleMembers(c.perSeed ?? []),
      {
        kind: 'figure',
        height: 420,
        figure: confusionFigure(c.confusion.labels, c.confusion.counts),
        caption: `Confusion of the first model (${c.rows[0]?.model}) on the test cells${first}.`,
      },
    ],
  };
}

/**
 * With `--ensemble-runs`: the ensemble's macro-F1 next to each member's alone, per seed and as
 * mean ± sd, so a reader sees what averaging the members bought over each of them.
 */
function ensembleMembers(
  perSeed: NonNullable<NonNullable<CellsReport['classification']>['perSeed']>,
): Block[] {
  const rows = perSeed.flatMap((s) =>
    s.rows.flatMap((x) => (x.ensemble ? [{ seed: s.seed, row: x, members: x.ensemble }] : [])),
  );
  if (rows.length === 0) return [];
  const runs = rows[0].members.map((m) => m.run);
  const cell = (m: { macroF1: number; validation?: { macroF1: number } }) =>
    `${m.macroF1.toFixed(3)}${m.validation ? ` (${m.validation.macroF1.toFixed(3)})` : ''}`;
  const summary =
    rows.length > 1
      ? [
          [
            'mean ± sd',
            formatMeanSd(meanAndSd(rows.map((r) => r.row.macroF1))),
            ...runs.map((_, i) => formatMeanSd(meanAndSd(rows.map((r) => r.members[i].macroF1)))),
          ],
        ]
      : [];
  return [
    {
      kind: 'table',
      headers: ['seed', 'ensemble macro-F1', ...runs.map((run) => `${run} alone`)],
      rows: [
        ...rows.map((r) => [r.seed, r.row.macroF1.toFixed(3), ...r.members.map(cell)]),
        ...summary,
      ],
      caption: `The ${rows[0].row.model} row classifies with the mean of ${runs.length} fine-tuned encoders' class probabilities; each member's own macro-F1 on the same test cells (its validation macro-F1 on the training corpus in brackets).`,
    },
  ];
}

function perturbationSection(p: NonNullable<CellsReport['perturbation']>): Section {
  const t = p.test;
  const test: Block[] = t
    ? [
        {
          kind: 'table',
          headers: ['genes', 'tested cells', 'observed', 'null mean ± sd', 'permutations', 'p'],
          rows: [
            [
              t.genes.join(', '),
              t.cells,
              t.observed.toExponential(3),
              `${t.null.mean.toExponential(3)} ± ${t.null.sd.toExponential(3)}`,
              t.null.permutations,
              t.p.toFixed(4),
            ],
          ],
          caption: `Marker-deletion permutation test. Statistic: ${t.statistic}. Null: random sets of as many genes, each drawn from the ${t.poolSize} genes nearest to a marker in (expression-frequency rank, mean-position rank) among the tested cells; one-sided p = (1 + #null ≥ observed) / (1 + permutations).`,
        },
      ]
    : [];
  return {
    title: `In silico perturbation (${p.mode})`,
    blocks: [
      {
        kind: 'table',
        headers: [
          'gene',
          'cells',
          'embedding shift (1 − cos)',
          ...p.goals.map((g) => `Δ cos to ${g}`),
        ],
        rows: p.rows.map((x) => [
          x.gene,
          x.cells,
          x.shift.toExponential(3),
          ...p.goals.map((g) => x.towardGoals[g].toExponential(3)),
        ]),
      },
      ...test,
    ],
  };
}
