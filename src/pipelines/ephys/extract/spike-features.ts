/**
 * Per-spike features as IPFX `SpikeFeatureExtractor.process` computes them: detection
 * (spike-detector.ts), then troughs, downstrokes, fast/slow troughs and ADP (IPFX
 * `analyze_trough_details`), widths at half height (IPFX `find_widths`) and the
 * upstroke/downstroke ratio, with IPFX's field names so `sweeps.json` reads like its output.
 */
import {
  checkThresholdsAndPeaks,
  detectPutativeSpikes,
  filterPutativeSpikes,
  findDownstrokeIndexes,
  findPeakIndexes,
  findTroughIndexes,
  findUpstrokeIndexes,
  refineThresholdIndexes,
} from './spike-detector.js';
import { argExtreme, calculateDvdt, findTimeIndex } from './time-series.js';

/** One spike, IPFX field names: times in s, voltages in mV, currents in pA, dV/dt in V/s; NaN when undefined. */
export interface Spike {
  threshold_index: number;
  clipped: boolean;
  threshold_t: number;
  threshold_v: number;
  threshold_i: number;
  peak_index: number;
  peak_t: number;
  peak_v: number;
  peak_i: number;
  trough_index: number;
  trough_t: number;
  trough_v: number;
  trough_i: number;
  upstroke_index: number;
  upstroke: number;
  upstroke_t: number;
  upstroke_v: number;
  downstroke_index: number;
  downstroke: number;
  downstroke_t: number;
  downstroke_v: number;
  isi_type: string | null;
  fast_trough_index: number;
  fast_trough_t: number;
  fast_trough_v: number;
  fast_trough_i: number;
  adp_index: number;
  adp_t: number;
  adp_v: number;
  adp_i: number;
  slow_trough_index: number;
  slow_trough_t: number;
  slow_trough_v: number;
  slow_trough_i: number;
  width: number;
  upstroke_downstroke_ratio: number;
}

/** Detection settings; defaults are IPFX's `SpikeFeatureExtractor` defaults. */
export interface SpikeDetectionOptions {
  start?: number;
  end?: number;
  /** Bessel cutoff in kHz, null for none (IPFX default 10). */
  filterKhz?: number | null;
  dvCutoff?: number;
  maxInterval?: number;
  minHeight?: number;
  minPeak?: number;
  threshFrac?: number;
  rejectAtStimStart?: number;
}

/**
 * Widths at half height (s): half-way between peak and trough, or between threshold and
 * peak where that level is below threshold (bursts); NaN without a trough or when clipped
 * (IPFX `find_widths`).
 */
export function findWidths(
  v: ArrayLike<number>,
  t: ArrayLike<number>,
  spikes: number[],
  peaks: number[],
  troughs: number[],
  clipped: boolean[] = spikes.map(() => false),
): number[] {
  return spikes.map((s, i) => {
    const tr = troughs[i];
    if (Number.isNaN(tr) || clipped[i]) return NaN;
    const pk = peaks[i];
    let level = (v[pk] - v[tr]) / 2 + v[tr];
    if (level < v[s]) level = (v[pk] - v[s]) / 2 + v[s];
    let startK = NaN;
    for (let k = pk; k > s; k--)
      if (v[k] <= level) {
        startK = k;
        break;
      }
    let endK = NaN;
    for (let k = pk; k < tr; k++)
      if (v[k] <= level) {
        endK = k;
        break;
      }
    return Number.isNaN(startK) || Number.isNaN(endK) ? NaN : t[endK] - t[startK];
  });
}

export interface TroughDetails {
  isiTypes: (string | null)[];
  fastTroughs: number[];
  adps: number[];
  slowTroughs: number[];
  clipped: boolean[];
}

/**
 * Fast trough (end of the spike: dV/dt back to 1 % of the downstroke), an ADP (dV/dt of the
 * 1 kHz-filtered trace above 0.5 V/s within 2 ms, then reversing, ≥ 0.5 mV above the later
 * minimum, within 5 ms and 10 mV), the slow trough and the reset type (detour/direct) of
 * each unclipped spike; spikes whose fast trough is not found become clipped (IPFX
 * `analyze_trough_details` with its defaults). The last spike's ADP and slow trough are NaN.
 */
