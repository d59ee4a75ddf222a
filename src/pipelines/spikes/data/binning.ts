/**
 * Spike trains → binary raster (bins × units, row-major, 1 = at least one spike), with the
 * unit selection rule, the window and the contiguous train/val/test split recorded.
 * At most one spike per unit per bin is kept; the extra spikes are counted as lost.
 */
import { InputError } from '../../../core/errors.js';
import { Rng } from '../../../core/random.js';
import type { SpikeTrains } from '../../../io/spikes/types.js';
import type { BinaryRaster } from './raster.js';

/** Narrowest bin accepted (ms): 10 µs, finer than one sample of any acquisition we read. */
export const MIN_BIN_MS = 0.01;

/**
 * Most cells (bins × units, one byte each) a raster may have: 2^31 − 1, about 2 GiB. The
 * cache writes a raster with one `write` and reads it back with `readFileSync`, and Node
 * refuses both past 2 GiB (ERR_FS_FILE_TOO_LARGE); a raster that big would not train on
 * this machine either.
 */
export const MAX_RASTER_CELLS = 2 ** 31 - 1;

export type UnitRule =
  | { rule: 'skip-take'; skip: number; take: number }
  | { rule: 'top-rate'; n: number }
  | { rule: 'random'; n: number; seed: number };

export interface Splits {
  train: number;
  val: number;
  test: number;
}

export interface BinOptions {
  startS: number;
  lengthS: number;
  binS: number;
  units: UnitRule;
  splits: Splits;
}

export interface BinnedMeta {
  /** Chosen unit ids, in column order. */
  unitIds: number[];
  startS: number;
  lengthS: number;
  binS: number;
  bins: number;
  units: number;
  unitRule: UnitRule;
  /** Spikes of the chosen units inside the window. */
  spikesInWindow: number;
  /** Spikes dropped because their unit already fired in that bin. */
  spikesLost: number;
  /** Bin ranges [start, end) of the contiguous splits. */
  splits: { train: [number, number]; val: [number, number]; test: [number, number] };
  /**
   * Set when the window ends past the last spike of a recording whose length the format
   * does not store: the end taken for the recording, and why.
   */
  note?: string;
}

export interface Binned {
  raster: BinaryRaster;
  meta: BinnedMeta;
}

