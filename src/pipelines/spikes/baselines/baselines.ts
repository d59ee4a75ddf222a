/**
 * The rate baseline, scored in the same run as the transformer: each unit's mean spike
 * probability on the train split, constant in time. (The history GLMs: multiscale-glm.ts.)
 */
import { unitRates, type BinaryRaster } from '../data/raster.js';

/** Probabilities for bins [firstBin, target.bins) of `target`, as predictOneStepAhead returns. */
export function rateBaseline(
  train: BinaryRaster,
  target: BinaryRaster,
  firstBin: number,
): Float32Array {
  return constantRates(unitRates(train), target.bins - firstBin);
}

/** Each unit's rate, constant over `bins` bins (floored at 1e-6 so its log stays finite). */
export function constantRates(rates: ArrayLike<number>, bins: number): Float32Array {
  const out = new Float32Array(bins * rates.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(1e-6, rates[i % rates.length]);
  return out;
}
