/**
 * HTML report of the ephys system: cohort and QC summary, the macro-F1 / per-class F1 table,
 * confusion matrices, the sparse-PCA feature space coloured by class, attention per family
 * and class, and (for transfer) the strategies side by side with paired tests, the shared
 * features and each feature's distribution per species.
 */
import type { CvResult } from '../pipelines/ephys/evaluation.js';
import type { QcReport } from '../pipelines/ephys/qc.js';
import type { SharedFeatures } from '../pipelines/ephys/shared-features.js';
import type { Box, SpeciesShift } from '../pipelines/ephys/species-shift.js';
import type { StudyStrategy } from '../pipelines/ephys/strategy-names.js';
import type { SpeciesTransferResult } from '../pipelines/ephys/transfer-study.js';
import {
  confusionFigure,
  type Figure,
  groupScatterFigure,
  renderPage,
  type Block,
  type Section,
} from './page.js';

export interface EphysEvaluation {
  cohort: {
    species: string;
    cells: number;
    classes: Record<string, number>;
    families: { name: string; features: number }[];
  };
  qc: QcReport;
  folds: number;
  repeats: number;
  models: Record<string, CvResult & { attentionByClass?: Record<string, number[]> }>;
  /** First two z-scored sparse-PCA features of every cell (pipeline fitted on all cells). */
  spcaScatter?: { x: number[]; y: number[]; labels: string[] };
}

const pm = (m: { mean: number; sd: number }) =>
  `${m.mean.toFixed(3)} ± ${Number.isFinite(m.sd) ? m.sd.toFixed(3) : '–'}`;

function scoreTable(models: Record<string, CvResult>): Block {
  const classes = Object.values(models)[0]?.classes ?? [];
  return {
    kind: 'table',
    headers: ['model', 'macro-F1', 'accuracy', ...classes.map((c) => `F1 ${c}`)],
    rows: Object.entries(models).map(([name, r]) => [
      name,
      pm(r.macroF1),
      pm(r.accuracy),
      ...classes.map((c) => pm(r.perClassF1[c])),
    ]),
    caption: 'Mean ± sd over cross-validation folds.',
  };
}

export function renderEphysEvaluation(e: EphysEvaluation): string {
  const sections: Section[] = [
    {
      title: 'Cohort',
      blocks: [
        {
          kind: 'table',
          headers: ['field', 'value'],
          rows: [
            ['species', e.cohort.species],
            ['cells after QC', e.cohort.cells],
            [
              'cells per class',
              Object.entries(e.cohort.classes)
                .map(([c, n]) => `${c} ${n}`)
                .join(', '),
            ],
            ['families', e.cohort.families.map((f) => `${f.name} (${f.features})`).join(', ')],
            ['QC: cells dropped (missing values)', e.qc.droppedCells],
            [
              'QC: features dropped (> 10 % missing)',
              e.qc.droppedFeatures.map((f) => f.feature).join(', ') || 'none',
            ],
            ['cross-validation', `${e.folds}-fold stratified × ${e.repeats}`],
          ],
        },
      ],
    },
    {
      title: 'Scores',
      blocks: [
        scoreTable(e.models),
        ...Object.entries(e.models).map(([name, r]): Block => ({
          kind: 'figure',
          height: 380,
          figure: confusionFigure(r.classes, r.confusion),
          caption: `${name}: confusion matrix summed over all folds.`,
        })),
      ],
    },
  ];
  if (e.spcaScatter) {
    const s = e.spcaScatter;
    sections.push({
      title: 'Sparse-PCA feature space',
      blocks: [
        {
          kind: 'figure',
          height: 460,
          figure: groupScatterFigure(s.x, s.y, s.labels, {
            xTitle: 'feature 1',
            yTitle: 'feature 2',
            markerSize: 5,
          }),
          caption:
            'The first two stacked, z-scored sparse-PCA components (those the forest sees), pipeline fitted on all cells.',
        },
      ],
    });
  }
  const attention = Object.entries(e.models).filter(([, r]) => r.attentionByClass);
  for (const [name, r] of attention) {
    sections.push({
      title: `Attention by family (${name})`,
      blocks: [
        {
          kind: 'figure',
          height: 400,
          figure: {
            data: Object.entries(r.attentionByClass!).map(([c, w]) => ({
              type: 'bar',
              name: c,
              x: e.cohort.families.map((f) => f.name),
              y: w,
            })),
            layout: {
              barmode: 'group',
              yaxis: { title: { text: 'mean attention weight' } },
              margin: { t: 20 },
            },
          },
          caption:
            'Mean attention weight of each family over held-out cells, by predicted class, averaged over folds.',
        },
      ],
    });
  }
  return renderPage({
    title: 'neurobridge · electrophysiology → subclass',
    subtitle: `${e.cohort.species}, ${e.cohort.cells} cells`,
    sections,
  });
}

/** What `ephys transfer` writes: the scores, the shared feature space and the species shift. */
export interface SpeciesTransferReport extends SpeciesTransferResult {
  sharedFeatures?: SharedFeatures;
  shift?: SpeciesShift;
}

const p3 = (t?: { p: number }) => (t ? t.p.toExponential(2) : '–');

/** Horizontal boxes (5–25–50–75–95 %) per feature, mouse beside human, in human-sd units. */
function shiftFigure(features: string[], g: SpeciesShift['groups'][number]): Figure {
  const trace = (name: string, boxes: Box[], color: string) => ({
    type: 'box',
    orientation: 'h',
    name,
    y: features,
    lowerfence: boxes.map((b) => b[0]),
    q1: boxes.map((b) => b[1]),
    median: boxes.map((b) => b[2]),
    q3: boxes.map((b) => b[3]),
    upperfence: boxes.map((b) => b[4]),
    marker: { color },
  });
  return {
    data: [trace('mouse', g.mouse, '#d95f02'), trace('human', g.human, '#1b9e77')],
    layout: {
      boxmode: 'group',
      xaxis: { title: { text: '(value − human mean) / human sd' }, zeroline: true },
      yaxis: { autorange: 'reversed', automargin: true, tickfont: { size: 10 } },
      legend: { orientation: 'h', y: 1.02 },
      margin: { t: 30 },
    },
  };
}