/** First index with times[i] >= t. */
function lowerBound(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Positions (into `st.unitIds`) of the units the rule picks, in ascending id order.
 * skip-take orders units by id; top-rate by spike count inside the window (ties by id).
 */
export function selectUnits(
  st: SpikeTrains,
  rule: UnitRule,
  window: { startS: number; endS: number },
  file: string,
  field = 'units',
): number[] {
  const have = st.unitIds.length;
  const need = rule.rule === 'skip-take' ? rule.skip + rule.take : rule.n;
  if (have < need) {
    throw new InputError(
      file,
      field,
      `the ${rule.rule} rule needs ${need} units but the recording has only ${have}` +
        // Most recordings other than Neuropixels have fewer than the paper's 228: say the fix.
        `; give this dataset \`units: { rule: top-rate, n: ${Math.min(have, 128)} }\` (its most active units)`,
    );
  }
  if (rule.rule === 'skip-take') {
    return Array.from({ length: rule.take }, (_, i) => rule.skip + i);
  }
  if (rule.rule === 'random') {
    return new Rng(rule.seed)
      .permutation(have)
      .slice(0, rule.n)
      .sort((a, b) => a - b);
  }
  const counts = new Float64Array(have);
  const a = lowerBound(st.times, window.startS);
  const b = lowerBound(st.times, window.endS);
  for (let i = a; i < b; i++) counts[st.unitIndex[i]]++;
  return Array.from({ length: have }, (_, k) => k)
    .sort((x, y) => counts[y] - counts[x] || x - y)
    .slice(0, rule.n)
    .sort((x, y) => x - y);
}

export function splitRanges(bins: number, s: Splits): BinnedMeta['splits'] {
  const a = Math.round(bins * s.train);
  const b = Math.round(bins * (s.train + s.val));
  return { train: [0, a], val: [a, b], test: [b, bins] };
}

/**
 * Bins the window [startS, startS + lengthS).
 *
 * The window must lie within the recording. When the file states the recording's end
 * (`durationFrom: 'recording'`), that is the limit. When it does not (ALF, Phy, CSV, NWB
 * without a stored length …), the recording is taken to end at the last spike rounded up
 * to the bin grid of the window (the end of the bin holding the last spike), so a window
 * may end there; `meta.note` then says so.
 */
export function binSpikes(
  st: SpikeTrains,
  o: BinOptions,
  file = st.provenance.path,
  fieldPrefix = '',
): Binned {
  const endS = o.startS + o.lengthS;
  if (!(o.startS >= 0) || !(o.lengthS > 0) || !Number.isFinite(endS)) {
    throw new InputError(
      file,
      `${fieldPrefix}window`,
      `expected start ≥ 0 and length > 0, got ${o.startS} and ${o.lengthS}`,
    );
  }
  if (!(o.binS * 1000 >= MIN_BIN_MS * (1 - 1e-9) && o.binS <= o.lengthS * (1 + 1e-9))) {
    throw new InputError(
      file,
      `${fieldPrefix}bin_ms`,
      `${o.binS * 1000} ms; expected ${MIN_BIN_MS} ms ≤ bin_ms ≤ the window length (${o.lengthS * 1000} ms)`,
    );
  }
  // Float slack: 1800 + 600 may not land exactly on a stored end.
  const eps = 1e-9 * Math.max(1, endS);
  const known = st.durationFrom === 'recording';
  const last = st.times.length > 0 ? st.times[st.times.length - 1] : 0;
  let endLimit = st.durationS;
  let note: string | undefined;
  if (!known) {
    const lastBin = last >= o.startS ? Math.floor((last - o.startS) / o.binS + 1e-9) : -1;
    endLimit = Math.max(st.durationS, o.startS + (lastBin + 1) * o.binS);
  }
  if (endS > endLimit + eps) {
    throw new InputError(
      file,
      `${fieldPrefix}window`,
      `window ${o.startS}–${endS} s runs past the end of the recording ${st.provenance.path}, which is ${st.durationS.toFixed(3)} s long` +
        (known
          ? ''
          : ` (no length stored: its last spike, rounded up to the ${o.binS * 1000} ms bin, ends it at ${endLimit.toFixed(3)} s)`),
    );
  }
  if (!known && endS > last) {
    note = `${st.provenance.format} data store no recording length: the recording is taken to end at its last spike (${last} s) rounded up to the ${o.binS * 1000} ms bin, ${endLimit} s`;
  }
  const chosen = selectUnits(st, o.units, { startS: o.startS, endS }, file, `${fieldPrefix}units`);
  const colOf = new Int32Array(st.unitIds.length).fill(-1);
  chosen.forEach((k, c) => (colOf[k] = c));
  const units = chosen.length;
  const invBin = 1 / o.binS;
  const bins = Math.round(o.lengthS * invBin);
  if (bins * units > MAX_RASTER_CELLS) {
    throw new InputError(
      file,
      `${fieldPrefix}bin_ms`,
      `${bins} bins × ${units} units = ${bins * units} raster cells; expected at most ${MAX_RASTER_CELLS} (use wider bins, a shorter window or fewer units)`,
    );
  }
  const data = new Uint8Array(bins * units);
  let inWindow = 0;
  let lost = 0;
  const a = lowerBound(st.times, o.startS);
  const b = lowerBound(st.times, endS);
  for (let i = a; i < b; i++) {
    const c = colOf[st.unitIndex[i]];
    if (c < 0) continue;
    // Multiplying by the inverse (1000 for 1 ms) keeps 0.003 s in bin 3, not 2.999… → 2.
    const bin = Math.floor((st.times[i] - o.startS) * invBin + 1e-9);
    if (bin >= bins) continue;
    inWindow++;
    const idx = bin * units + c;
    if (data[idx]) lost++;
    else data[idx] = 1;
  }
  return {
    raster: { bins, units, data },
    meta: {
      unitIds: chosen.map((k) => st.unitIds[k]),
      startS: o.startS,
      lengthS: o.lengthS,
      binS: o.binS,
      bins,
      units,
      unitRule: o.units,
      spikesInWindow: inWindow,
      spikesLost: lost,
      splits: splitRanges(bins, o.splits),
      ...(note !== undefined ? { note } : {}),
    },
  };
}
