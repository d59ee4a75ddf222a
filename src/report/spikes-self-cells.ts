/**
 * The study report's table of self cells for models stacked with their GLMs: what the default
 * output is on each session (the stack or one predictor alone, chosen on held-out validation,
 * stack.ts), next to the transformer alone, each GLM and the rate baseline on the same test
 * split. Without it a reader of the matrix cannot tell that a session's "model" score is, say,
 * the coupled GLM's.
 */
import {
  formatHeldOutAp,
  OUTPUT_LABELS,
  STACK_STREAMS,
} from '../pipelines/spikes/baselines/stack.js';
import type { SpikeScores } from '../pipelines/spikes/model/evaluate.js';
import type { StudyCell } from '../pipelines/spikes/study/study-cells.js';
import type { Section } from './page.js';

const scores = (s: SpikeScores | undefined) =>
  s
    ? `${s.pooled.rocAuc.toFixed(3)} / ${s.pooled.averagePrecision.toFixed(4)} / ${s.bitsPerSpike.toFixed(3)}`
    : '–';

/** The section for `selfCells` (diagonal cells of one model), or null when none is stacked. */
export function stackedSelfCellsSection(selfCells: StudyCell[], model: string): Section | null {
  const rows = selfCells.flatMap((c) => {
    const { stack, baselines } = c.scores;
    if (!stack) return [];
    const row = [
      c.source,
      scores(c.scores.transformer),
      OUTPUT_LABELS[stack.output],
      formatHeldOutAp(stack.heldOutAp),
      scores(c.scores.modelAlone),
      scores(baselines.glm),
      scores(baselines.coupledGlm),
      scores(baselines.populationGlm),
      scores(baselines.rate),
      stack.slopes.map((x) => x.toFixed(2)).join(', '),
    ];
    return [row];
  });
  if (rows.length === 0) return null;
  return {
    title: `What the default outputs on each session (${model})`,
    blocks: [
      {
        kind: 'table',
        headers: [
          'session',
          'default output: ROC-AUC / AP / bits per spike',
          'chosen',
          'held-out validation AP of each choice',
          'transformer alone',
          'multi-scale GLM',
          'coupled GLM',
          'population GLM',
          'rate',
          `stack slopes (${STACK_STREAMS.join(', ')})`,
        ],
        rows,
        caption:
          "Self cells, scored on each session's test split. The default outputs the stack of the transformer and the GLMs, or one of them alone where that one's average precision on the stack's validation bins is above the stack's own, scored on blocks held out from its fit (the stack kept on ties). Cross cells refit the stack's slopes on the target's validation split.",
      },
    ],
  };
}