function shiftSection(shift: SpeciesShift): Section {
  const names = shift.features.map((f) => f.feature);
  const ranked = [...shift.features].sort(
    (a, b) => Math.abs(b.standardizedDifference) - Math.abs(a.standardizedDifference),
  );
  return {
    title: 'Species shift per feature',
    blocks: [
      {
        kind: 'text',
        text: 'Every value is standardised by the human cells: z = (x − human mean) / human sd, with the mean and sd of all human cells after QC, so human boxes centre near 0 with unit spread and a mouse box away from 0 is the shift between species. Boxes span the 25th–75th percentile with the median; whiskers reach the 5th and 95th percentiles. The two cohorts mix classes differently, so the per-class panels below separate a species shift from a change of composition.',
      },
      ...shift.groups.map((g): Block => ({
        kind: 'figure',
        height: Math.max(400, 26 * names.length),
        figure: shiftFigure(names, g),
        caption: `${g.name}: ${g.mouseCells} mouse and ${g.humanCells} human cells.`,
      })),
      {
        kind: 'table',
        headers: [
          'feature',
          'family',
          'mouse mean ± sd',
          'human mean ± sd',
          '(mouse − human) / human sd',
        ],
        rows: ranked.map((f) => [
          f.feature,
          f.family,
          pm(f.mouse),
          pm(f.human),
          f.standardizedDifference.toFixed(2),
        ]),
        caption: 'All cells, raw units, largest standardised difference first.',
      },
    ],
  };
}

function featureSection(r: SpeciesTransferReport): Section {
  const used = r.families.map((f) => `${f.name} (${f.features.length}): ${f.features.join(', ')}`);
  const s = r.sharedFeatures;
  const rows: (string | number)[][] = [
    [
      'features used',
      `${r.families.reduce((n, f) => n + f.features.length, 0)} in ${r.families.length} families`,
    ],
    ...used.map((u): [string, string] => ['', u]),
  ];
  if (s) {
    rows.push(
      ['only in the mouse cohort (not used)', s.onlyMouse.join(', ') || 'none'],
      ['only in the human cohort (not used)', s.onlyHuman.join(', ') || 'none'],
      [
        'shared but dropped by QC (> limit missing in either species; mouse / human fraction missing)',
        s.droppedForMissing
          .map((d) => `${d.feature} ${d.mouse.toFixed(2)} / ${d.human.toFixed(2)}`)
          .join(', ') || 'none',
      ],
    );
  }
  return { title: 'Features', blocks: [{ kind: 'table', headers: ['', ''], rows }] };
}

export function renderSpeciesTransfer(r: SpeciesTransferReport): string {
  const names = Object.keys(r.strategies) as StudyStrategy[];
  const score = (s: StudyStrategy) => r.strategies[s]!;
  const count = (c: string) =>
    `${r.cellsPerClass.mouse[c] ?? 0} / ${r.cellsPerClass.human[c] ?? 0}`;
  const sections: Section[] = [
    {
      title: 'Mouse → human transfer',
      blocks: [
        {
          kind: 'table',
          headers: ['strategy', 'human macro-F1', 'accuracy', ...r.classes.map((c) => `F1 ${c}`)],
          rows: names.map((s) => [
            s,
            pm(score(s).macroF1),
            pm(score(s).accuracy),
            ...r.classes.map((c) => pm(score(s).perClassF1[c])),
          ]),
          caption: `Mean ± sd over ${r.folds}-fold stratified cross-validation × ${r.repeats} repeats of ${r.humanCells} human cells; ${r.mouseCells} mouse cells (80/20 for BiLSTM pretraining, all for rf-mouse-to-human). Cells per class, mouse / human: ${r.classes.map((c) => `${c} ${count(c)}`).join(', ')}.`,
        },
        {
          kind: 'table',
          headers: [
            'strategy',
            'vs',
            'mean difference',
            'p (paired t)',
            'p (corrected resampled t)',
          ],
          rows: r.comparisons.map((c) => [
            c.strategy,
            c.baseline,
            c.difference.toFixed(3),
            p3(c.paired),
            p3(c.corrected),
          ]),
          caption:
            'Paired over the same human folds. The paired t-test treats folds as independent, which overstates significance because their training sets overlap; the Nadeau–Bengio corrected resampled t-test widens the variance by the test/train size ratio.',
        },
        {
          kind: 'figure',
          height: 360,
          figure: {
            data: [
              {
                type: 'bar',
                x: names,
                y: names.map((s) => score(s).macroF1.mean),
                error_y: { type: 'data', array: names.map((s) => score(s).macroF1.sd) },
              },
            ],
            layout: {
              yaxis: { title: { text: 'human macro-F1' }, range: [0, 1] },
              margin: { t: 20 },
            },
          },
        },
        ...names.map((s): Block => ({
          kind: 'figure',
          height: 360,
          figure: confusionFigure(r.classes, score(s).confusion),
          caption: `${s}: confusion on held-out human cells, summed over folds.`,
        })),
      ],
    },
    featureSection(r),
  ];
  if (r.shift) sections.push(shiftSection(r.shift));
  return renderPage({ title: 'neurobridge · mouse → human ephys transfer', sections });
}
