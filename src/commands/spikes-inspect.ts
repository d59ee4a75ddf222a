/**
 * `neurobridge spikes inspect` as functions: a session's units, spikes, duration, rate
 * quantiles, 1 ms sparsity and labels, and its SVG raster written beside.
 */
import { basename, resolve } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { labelCounts, readSpikes, type ReadOptions, type SpikeTrains } from '../io/spikes/index.js';
import { sessionRasterSvg } from '../report/raster-svg.js';
import { quantileSorted } from '../stats/hypothesis-tests.js';

export interface SpikeSummary {
  path: string;
  format: string;
  units: number;
  spikes: number;
  durationS: number;
  sampleRateHz: number | null;
  /** Per-unit firing rates (Hz): min, 25 %, median, 75 %, max. */
  rateQuantilesHz: { q0: number; q25: number; q50: number; q75: number; q100: number };
  /** Fraction of 1 ms (bin × unit) cells holding at least one spike. */
  sparsity1ms: number;
  labels: Record<string, number> | null;
  spontaneousS: [number, number] | null;
}

// No units → zeros in the summary (quantileSorted gives NaN, which JSON cannot hold).
const quantile = (sorted: Float64Array, q: number) =>
  sorted.length === 0 ? 0 : quantileSorted(sorted, q);

export function summarizeSpikes(st: SpikeTrains): SpikeSummary {
  const nU = st.unitIds.length;
  const counts = new Float64Array(nU);
  const lastBin = new Float64Array(nU).fill(-1);
  let occupied = 0;
  for (let i = 0; i < st.times.length; i++) {
    const u = st.unitIndex[i];
    counts[u]++;
    const b = Math.floor(st.times[i] * 1000 + 1e-9);
    if (b !== lastBin[u]) {
      lastBin[u] = b;
      occupied++;
    }
  }
  const dur = st.durationS > 0 ? st.durationS : 1;
  const rates = counts.map((c) => c / dur).sort();
  // Counted in a Map (a label such as `constructor` must not reach an object's prototype).
  const counted = labelCounts(st);
  const labels = counted ? Object.fromEntries(counted) : null;
  const bins = Math.max(1, Math.ceil(st.durationS * 1000));
  return {
    path: st.provenance.path,
    format: st.provenance.format,
    units: nU,
    spikes: st.times.length,
    durationS: st.durationS,
    sampleRateHz: st.sampleRateHz ?? null,
    rateQuantilesHz: {
      q0: quantile(rates, 0),
      q25: quantile(rates, 0.25),
      q50: quantile(rates, 0.5),
      q75: quantile(rates, 0.75),
      q100: quantile(rates, 1),
    },
    sparsity1ms: nU === 0 ? 0 : occupied / (bins * nU),
    labels,
    spontaneousS: st.spontaneousS ?? null,
  };
}

export interface InspectOptions extends Pick<ReadOptions, 'sampleRateHz' | 'timeUnit' | 'well'> {
  /** Force the format instead of detecting it. */
  format?: string;
  /** Where the SVG raster goes (default: `<name>-raster.svg` in the working folder). */
  raster?: string;
}

/** Reads a session, summarises it and writes its raster; returns the summary and the raster's path. */
export async function inspectSpikes(
  path: string,
  o: InspectOptions,
): Promise<{ summary: SpikeSummary; raster: string }> {
  const st = await readSpikes(path, {
    format: o.format,
    sampleRateHz: o.sampleRateHz,
    timeUnit: o.timeUnit,
    well: o.well,
  });
  const summary = summarizeSpikes(st);
  const raster = resolve(o.raster ?? `${basename(resolve(path))}-raster.svg`);
  writeFileAtomic(raster, sessionRasterSvg(st));
  return { summary, raster };
}
