/**
 * Action-potential detection, step by step as IPFX `spike_detector` defines it (same
 * defaults, same index conventions, so IPFX's published indices are reproduced exactly):
 * dV/dt crossings of 20 V/s, peaks, height/peak filtering, maximal upstroke, threshold
 * refined at 5 % of the mean upstroke, merged overlaps, too-long threshold–peak pairs,
 * clipping at the window end, troughs and downstrokes. Indices missing for a spike are NaN.
 */
import { argExtreme, FeatureError, findTimeIndex } from './time-series.js';

/**
 * Putative spikes: positive-going crossings of `dvCutoff` (V/s) within [start, end], kept
 * only when dV/dt went below zero since the previous one (IPFX `detect_putative_spikes`,
 * given a precomputed dV/dt: the window is dvdt[startIndex, endIndex)).
 */
export function detectPutativeSpikes(
  t: ArrayLike<number>,
  dvdt: ArrayLike<number>,
  o: { start?: number; end?: number; dvCutoff?: number } = {},
): number[] {
  const cutoff = o.dvCutoff ?? 20;
  const a = findTimeIndex(t, o.start ?? t[0]);
  const b = Math.min(findTimeIndex(t, o.end ?? t[t.length - 1]), dvdt.length);
  const crossings: number[] = [];
  for (let k = a; k + 1 < b; k++) if (dvdt[k] < cutoff && dvdt[k + 1] >= cutoff) crossings.push(k);
  if (crossings.length <= 1) return crossings;
  const kept = [crossings[0]];
  for (let i = 1; i < crossings.length; i++) {
    let dipped = false;
    for (let k = crossings[i - 1]; k < crossings[i]; k++)
      if (dvdt[k] < 0) {
        dipped = true;
        break;
      }
    if (dipped) kept.push(crossings[i]);
  }
  return kept;
}

/** Peak of each spike: the maximum of v up to the next spike or the window end (IPFX `find_peak_indexes`). */
export function findPeakIndexes(
  v: ArrayLike<number>,
  t: ArrayLike<number>,
  spikes: number[],
  end?: number,
): number[] {
  const endIndex = findTimeIndex(t, end || t[t.length - 1]);
  return spikes.map((s, i) => {
    const next = i + 1 < spikes.length ? spikes[i + 1] : endIndex;
    return next > s ? argExtreme(v, s, next, true) : s;
  });
}

/**
 * Drops events unlikely to be spikes (IPFX `filter_putative_spikes`): pairs where dV/dt
 * never went negative between a peak and the next spike are merged, then peaks below
 * `minPeak` mV and threshold-to-peak heights below `minHeight` mV are removed.
 */
export function filterPutativeSpikes(
  v: ArrayLike<number>,
  dvdt: ArrayLike<number>,
  spikes: number[],
  peaks: number[],
  o: { minHeight?: number; minPeak?: number } = {},
): { spikes: number[]; peaks: number[] } {
  if (spikes.length === 0 || peaks.length === 0) return { spikes: [], peaks: [] };
  const minHeight = o.minHeight ?? 2;
  const minPeak = o.minPeak ?? -30;
  const dips = peaks.slice(0, -1).map((p, i) => {
    for (let k = p; k < spikes[i + 1]; k++) if (dvdt[k] < 0) return true;
    return false;
  });
  let s = spikes.filter((_, i) => i === 0 || dips[i - 1]);
  let p = peaks.filter((_, i) => i === peaks.length - 1 || dips[i]);
  const keep = p.map((pk, i) => v[pk] >= minPeak && v[pk] - v[s[i]] >= minHeight);
  s = s.filter((_, i) => keep[i]);
  p = p.filter((_, i) => keep[i]);
  return { spikes: s, peaks: p };
}

/** Index of the maximal dV/dt between each spike and its peak (IPFX `find_upstroke_indexes`). */
export function findUpstrokeIndexes(
  dvdt: ArrayLike<number>,
  spikes: number[],
  peaks: number[],
): number[] {
  return spikes.map((s, i) => (peaks[i] > s ? argExtreme(dvdt, s, peaks[i], true) : s));
}

/**
 * Thresholds refined as the last sample before each upstroke where dV/dt ≤ `threshFrac` ×
 * the mean upstroke, searched back to the previous upstroke (or sample 1); when never met,
 * the start of the search interval (IPFX `refine_threshold_indexes`).
 */
export function refineThresholdIndexes(
  dvdt: ArrayLike<number>,
  upstrokes: number[],
  threshFrac = 0.05,
): number[] {
  if (upstrokes.length === 0) return [];
  const target = (upstrokes.reduce((s, u) => s + dvdt[u], 0) / upstrokes.length) * threshFrac;
  return upstrokes.map((u, i) => {
    const prev = i === 0 ? 0 : upstrokes[i - 1];
    for (let k = u; k > prev; k--) if (dvdt[k] <= target) return k;
    return prev;
  });
}

/**
 * IPFX `check_thresholds_and_peaks`: optionally rejects spikes in the first
 * `rejectAtStimStart` s after `start`, merges spikes whose threshold is not after the
 * previous peak (+1 sample), re-finds the threshold (or else the peak) of pairs more than
 * `maxInterval` s apart and drops those it cannot repair, then flags clipping.
 */