export function analyzeTroughDetails(
  v: ArrayLike<number>,
  t: ArrayLike<number>,
  dvdt: ArrayLike<number>,
  spikes: number[],
  peaks: number[],
  clippedIn: boolean[],
  end: number | undefined,
  heavyFilterKhz: number | null,
): TroughDetails {
  const termFrac = 0.01;
  const adpThresh = 0.5;
  const tol = 0.5;
  const flatInterval = 0.002;
  const adpMaxDeltaT = 0.005;
  const adpMaxDeltaV = 10;
  const endIndex = findTimeIndex(t, end ?? t[t.length - 1]);
  const dvdtHeavy = calculateDvdt(v, t, heavyFilterKhz);
  const valid = spikes.flatMap((_, i) => (clippedIn[i] ? [] : [i]));
  const out: TroughDetails = {
    isiTypes: [],
    fastTroughs: [],
    adps: [],
    slowTroughs: [],
    clipped: [...clippedIn],
  };
  const updated: boolean[] = [];
  valid.forEach((i, j) => {
    const peak = peaks[i];
    const nextSpike = j + 1 < valid.length ? spikes[valid[j + 1]] : endIndex;
    const downstroke = nextSpike > peak ? argExtreme(dvdt, peak, nextSpike) : peak;
    const target = termFrac * dvdt[downstroke];
    let terminated = -1;
    for (let k = downstroke; k < nextSpike; k++)
      if (dvdt[k] >= target) {
        terminated = k;
        break;
      }
    if (terminated < 0) {
      out.isiTypes.push(null);
      out.fastTroughs.push(NaN);
      out.adps.push(NaN);
      out.slowTroughs.push(NaN);
      updated.push(true);
      return;
    }
    updated.push(false);
    let adp = NaN;
    let slow = NaN;
    let isiType: string;
    let cross = -1;
    for (let k = terminated; k < nextSpike; k++)
      if (dvdtHeavy[k] >= adpThresh) {
        cross = k;
        break;
      }
    if (cross >= 0 && t[cross] - t[terminated] < flatInterval) {
      let reversal = -1;
      for (let k = cross; k < nextSpike; k++)
        if (dvdtHeavy[k] <= 0) {
          reversal = k;
          break;
        }
      if (reversal >= 0) {
        const minIndex = argExtreme(v, reversal, nextSpike);
        if (
          v[reversal] - v[minIndex] >= tol &&
          v[reversal] - v[terminated] <= adpMaxDeltaV &&
          t[reversal] - t[terminated] <= adpMaxDeltaT
        ) {
          adp = reversal;
          slow = minIndex;
        }
      }
    }
    if (!Number.isNaN(adp)) isiType = 'detour';
    else {
      const minIndex = argExtreme(v, terminated, Math.max(nextSpike, terminated + 1));
      if (v[terminated] - v[minIndex] >= tol) {
        isiType = 'detour';
        slow = minIndex;
      } else isiType = 'direct';
    }
    out.isiTypes.push(isiType);
    out.fastTroughs.push(terminated);
    out.adps.push(adp);
    out.slowTroughs.push(slow);
  });
  while (out.isiTypes.length < spikes.length) {
    out.isiTypes.push(null);
    out.fastTroughs.push(NaN);
    out.adps.push(NaN);
    out.slowTroughs.push(NaN);
  }
  if (spikes.length > 0) {
    out.adps[spikes.length - 1] = NaN;
    out.slowTroughs[spikes.length - 1] = NaN;
  }
  valid.forEach((i, j) => (out.clipped[i] = updated[j]));
  return out;
}

/**
 * All spikes of a sweep with their features (IPFX `SpikeFeatureExtractor.process`): `i` is
 * the stimulus in pA (null when unknown: the `_i` fields are then NaN).
 */
