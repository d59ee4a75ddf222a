/**
 * HTML report of the ephys system: cohort and QC summary, the macro-F1 / per-class F1 table,
 * confusion matrices, the sparse-PCA feature space coloured by class, attention per family
 * and class, and (for transfer) the strategies side by side with paired tests.
 */
import type { CvResult } from '../pipelines/ephys/evaluation.js';
import type { QcReport } from '../pipelines/ephys/qc.js';
import type { SpeciesTransferResult } from '../pipelines/ephys/transfer-study.js';
import {
  confusionFigure,
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

export function renderSpeciesTransfer(r: SpeciesTransferResult): string {
  const names = Object.keys(r.strategies) as (keyof SpeciesTransferResult['strategies'])[];
  const sections: Section[] = [
    {
      title: 'Mouse → human transfer',
      blocks: [
        {
          kind: 'table',
          headers: ['strategy', 'human macro-F1', 'accuracy', 'p vs human-only (paired t)'],
          rows: names.map((s) => [
            s,
            pm(r.strategies[s].macroF1),
            pm(r.strategies[s].accuracy),
            r.versusHumanOnly[s] ? r.versusHumanOnly[s]!.p.toExponential(2) : '–',
          ]),
          caption: `${r.humanCells} human cells (cross-validated), ${r.mouseCells} mouse cells (80/20 for pretraining). Classes: ${r.classes.join(', ')}.`,
        },
        {
          kind: 'figure',
          height: 360,
          figure: {
            data: [
              {
                type: 'bar',
                x: names,
                y: names.map((s) => r.strategies[s].macroF1.mean),
                error_y: { type: 'data', array: names.map((s) => r.strategies[s].macroF1.sd) },
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
          figure: confusionFigure(r.classes, r.strategies[s].confusion),
          caption: `${s}: confusion on held-out human cells, summed over folds.`,
        })),
      ],
    },
  ];
  return renderPage({ title: 'neurobridge · mouse → human ephys transfer', sections });
}
