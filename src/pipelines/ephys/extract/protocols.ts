/**
 * Stimulus-protocol analyses as IPFX `stimulus_protocol_analysis` (and the extractor
 * settings of IPFX `data_set_features` / `script_utils`) define them:
 * - long square: spikes in the step, rate, latency, ISIs, deflection, baseline, sag per
 *   sweep; rheobase (lowest positive spiking step), f–I slope, hero sweep (first spiking step
 *   39–61 pA above rheobase, else the nearest), sag at the deflection nearest −100 mV,
 *   membrane τ and input resistance from hyperpolarising steps above the minimum amplitude;
 * - short square: detection thresholds re-estimated from the first ms after onset (dV/dt
 *   cut-off and threshold fraction, floor 0.1), the most common spiking amplitude;
 * - ramp: spikes from ramp onset to the sweep end.
 */
import { extractSpikes, type Spike } from './spike-features.js';
import { fitFiSlope, spikeTrainFeatures, type SpikeTrainFeatures } from './spike-train.js';
import {
  detectPutativeSpikes,
  filterPutativeSpikes,
  findPeakIndexes,
  findUpstrokeIndexes,
} from './spike-detector.js';
import type { Protocol, StimulusEpoch } from './stimulus.js';
import {
  baselineVoltage,
  inputResistance,
  sag as sagOf,
  timeConstant,
  voltageDeflection,
} from './subthreshold.js';
import { besselCutoffFor, calculateDvdt, FeatureError, findTimeIndex } from './time-series.js';

/** One sweep ready for analysis: time from sweep start (s), mV, pA. */
export interface SweepTrace {
  sweepNumber: number;
  t: Float64Array;
  v: Float64Array;
  i: Float64Array | null;
  samplingRateHz: number;
  epoch: StimulusEpoch;
}

/** A sweep's features (IPFX sweep-feature names). */
export interface SweepResult extends Partial<SpikeTrainFeatures> {
  sweep_number: number;
  protocol: Protocol;
  stimulus_amplitude_pa: number;
  stim_amp: number;
  start: number;
  end: number;
  spikes: Spike[];
  peak_deflect?: number;
  peak_deflect_index?: number;
  v_baseline?: number;
  sag?: number;
  tau?: number;
  tau_fit?: { start: number; end: number; a: number; y0: number };
}

export interface Exclusion {
  sweep_number: number;
  protocol?: Protocol;
  reason: string;
}

