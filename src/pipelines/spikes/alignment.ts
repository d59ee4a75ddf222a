/**
 * Unit alignment for cross-dataset scoring. Datasets share no units, so by default ('none')
 * the target's units fill the model's unit slots in index order. 'rate-rank' puts the
 * target unit with the k-th highest rate into the slot of the source unit with the k-th
 * highest rate. 'anneal' (as the authors' released code does) searches permutations by
 * simulated annealing, minimising the soft Dice loss between the model's one-step-ahead
 * predictions and the true next bins. Every rule looks at the target's validation split
 * only, so test data is never used to choose the mapping.
 */
import { Rng } from '../../core/random.js';
import { Tensor, noGrad, tidy } from '../../engine/index.js';
import type { SpikeTransformer } from '../../models/spike-transformer.js';
import { softDiceLoss } from '../../models/losses.js';
import { unitRates, windowsToFloat, type BinaryRaster } from './raster.js';

/** The alignment rules: `neurobridge spikes study --alignment` offers exactly these. */
export const UNIT_ALIGNMENTS = ['none', 'rate-rank', 'anneal'] as const;
export type UnitAlignment = (typeof UNIT_ALIGNMENTS)[number];

export interface AnnealOptions {
  /** Proposed swaps of two slots (default 1000). */
  iterations?: number;
  /** Validation windows (context + 1 bins each) the loss is measured on. */
  windows?: number;
  /** Starting temperature in units of Dice loss (default 0.1); it falls linearly to 0. */
  temperature?: number;
  seed?: number;
  /** Starting permutation (default: rate-rank against `sourceRates`, else identity). */
  start?: number[];
}

export interface AnnealResult {
  perm: number[];
  initialLoss: number;
  finalLoss: number;
  accepted: number;
}

/**
 * Simulated annealing over permutations perm[slot] = target unit. Each proposal swaps two
 * slots and re-runs the model on fixed validation windows (the model is a function of the
 * permuted input, so nothing cheaper is exact); Metropolis acceptance; the best permutation
 * seen is returned.
 */
export function annealPermutation(
  model: SpikeTransformer,
  targetVal: BinaryRaster,
  o: AnnealOptions = {},
): AnnealResult {
  const U = targetVal.units;
  const C = Math.min(model.config.context, targetVal.bins - 1);
  const rng = new Rng(o.seed ?? 0);
  const count = Math.max(1, Math.min(o.windows ?? 8, targetVal.bins - C));
  const starts = rng
    .permutation(targetVal.bins - C)
    .slice(0, count)
    .sort((a, b) => a - b);
  const windows = windowsToFloat(targetVal, starts, C + 1);
  model.eval();
  const lossOf = (perm: number[]) =>
    noGrad(() =>
      tidy(() => {
        const x = Tensor.from(windows, [count, C + 1, U]).indexSelect(
          2,
          Tensor.from(perm, [U], 'int64'),
        );
        const input = x.narrow(1, 0, C);
        const target = model.config.leaky ? input : x.narrow(1, 1, C);
        return softDiceLoss(model.forward(input).logits, target).item();
      }),
    );
  let perm = o.start ? [...o.start] : Array.from({ length: U }, (_, i) => i);
  let loss = lossOf(perm);
  const initialLoss = loss;
  let best = { perm: [...perm], loss };
  const iterations = o.iterations ?? 1000;
  const t0 = o.temperature ?? 0.1;
  let accepted = 0;
  for (let k = 0; k < iterations; k++) {
    const a = rng.int(U);
    let b = rng.int(U - 1);
    if (b >= a) b++;
    const next = [...perm];
    [next[a], next[b]] = [next[b], next[a]];
    const nextLoss = lossOf(next);
    const temperature = t0 * (1 - k / iterations);
    const delta = nextLoss - loss;
    if (delta <= 0 || (temperature > 0 && rng.uniform() < Math.exp(-delta / temperature))) {
      perm = next;
      loss = nextLoss;
      accepted++;
      if (loss < best.loss) best = { perm: [...perm], loss };
    }
  }
  return { perm: best.perm, initialLoss, finalLoss: best.loss, accepted };
}

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

/** The permutation for `alignment` (identity for 'none'); 'anneal' starts from rate-rank. */
export function alignmentPermutation(
  alignment: UnitAlignment,
  sourceTrain: BinaryRaster,
  targetVal: BinaryRaster,
  model?: SpikeTransformer,
  seed = 0,
): number[] {
  if (alignment === 'none') return Array.from({ length: targetVal.units }, (_, i) => i);
  const ranked = rateRankPermutation(unitRates(sourceTrain), unitRates(targetVal));
  if (alignment === 'rate-rank') return ranked;
  if (!model) throw new Error("unit alignment 'anneal' needs the model");
  return annealPermutation(model, targetVal, { start: ranked, seed }).perm;
}
