/**
 * Unit alignment for cross-dataset scoring: which of the target's units sits in each of the
 * model's unit slots. Datasets share no units and need not have as many, so an alignment is a
 * slot list: slots[s] = the target unit fed to (and scored at) model slot s, or −1 for a slot
 * left silent (the target has fewer units); target units in no slot are not scored (it has
 * more). 'none' fills slots in index order. 'rate-rank' matches rate quantiles: the target unit
 * at rate rank k goes to the source slot at the same quantile of the source's rates (with equal
 * counts: the k-th fastest unit into the k-th fastest slot). 'anneal' (as the authors' released
 * code does) starts from rate-rank and swaps slots by simulated annealing, minimising the soft
 * Dice loss between the model's one-step-ahead predictions and the true next bins. Every rule
 * looks at the target's validation split only, so test data is never used to choose the slots.
 */
import { Rng } from '../../../core/random.js';
import { Tensor, noGrad, tidy } from '../../../engine/index.js';
import type { SpikeTransformer } from '../../../models/spike-transformer.js';
import { softDiceLoss } from '../../../models/losses.js';
import { unitRates, windowsToFloat, type BinaryRaster } from '../data/raster.js';

/** The alignment rules: `neurobridge spikes study --alignment` offers exactly these. */
export const UNIT_ALIGNMENTS = ['none', 'rate-rank', 'anneal'] as const;
export type UnitAlignment = (typeof UNIT_ALIGNMENTS)[number];

/** slots[s] = target unit in model slot s, −1 = a silent slot. */
export type Slots = number[];

export interface AnnealOptions {
  /** Proposed swaps of two slots (default 1000). */
  iterations?: number;
  /** Validation windows (context + 1 bins each) the loss is measured on. */
  windows?: number;
  /** Starting temperature in units of Dice loss (default 0.1); it falls linearly to 0. */
  temperature?: number;
  seed?: number;
  /** Starting slots (default: the identity, which needs as many target units as slots). */
  start?: Slots;
}

export interface AnnealResult {
  slots: Slots;
  initialLoss: number;
  finalLoss: number;
  accepted: number;
}

/**
 * Simulated annealing over slot assignments. Each proposal swaps two slots (a silent slot can
 * swap with a filled one) and re-runs the model on fixed validation windows (the model is a
 * function of its whole input, so nothing cheaper is exact); Metropolis acceptance; the best
 * assignment seen is returned. Silent slots receive zeros and are not part of the loss.
 */
export function annealSlots(
  model: SpikeTransformer,
  targetVal: BinaryRaster,
  o: AnnealOptions = {},
): AnnealResult {
  const N = model.config.units;
  const M = targetVal.units;
  const C = Math.min(model.config.context, targetVal.bins - 1);
  const rng = new Rng(o.seed ?? 0);
  const count = Math.max(1, Math.min(o.windows ?? 8, targetVal.bins - C));
  const starts = rng
    .permutation(targetVal.bins - C)
    .slice(0, count)
    .sort((a, b) => a - b);
  // The target's columns plus one column of zeros (index M) that silent slots read.
  const padded = toSlots(targetVal, [...Array.from({ length: M }, (_, u) => u), -1]);
  const windows = windowsToFloat(padded, starts, C + 1);
  model.eval();
  const lossOf = (slots: Slots) =>
    noGrad(() =>
      tidy(() => {
        const columns = slots.map((u) => (u < 0 ? M : u));
        const x = Tensor.from(windows, [count, C + 1, M + 1]).indexSelect(
          2,
          Tensor.from(columns, [N], 'int64'),
        );
        const input = x.narrow(1, 0, C);
        const target = model.config.leaky ? input : x.narrow(1, 1, C);
        return softDiceLoss(model.forward(input).logits, target).item();
      }),
    );
  if (!o.start && M !== N)
    throw new Error(`annealSlots: ${M} target units for ${N} slots need a starting assignment`);
  let slots = o.start ? [...o.start] : Array.from({ length: N }, (_, i) => i);
  let loss = lossOf(slots);
  const initialLoss = loss;
  let best = { slots: [...slots], loss };
  const iterations = o.iterations ?? 1000;
  const t0 = o.temperature ?? 0.1;
  let accepted = 0;
  for (let k = 0; k < iterations; k++) {
    const a = rng.int(N);
    let b = rng.int(N - 1);
    if (b >= a) b++;
    if (slots[a] < 0 && slots[b] < 0) continue; // swapping two silent slots changes nothing
    const next = [...slots];
    [next[a], next[b]] = [next[b], next[a]];
    const nextLoss = lossOf(next);
    const temperature = t0 * (1 - k / iterations);
    const delta = nextLoss - loss;
    if (delta <= 0 || (temperature > 0 && rng.uniform() < Math.exp(-delta / temperature))) {
      slots = next;
      loss = nextLoss;
      accepted++;
      if (loss < best.loss) best = { slots: [...slots], loss };
    }
  }
  return { slots: best.slots, initialLoss, finalLoss: best.loss, accepted };
}