const median = (x: number[]) => {
  const s = [...x].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const nanMean = (x: number[]) => {
  const ok = x.filter((v) => Number.isFinite(v));
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
};

/** Runs `fn` per sweep; a FeatureError excludes the sweep with its message. */
function perSweep<T>(
  sweeps: SweepTrace[],
  excluded: Exclusion[],
  fn: (s: SweepTrace) => T,
): { sweep: SweepTrace; value: T }[] {
  const out: { sweep: SweepTrace; value: T }[] = [];
  for (const s of sweeps) {
    try {
      out.push({ sweep: s, value: fn(s) });
    } catch (err) {
      if (!(err instanceof FeatureError)) throw err;
      excluded.push({
        sweep_number: s.sweepNumber,
        protocol: s.epoch.protocol,
        reason: err.message,
      });
    }
  }
  return out;
}

export interface LongSquareResult {
  start: number;
  end: number;
  sweeps: SweepResult[];
  v_baseline: number;
  rheobase_i?: number;
  rheobase_sweep?: SweepResult;
  fi_fit_slope?: number;
  hero_sweep?: SweepResult;
  sag?: number;
  vm_for_sag?: number;
  tau?: number;
  input_resistance?: number;
  subthresh_min_amp: number;
  /** Why a cell-level feature is missing. */
  notes: string[];
}

/** IPFX `select_subthreshold_min_amplitude`: 20 pA steps → −100 pA, 40 pA → −200 pA (else −100). */
function subthresholdMinAmplitude(amps: number[]): number {
  const s = [...amps].sort((a, b) => a - b);
  const deltas = s
    .slice(1)
    .map((a, k) => Math.round(a - s[k]))
    .filter((d) => d > 0);
  const min = deltas.length ? Math.min(...deltas) : NaN;
  return min === 40 ? -200 : -100;
}

export function analyzeLongSquares(
  sweeps: SweepTrace[],
  excluded: Exclusion[],
): LongSquareResult | undefined {
  if (sweeps.length === 0) return undefined;
  // IPFX analyses every long square in one window: the epoch of the first sweep.
  const { start, end } = sweeps[0].epoch;
  const results = perSweep(sweeps, excluded, (s) => {
    if (s.t[s.t.length - 1] < end)
      throw new FeatureError(
        `the sweep ends at ${s.t[s.t.length - 1].toFixed(3)} s, before the step ends (${end.toFixed(3)} s)`,
      );
    const e = findTimeIndex(s.t, end);
    if (e >= 100 && s.v.subarray(e - 100, e).every((x) => x === 0))
      throw new FeatureError('the recording ended early (voltage 0 before the step ends)');
    const spikes = extractSpikes(s.t, s.v, s.i, {
      start,
      end,
      filterKhz: besselCutoffFor(s.samplingRateHz),
      minPeak: -30,
    });
    const deflect = voltageDeflection(s.t, s.v, s.i, start, end);
    const stimAmp = s.i ? s.i[findTimeIndex(s.t, start) + 1] : s.epoch.amplitudePa;
    const r: SweepResult = {
      sweep_number: s.sweepNumber,
      protocol: 'long_square',
      stimulus_amplitude_pa: stimAmp,
      stim_amp: stimAmp,
      start,
      end,
      spikes,
      ...spikeTrainFeatures(spikes, start, end),
      peak_deflect: deflect.v,
      peak_deflect_index: deflect.index,
      v_baseline: baselineVoltage(s.t, s.v, start, 0.1),
      sag: sagOf(s.t, s.v, s.i, start, end),
    };
    return r;
  });
  const out: LongSquareResult = {
    start,
    end,
    sweeps: results.map((r) => r.value),
    v_baseline: nanMean(results.map((r) => r.value.v_baseline!)),
    subthresh_min_amp: subthresholdMinAmplitude(results.map((r) => r.value.stim_amp)),
    notes: [],
  };
  const spiking = results.filter((r) => r.value.avg_rate! > 0).map((r) => r.value);
  const positive = spiking.filter((r) => r.stim_amp > 0).sort((a, b) => a.stim_amp - b.stim_amp);
  if (positive.length === 0)
    out.notes.push(
      'no spiking long square with a positive amplitude: no rheobase, f–I slope or hero sweep',
    );
  else {
    const rheo = positive[0];
    out.rheobase_i = rheo.stim_amp;
    out.rheobase_sweep = rheo;
    out.fi_fit_slope = fitFiSlope(
      spiking.map((r) => r.stim_amp),
      spiking.map((r) => r.avg_rate!),
    );
    const sorted = [...spiking].sort((a, b) => a.stim_amp - b.stim_amp);
    const lo = rheo.stim_amp + 39;
    const hi = rheo.stim_amp + 61;
    out.hero_sweep =
      sorted.find((r) => r.stim_amp > lo && r.stim_amp < hi) ??
      sorted.reduce((best, r) =>
        Math.abs(lo - r.stim_amp) < Math.abs(lo - best.stim_amp) ? r : best,
      );
  }
  const subthreshold = results.filter((r) => r.value.avg_rate === 0);
  if (subthreshold.length === 0) {
    out.notes.push('no subthreshold long square: no sag, τ or input resistance');
    return out;
  }
  const closest = subthreshold.reduce((best, r) =>
    Math.abs(r.value.peak_deflect! + 100) < Math.abs(best.value.peak_deflect! + 100) ? r : best,
  );
  out.sag = closest.value.sag;
  out.vm_for_sag = closest.value.peak_deflect;
  const calc = subthreshold.filter(
    (r) => r.value.stim_amp < 0 && r.value.stim_amp > out.subthresh_min_amp && r.sweep.i,
  );
  if (calc.length === 0) {
    out.notes.push(
      `no hyperpolarising long square between ${out.subthresh_min_amp} and 0 pA: no τ or input resistance`,
    );
    return out;
  }
  const medianPeakTime = median(
    calc.map(
      (r) => r.sweep.t[voltageDeflection(r.sweep.t, r.sweep.v, r.sweep.i, start, end, 'min').index],
    ),
  );
  for (const r of calc) {
    const fit = timeConstant(r.sweep.t, r.sweep.v, r.sweep.i, start, end, medianPeakTime);
    r.value.tau = fit.tau;
    r.value.tau_fit = { start: fit.fitStart, end: fit.fitEnd, a: fit.a, y0: fit.y0 };
  }
  out.tau = nanMean(calc.map((r) => r.value.tau!));
  out.input_resistance = inputResistance(
    calc.map((r) => ({ t: r.sweep.t, v: r.sweep.v, i: r.sweep.i! })),
    start,
    end,
  );
  return out;
}

export interface ShortSquareResult {
  sweeps: SweepResult[];
  stimulus_amplitude?: number;
  common_amp_sweeps: SweepResult[];
  dv_cutoff: number;
  thresh_frac: number;
}

/**
 * IPFX `estimate_adjusted_detection_parameters`: the passive charging of a short square can
 * exceed 20 V/s, so the cut-off becomes 1.1 × the median peak dV/dt of the first ms and the
 * threshold fraction 1.2 × the median dV/dt at its end over the mean upstroke.
 */
function adjustedDetection(
  sweeps: SweepTrace[],
  start: number,
  end: number,
): { dvCutoff: number; threshFrac: number } {
  const maxes: number[] = [];
  const ends: number[] = [];
  const dvs = sweeps.map((s) => calculateDvdt(s.v, s.t, besselCutoffFor(s.samplingRateHz)));
  sweeps.forEach((s, k) => {
    const a = findTimeIndex(s.t, start);
    const b = findTimeIndex(s.t, end);
    let m = -Infinity;
    for (let j = a; j < b; j++) m = Math.max(m, dvs[k][j]);
    maxes.push(m);
    ends.push(dvs[k][b]);
  });
  const dvCutoff = median(maxes) * 1.1;
  const minThresh = median(ends) * 1.2;
  const upstrokes: number[] = [];
  sweeps.forEach((s, k) => {
    const dv = dvs[k];
    const putative = detectPutativeSpikes(s.t, dv, { dvCutoff });
    const peaks = findPeakIndexes(s.v, s.t, putative);
    const f = filterPutativeSpikes(s.v, dv, putative, peaks);
    for (const u of findUpstrokeIndexes(dv, f.spikes, f.peaks)) upstrokes.push(dv[u]);
  });
  const threshFrac = minThresh / (upstrokes.reduce((a, b) => a + b, 0) / upstrokes.length);
  return { dvCutoff, threshFrac };
}

export function analyzeShortSquares(
  sweeps: SweepTrace[],
  excluded: Exclusion[],
): ShortSquareResult | undefined {
  if (sweeps.length === 0) return undefined;
  const { start, end: stimEnd } = sweeps[0].epoch;
  const end = stimEnd + 0.05;
  let dvCutoff = 20;
  let threshFrac = 0.05;
  try {
    ({ dvCutoff, threshFrac } = adjustedDetection(sweeps, start, start + 0.001));
  } catch (err) {
    if (!(err instanceof FeatureError)) throw err;
  }
  // IPFX's short-square floor on the threshold fraction (max(0.1, x), NaN → 0.1).
  threshFrac = threshFrac > 0.1 ? threshFrac : 0.1;
  if (!Number.isFinite(dvCutoff)) dvCutoff = 20;
  const results = perSweep(sweeps, excluded, (s) => {
    const spikes = extractSpikes(s.t, s.v, s.i, {
      start,
      end: Math.min(end, s.t[s.t.length - 1]),
      filterKhz: besselCutoffFor(s.samplingRateHz),
      dvCutoff,
      threshFrac,
      rejectAtStimStart: 0.0002,
    });
    const idx = findTimeIndex(s.t, start);
    let stimAmp = s.epoch.amplitudePa;
    if (s.i) {
      stimAmp = -Infinity;
      for (let k = idx + 1; k < s.i.length; k++) stimAmp = Math.max(stimAmp, s.i[k]);
    }
    const r: SweepResult = {
      sweep_number: s.sweepNumber,
      protocol: 'short_square',
      stimulus_amplitude_pa: stimAmp,
      stim_amp: stimAmp,
      start,
      end,
      spikes,
      ...spikeTrainFeatures(spikes, start, end, true),
    };
    return r;
  }).map((r) => r.value);
  const spiking = results.filter((r) => r.avg_rate! > 0);
  const out: ShortSquareResult = {
    sweeps: results,
    common_amp_sweeps: [],
    dv_cutoff: dvCutoff,
    thresh_frac: threshFrac,
  };
  if (spiking.length === 0) return out;
  // Most common spiking amplitude; ties go to the lower amplitude.
  const counts = new Map<number, number>();
  for (const r of spiking) counts.set(r.stim_amp, (counts.get(r.stim_amp) ?? 0) + 1);
  const [amp] = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
  out.stimulus_amplitude = amp;
  out.common_amp_sweeps = spiking.filter((r) => r.stim_amp === amp);
  return out;
}

export interface RampResult {
  sweeps: SweepResult[];
  spiking_sweeps: SweepResult[];
}

export function analyzeRamps(sweeps: SweepTrace[], excluded: Exclusion[]): RampResult | undefined {
  if (sweeps.length === 0) return undefined;
  const { start } = sweeps[0].epoch;
  const results = perSweep(sweeps, excluded, (s) => {
    const end = s.t[s.t.length - 1];
    const spikes = extractSpikes(s.t, s.v, s.i, {
      start,
      filterKhz: besselCutoffFor(s.samplingRateHz),
    });
    const r: SweepResult = {
      sweep_number: s.sweepNumber,
      protocol: 'ramp',
      stimulus_amplitude_pa: s.epoch.amplitudePa,
      stim_amp: s.epoch.amplitudePa,
      start,
      end,
      spikes,
      ...spikeTrainFeatures(spikes, start, end),
    };
    return r;
  }).map((r) => r.value);
  return { sweeps: results, spiking_sweeps: results.filter((r) => r.avg_rate! > 0) };
}
