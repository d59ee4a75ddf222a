/**
 * Unit alignment for cross-dataset scoring. Datasets share no units, so by default ('none')
 * the target's units fill the model's unit slots in index order. 'rate-rank' puts the
 * target unit with the k-th highest rate into the slot of the source unit with the k-th
 * highest rate; target rates come from its validation split only, so test data is never
 * used to choose the mapping.
 */
import { unitRates, type BinaryRaster } from './raster.js';

export type UnitAlignment = 'none' | 'rate-rank';

/** perm[slot] = the target unit placed in model slot `slot`. */
export function rateRankPermutation(
  sourceRates: ArrayLike<number>,
  targetRates: ArrayLike<number>,
): number[] {
  const order = (rates: ArrayLike<number>) =>
    Array.from({ length: rates.length }, (_, i) => i).sort((a, b) => rates[b] - rates[a] || a - b);
  const slots = order(sourceRates);
  const units = order(targetRates);
  const perm = new Array<number>(slots.length);
  slots.forEach((slot, k) => (perm[slot] = units[k]));
  return perm;
}

/** A copy of `r` whose column `slot` is r's column perm[slot]. */
export function permuteUnits(r: BinaryRaster, perm: number[]): BinaryRaster {
  const data = new Uint8Array(r.data.length);
  for (let t = 0; t < r.bins; t++) {
    const row = t * r.units;
    for (let slot = 0; slot < r.units; slot++) data[row + slot] = r.data[row + perm[slot]];
  }
  return { bins: r.bins, units: r.units, data };
}

/** The permutation for `alignment` (identity for 'none'). */
export function alignmentPermutation(
  alignment: UnitAlignment,
  sourceTrain: BinaryRaster,
  targetVal: BinaryRaster,
): number[] {
  if (alignment === 'none') return Array.from({ length: targetVal.units }, (_, i) => i);
  return rateRankPermutation(unitRates(sourceTrain), unitRates(targetVal));
}
