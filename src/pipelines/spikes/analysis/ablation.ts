/**
 * Ablations (Shimono 2026): how much of the model's skill depends on attention and on the
 * identity of units in the recent past. A seeded sample of test bins is scored four ways on
 * the same bins, each from its own window of the full context ending just before the bin:
 * intact; attention disabled (each position attends only to itself); inputs shuffled across
 * units within each time bin over the most recent 50 % and 95 % of the context.
 */
import { Rng } from '../../../core/random.js';
import { Tensor, noGrad, tidy } from '../../../engine/index.js';
import type { SpikeTransformer } from '../../../models/spike-transformer.js';
import { rankingMetrics, type RankingMetrics } from '../../../stats/index.js';
import { concatBins, sliceBins, type BinaryRaster } from '../data/raster.js';

export type AblationName =
  'intact' | 'attention disabled' | 'shuffled last 50 %' | 'shuffled last 95 %';

export interface AblationResult {
  sampledBins: number;
  scores: Record<AblationName, RankingMetrics>;
  /** Change from intact (ablated − intact). */
  change: Record<AblationName, { rocAuc: number; prAuc: number }>;
}

export function runAblations(
  model: SpikeTransformer,
  target: BinaryRaster,
  history: BinaryRaster,
  o: { bins?: number; seed?: number; batchSize?: number } = {},
): AblationResult {
  const C = model.config.context;
  const U = target.units;
  const full = concatBins(sliceBins(history, Math.max(0, history.bins - C), history.bins), target);
  const offset = full.bins - target.bins;
  const rng = new Rng(o.seed ?? 0);
  // Bins g (in `full`) with a whole context before them.
  const candidates = target.bins - Math.max(0, C - offset);
  const count = Math.min(o.bins ?? 2000, candidates);
  const picks = rng
    .permutation(candidates)
    .slice(0, count)
    .map((k) => k + Math.max(C, offset));
  const labels = new Uint8Array(count * U);
  picks.forEach((g, n) => labels.set(full.data.subarray(g * U, (g + 1) * U), n * U));

  const conditions: [AblationName, number, boolean][] = [
    ['intact', 0, false],
    ['attention disabled', 0, true],
    ['shuffled last 50 %', 0.5, false],
    ['shuffled last 95 %', 0.95, false],
  ];
  const scores = {} as Record<AblationName, RankingMetrics>;
  model.eval();
  for (const [name, fraction, noAttention] of conditions) {
    const shuffleRng = new Rng((o.seed ?? 0) + 1);
    const probabilities = new Float32Array(count * U);
    const batch = o.batchSize ?? 16;
    for (let start = 0; start < count; start += batch) {
      const group = picks.slice(start, start + batch);
      const x = new Float32Array(group.length * C * U);
      const kept = fraction > 0 ? C - Math.round(fraction * C) : C;
      const order = new Int32Array(U);
      group.forEach((g, b) => {
        // The unshuffled bins in one native copy; then each shuffled bin, its own permutation.
        x.set(full.data.subarray((g - C) * U, (g - C + kept) * U), b * C * U);
        for (let t = kept; t < C; t++) {
          const src = (g - C + t) * U;
          const dst = (b * C + t) * U;
          shuffleRng.permutationInto(order);
          for (let u = 0; u < U; u++) x[dst + u] = full.data[src + order[u]];
        }
      });
      const p = tidy(() =>
        noGrad(
          () =>
            model
              .lastLogits(Tensor.from(x, [group.length, C, U]), { disableAttention: noAttention })
              .sigmoid()
              .toArray() as Float32Array,
        ),
      );
      probabilities.set(p, start * U);
    }
    scores[name] = rankingMetrics(probabilities, labels);
  }
  const change = Object.fromEntries(
    conditions.map(([name]) => [
      name,
      {
        rocAuc: scores[name].rocAuc - scores.intact.rocAuc,
        prAuc: scores[name].prAuc - scores.intact.prAuc,
      },
    ]),
  ) as AblationResult['change'];
  return { sampledBins: count, scores, change };
}