export function extractSpikes(
  t: ArrayLike<number>,
  v: ArrayLike<number>,
  i: ArrayLike<number> | null,
  o: SpikeDetectionOptions = {},
): Spike[] {
  const filterKhz = o.filterKhz === undefined ? 10 : o.filterKhz;
  const dvdt = calculateDvdt(v, t, filterKhz);
  const putative = detectPutativeSpikes(t, dvdt, {
    start: o.start,
    end: o.end,
    dvCutoff: o.dvCutoff,
  });
  const peaks0 = findPeakIndexes(v, t, putative, o.end);
  const filtered = filterPutativeSpikes(v, dvdt, putative, peaks0, o);
  if (filtered.spikes.length === 0) return [];
  const upstrokes0 = findUpstrokeIndexes(dvdt, filtered.spikes, filtered.peaks);
  const thresholds0 = refineThresholdIndexes(dvdt, upstrokes0, o.threshFrac ?? 0.05);
  const checked = checkThresholdsAndPeaks(
    v,
    t,
    dvdt,
    { spikes: thresholds0, peaks: filtered.peaks, upstrokes: upstrokes0 },
    {
      start: o.start,
      end: o.end,
      maxInterval: o.maxInterval,
      threshFrac: o.threshFrac,
      rejectAtStimStart: o.rejectAtStimStart,
    },
  );
  const thresholds = checked.spikes;
  const peaks = checked.peaks;
  if (thresholds.length === 0) return [];
  const upstrokes = findUpstrokeIndexes(dvdt, thresholds, peaks);
  const troughs = findTroughIndexes(v, t, thresholds, peaks, checked.clipped, o.end);
  const downstrokes = findDownstrokeIndexes(dvdt, peaks, troughs, checked.clipped);
  // IPFX's heavy filter is 1 kHz, also dropped where the sampling rate cannot take it.
  const details = analyzeTroughDetails(
    v,
    t,
    dvdt,
    thresholds,
    peaks,
    checked.clipped,
    o.end,
    filterKhz === null ? null : 1,
  );
  const clipped = details.clipped;
  const widths = findWidths(v, t, thresholds, peaks, details.fastTroughs, clipped);
  const at = (x: ArrayLike<number> | null, k: number) =>
    x === null || Number.isNaN(k) ? NaN : x[k];
  return thresholds.map((th, n) => {
    const trough = troughs[n];
    const up = upstrokes[n];
    const down = downstrokes[n];
    const fast = details.fastTroughs[n];
    const adp = details.adps[n];
    const slow = details.slowTroughs[n];
    const upstroke = dvdt[up];
    const downstroke = at(dvdt, down);
    return {
      threshold_index: th,
      clipped: clipped[n],
      threshold_t: t[th],
      threshold_v: v[th],
      threshold_i: at(i, th),
      peak_index: peaks[n],
      peak_t: t[peaks[n]],
      peak_v: v[peaks[n]],
      peak_i: at(i, peaks[n]),
      trough_index: trough,
      trough_t: at(t, trough),
      trough_v: at(v, trough),
      trough_i: at(i, trough),
      upstroke_index: up,
      upstroke,
      upstroke_t: t[up],
      upstroke_v: v[up],
      downstroke_index: down,
      downstroke,
      downstroke_t: at(t, down),
      downstroke_v: at(v, down),
      isi_type: details.isiTypes[n],
      fast_trough_index: fast,
      fast_trough_t: at(t, fast),
      fast_trough_v: at(v, fast),
      fast_trough_i: at(i, fast),
      adp_index: adp,
      adp_t: at(t, adp),
      adp_v: at(v, adp),
      adp_i: at(i, adp),
      slow_trough_index: slow,
      slow_trough_t: at(t, slow),
      slow_trough_v: at(v, slow),
      slow_trough_i: at(i, slow),
      width: widths[n],
      upstroke_downstroke_ratio: upstroke / -downstroke,
    };
  });
}
