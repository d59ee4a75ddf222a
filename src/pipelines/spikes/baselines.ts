/**
 * The rate baseline, scored in the same run as the transformer: each unit's mean spike
 * probability on the train split, constant in time. (The history GLMs: multiscale-glm.ts.)
 */
import { unitRates, type BinaryRaster } from './raster.js';

/** Probabilities for bins [firstBin, target.bins) of `target`, as predictOneStepAhead returns. */
export function rateBaseline(
  train: BinaryRaster,
  target: BinaryRaster,
  firstBin: number,
): Float32Array {
  const rates = unitRates(train);
  const out = new Float32Array((target.bins - firstBin) * target.units);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(1e-6, rates[i % target.units]);
  return out;
}
