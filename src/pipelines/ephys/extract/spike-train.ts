/**
 * Spike-train features of one sweep as IPFX `spike_train_features` defines them: average
 * rate over the stimulus window, latency, first/mean/median ISI, ISI CV and adaptation index;
 * and the f–I slope across sweeps.
 */
import type { Spike } from './spike-features.js';
import { lineFit } from './subthreshold.js';

export interface SpikeTrainFeatures {
  avg_rate: number;
  latency: number;
  first_isi: number;
  mean_isi: number;
  median_isi: number;
  isi_cv: number;
  adapt: number;
}

/** Mean of (a[k+1] − a[k]) / (a[k+1] + a[k]) (IPFX `norm_diff`, the adaptation index). */
export function normDiff(a: number[]): number {
  if (a.length <= 1) return NaN;
  if (a.slice(1).every((x, k) => Math.abs(x + a[k]) <= 1e-8)) return 0;
  const d = a.slice(1).map((x, k) => (x === 0 && a[k] === 0 ? 0 : (x - a[k]) / (x + a[k])));
  const ok = d.filter((x) => !Number.isNaN(x));
  return ok.length ? ok.reduce((s, x) => s + x, 0) / ok.length : NaN;
}

/**
 * IPFX `basic_spike_train_features`: ISIs between thresholds (optionally without the clipped
 * spike); average rate counts thresholds inside [start, end] divided by its length.
 */
export function spikeTrainFeatures(
  spikes: Spike[],
  start: number,
  end: number,
  excludeClipped = false,
): SpikeTrainFeatures {
  const none = {
    latency: NaN,
    first_isi: NaN,
    mean_isi: NaN,
    median_isi: NaN,
    isi_cv: NaN,
    adapt: NaN,
  };
  if (spikes.length === 0) return { avg_rate: 0, ...none };
  const times = (excludeClipped ? spikes.filter((s) => !s.clipped) : spikes).map(
    (s) => s.threshold_t,
  );
  const isis = times.slice(1).map((x, k) => x - times[k]);
  const m = isis.length ? isis.reduce((s, x) => s + x, 0) / isis.length : NaN;
  const sd = isis.length
    ? Math.sqrt(isis.reduce((s, x) => s + (x - m) ** 2, 0) / isis.length)
    : NaN;
  const sorted = [...isis].sort((a, b) => a - b);
  const median = sorted.length
    ? sorted.length % 2
      ? sorted[(sorted.length - 1) / 2]
      : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2
    : NaN;
  return {
    avg_rate: times.filter((x) => x >= start && x <= end).length / (end - start),
    latency: times.length ? times[0] - start : NaN,
    first_isi: isis.length ? isis[0] : NaN,
    mean_isi: m,
    median_isi: median,
    isi_cv: isis.length ? sd / m : NaN,
    adapt: normDiff(isis),
  };
}

/** Slope (Hz/pA) of rate against amplitude over spiking sweeps (IPFX `fit_fi_slope`); NaN with fewer than two. */
export function fitFiSlope(amps: number[], rates: number[]): number {
  return amps.length < 2 ? NaN : lineFit(amps, rates).slope;
}