export function checkThresholdsAndPeaks(
  v: ArrayLike<number>,
  t: ArrayLike<number>,
  dvdt: ArrayLike<number>,
  input: { spikes: number[]; peaks: number[]; upstrokes: number[] },
  o: {
    start?: number;
    end?: number;
    maxInterval?: number;
    threshFrac?: number;
    tol?: number;
    rejectAtStimStart?: number;
  } = {},
): { spikes: number[]; peaks: number[]; upstrokes: number[]; clipped: boolean[] } {
  const maxInterval = o.maxInterval ?? 0.005;
  let { spikes, peaks, upstrokes } = {
    spikes: [...input.spikes],
    peaks: [...input.peaks],
    upstrokes: [...input.upstrokes],
  };
  if (o.start !== undefined && (o.rejectAtStimStart ?? 0) > 0) {
    const keep = spikes.map((s) => t[s] > o.start! + o.rejectAtStimStart!);
    spikes = spikes.filter((_, i) => keep[i]);
    peaks = peaks.filter((_, i) => keep[i]);
    upstrokes = upstrokes.filter((_, i) => keep[i]);
  }
  const overlaps = new Set<number>();
  for (let i = 0; i + 1 < spikes.length; i++) if (spikes[i + 1] <= peaks[i] + 1) overlaps.add(i);
  if (overlaps.size) {
    spikes = spikes.filter((_, i) => !overlaps.has(i - 1));
    peaks = peaks.filter((_, i) => !overlaps.has(i));
    upstrokes = upstrokes.filter((_, i) => !overlaps.has(i));
  }
  const tooLong = spikes.flatMap((s, i) => (t[peaks[i]] - t[s] >= maxInterval ? [i] : []));
  if (tooLong.length) {
    const target =
      (upstrokes.reduce((a, u) => a + dvdt[u], 0) / upstrokes.length) * (o.threshFrac ?? 0.05);
    const drop = new Set<number>();
    for (const i of tooLong) {
      const t0 = findTimeIndex(t, t[peaks[i]] - maxInterval);
      let found = -1;
      for (let k = upstrokes[i]; k > t0; k--)
        if (dvdt[k] <= target) {
          found = k;
          break;
        }
      if (found >= 0) {
        spikes[i] = found;
        continue;
      }
      // The threshold may be right and the peak wrong: look for a peak within twice the window.
      const s = spikes[i];
      const limit = findTimeIndex(t, Math.min(t[s] + 2 * maxInterval, t[t.length - 1]));
      const newPeak = limit > s ? argExtreme(v, s, limit, true) : s;
      if (
        t[newPeak] - t[s] < maxInterval &&
        (i === spikes.length - 1 || t[newPeak] < t[spikes[i + 1]])
      )
        peaks[i] = newPeak;
      else drop.add(i);
    }
    spikes = spikes.filter((_, i) => !drop.has(i));
    peaks = peaks.filter((_, i) => !drop.has(i));
    upstrokes = upstrokes.filter((_, i) => !drop.has(i));
  }
  const endIndex = findTimeIndex(t, o.end || t[t.length - 1]);
  return {
    spikes,
    peaks,
    upstrokes,
    clipped: findClippedSpikes(v, spikes, peaks, endIndex, o.tol ?? 1),
  };
}

/**
 * The last spike is clipped when v never returns to within `tol` mV of its threshold
 * between its peak and `endIndex` (inclusive) (IPFX `find_clipped_spikes`).
 */
export function findClippedSpikes(
  v: ArrayLike<number>,
  spikes: number[],
  peaks: number[],
  endIndex: number,
  tol: number,
): boolean[] {
  const clipped = spikes.map(() => false);
  const n = spikes.length;
  if (n > 0) {
    const level = v[spikes[n - 1]] + tol;
    let returned = false;
    for (let k = peaks[n - 1]; k <= Math.min(endIndex, v.length - 1); k++)
      if (v[k] <= level) {
        returned = true;
        break;
      }
    if (!returned) clipped[n - 1] = true;
  }
  return clipped;
}

/**
 * Trough of each spike: the minimum between its peak and the next threshold; for the last,
 * up to the window end (exclusive), NaN when it is clipped (IPFX `find_trough_indexes`).
 */
export function findTroughIndexes(
  v: ArrayLike<number>,
  t: ArrayLike<number>,
  spikes: number[],
  peaks: number[],
  clipped: boolean[],
  end?: number,
): number[] {
  if (spikes.length === 0) return [];
  const endIndex = findTimeIndex(t, end ?? t[t.length - 1]);
  return spikes.map((_, i) => {
    if (i + 1 < spikes.length) return argExtreme(v, peaks[i], spikes[i + 1]);
    if (clipped[i] || endIndex <= peaks[i]) return NaN;
    return argExtreme(v, peaks[i], endIndex);
  });
}

/** Index of the most negative dV/dt between each unclipped peak and its trough (IPFX `find_downstroke_indexes`). */
export function findDownstrokeIndexes(
  dvdt: ArrayLike<number>,
  peaks: number[],
  troughs: number[],
  clipped: boolean[],
): number[] {
  if (peaks.length < troughs.length) throw new FeatureError('cannot have more troughs than peaks');
  return peaks.map((p, i) =>
    clipped[i] || Number.isNaN(troughs[i]) || troughs[i] <= p
      ? NaN
      : argExtreme(dvdt, p, troughs[i]),
  );
}