/** Unit indices by rate, fastest first (ties by index). */
function byRate(rates: ArrayLike<number>): number[] {
  return Array.from({ length: rates.length }, (_, i) => i).sort(
    (a, b) => rates[b] - rates[a] || a - b,
  );
}

/**
 * Rate-quantile matching. With as many target units as slots, the k-th fastest target unit
 * goes into the k-th fastest source slot. With fewer, each target unit takes the slot at its
 * own rate quantile among the source's slots (the others stay silent); with more, the slots
 * take target units at evenly spaced rate ranks, so the scored units span the target's rates.
 */
export function rateRankSlots(
  sourceRates: ArrayLike<number>,
  targetRates: ArrayLike<number>,
): Slots {
  const N = sourceRates.length;
  const M = targetRates.length;
  const slotOrder = byRate(sourceRates);
  const unitOrder = byRate(targetRates);
  const slots: Slots = new Array<number>(N).fill(-1);
  const at = (k: number, from: number, to: number) =>
    from <= 1 ? 0 : Math.round((k * (to - 1)) / (from - 1));
  if (M >= N) slotOrder.forEach((slot, k) => (slots[slot] = unitOrder[at(k, N, M)]));
  else unitOrder.forEach((unit, k) => (slots[slotOrder[at(k, M, N)]] = unit));
  return slots;
}

/** Index-order slots: slot s holds target unit s where the target has one. */
export function identitySlots(slotCount: number, targetUnits: number): Slots {
  return Array.from({ length: slotCount }, (_, s) => (s < targetUnits ? s : -1));
}

/** A raster whose column s is r's column slots[s] (zeros where slots[s] is −1). */
export function toSlots(r: BinaryRaster, slots: Slots): BinaryRaster {
  const N = slots.length;
  const data = new Uint8Array(r.bins * N);
  for (let t = 0; t < r.bins; t++) {
    const row = t * r.units;
    const out = t * N;
    for (let s = 0; s < N; s++) if (slots[s] >= 0) data[out + s] = r.data[row + slots[s]];
  }
  return { bins: r.bins, units: N, data };
}

/** The slots for `alignment`; 'anneal' starts from rate-rank. */
export function alignSlots(
  alignment: UnitAlignment,
  sourceTrain: BinaryRaster,
  targetVal: BinaryRaster,
  model?: SpikeTransformer,
  seed = 0,
): Slots {
  if (alignment === 'none') return identitySlots(sourceTrain.units, targetVal.units);
  const ranked = rateRankSlots(unitRates(sourceTrain), unitRates(targetVal));
  if (alignment === 'rate-rank') return ranked;
  if (!model) throw new Error("unit alignment 'anneal' needs the model");
  return annealSlots(model, targetVal, { start: ranked, seed }).slots;
}
