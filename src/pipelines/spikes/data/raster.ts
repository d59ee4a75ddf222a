import type { SpikeTrains } from '../../../io/spikes/types.js';

/** A binary spike raster: `bins` rows × `units` columns, row-major, 1 = a spike in that bin. */
export interface BinaryRaster {
  bins: number;
  units: number;
  data: Uint8Array;
}

/** A dataset's train, validation and test rasters (contiguous blocks of bins). */
export interface SpikeSplits {
  train: BinaryRaster;
  val: BinaryRaster;
  test: BinaryRaster;
}

/** Rows [start, end) as a raster sharing memory with `r`. */
export function sliceBins(r: BinaryRaster, start: number, end: number): BinaryRaster {
  return {
    bins: end - start,
    units: r.units,
    data: r.data.subarray(start * r.units, end * r.units),
  };
}

/** `a` followed by `b` (same units), copied into one raster. */
export function concatBins(a: BinaryRaster, b: BinaryRaster): BinaryRaster {
  const data = new Uint8Array((a.bins + b.bins) * a.units);
  data.set(a.data, 0);
  data.set(b.data, a.data.length);
  return { bins: a.bins + b.bins, units: a.units, data };
}

/** Spikes per bin per unit, averaged over bins (a probability per unit). */
export function unitRates(r: BinaryRaster): Float64Array {
  const rates = new Float64Array(r.units);
  for (let t = 0; t < r.bins; t++) {
    const row = t * r.units;
    for (let u = 0; u < r.units; u++) rates[u] += r.data[row + u];
  }
  for (let u = 0; u < r.units; u++) rates[u] /= Math.max(1, r.bins);
  return rates;
}

/** Copies window rows [start, start+length) of several windows into one float batch buffer. */
export function windowsToFloat(r: BinaryRaster, starts: number[], length: number): Float32Array {
  const out = new Float32Array(starts.length * length * r.units);
  starts.forEach((s, b) => {
    const src = r.data.subarray(s * r.units, (s + length) * r.units);
    const base = b * length * r.units;
    for (let i = 0; i < src.length; i++) out[base + i] = src[i];
  });
  return out;
}

/**
 * A raster as spike trains (for writing as NWB/ALF): a spike in bin k at (k + ½) × binS seconds,
 * so re-binning at binS gives the raster back; column u becomes unit `unitIds[u]`.
 */
export function rasterToSpikeTrains(
  r: BinaryRaster,
  binS: number,
  unitIds: ArrayLike<number>,
  path: string,
): SpikeTrains {
  // Unit ids ascending (SpikeTrains' order), each column keeping its id.
  const order = Array.from({ length: r.units }, (_, u) => u).sort(
    (a, b) => unitIds[a] - unitIds[b],
  );
  const position = new Int32Array(r.units);
  order.forEach((u, k) => (position[u] = k));
  const times: number[] = [];
  const index: number[] = [];
  for (let t = 0; t < r.bins; t++)
    for (let u = 0; u < r.units; u++)
      if (r.data[t * r.units + u]) {
        times.push((t + 0.5) * binS);
        index.push(position[u]);
      }
  return {
    unitIds: Int32Array.from(order, (u) => unitIds[u]),
    times: Float64Array.from(times),
    unitIndex: Int32Array.from(index),
    durationS: r.bins * binS,
    durationFrom: 'recording',
    provenance: { format: 'simulated', path, files: [] },
  };
}

/**
 * `target` preceded by the last `lags` bins of `history` (when given), and the index of
 * target's first bin in it: history features of the first bins then see their real past.
 */
export function withPast(
  target: BinaryRaster,
  history: BinaryRaster | null,
  lags: number,
): { full: BinaryRaster; offset: number } {
  if (!history) return { full: target, offset: 0 };
  const past = sliceBins(history, Math.max(0, history.bins - lags), history.bins);
  return { full: concatBins(past, target), offset: past.bins };
}
