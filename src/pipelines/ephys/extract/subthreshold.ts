/**
 * Subthreshold features as IPFX `subthresh_features` defines them: baseline, voltage
 * deflection, sag, membrane time constant (single-exponential least-squares fit) and input
 * resistance (slope of peak deflection against current).
 */
import { argExtreme, averageVoltage, FeatureError, findTimeIndex, mean } from './time-series.js';

/** Mean v over the `interval` s before `start` (IPFX `baseline_voltage` with a start). */
export function baselineVoltage(
  t: ArrayLike<number>,
  v: ArrayLike<number>,
  start: number,
  interval = 0.1,
): number {
  return averageVoltage(v, t, start - interval, start);
}

/**
 * Extreme voltage in [start, end) and its index (IPFX `voltage_deflection`): the minimum or
 * maximum as asked, else the maximum when the current half-way through is ≥ 0.
 */
export function voltageDeflection(
  t: ArrayLike<number>,
  v: ArrayLike<number>,
  i: ArrayLike<number> | null,
  start: number,
  end: number,
  type?: 'min' | 'max',
): { v: number; index: number } {
  const a = findTimeIndex(t, start);
  const b = findTimeIndex(t, end);
  const kind =
    type ?? (i !== null && i[findTimeIndex(t, (end - start) / 2 + start)] >= 0 ? 'max' : 'min');
  const index = argExtreme(v, a, b, kind === 'max');
  return { v: v[index], index };
}

/**
 * Sag: how far the membrane relaxes from its most hyperpolarised point (mean over 5 ms)
 * back toward baseline (30 ms before the step) by the steady state (last 30 ms of the step)
 * (IPFX `sag`).
 */
export function sag(
  t: ArrayLike<number>,
  v: ArrayLike<number>,
  i: ArrayLike<number> | null,
  start: number,
  end: number,
): number {
  const peak = voltageDeflection(t, v, i, start, end, 'min');
  const vPeak = averageVoltage(v, t, t[peak.index] - 0.0025, t[peak.index] + 0.0025);
  const vBase = baselineVoltage(t, v, start, 0.03);
  const vSteady = averageVoltage(v, t, end - 0.03, end);
  return (vPeak - vSteady) / (vPeak - vBase);
}

/**
 * Least-squares fit of y0 + a·exp(−k·x) (what IPFX fits with scipy `curve_fit`): for each k
 * the best a and y0 are linear, so the fit is a 1-D search over k (log grid, then golden
 * section). Returns NaNs when the RMSE exceeds `rmseMax` mV, as IPFX does.
 */
export function fitExponential(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  rmseMax = 1,
): { a: number; k: number; y0: number; rmse: number } {
  const n = x.length;
  const nan = { a: NaN, k: NaN, y0: NaN, rmse: NaN };
  if (n < 3) return nan;
  const solve = (k: number) => {
    let se = 0,
      see = 0,
      sy = 0,
      sey = 0;
    for (let j = 0; j < n; j++) {
      const e = Math.exp(-k * x[j]);
      se += e;
      see += e * e;
      sy += y[j];
      sey += e * y[j];
    }
    const det = n * see - se * se;
    if (Math.abs(det) < 1e-300) return { a: 0, y0: sy / n, rss: Infinity };
    const a = (n * sey - se * sy) / det;
    const y0 = (sy - a * se) / n;
    let rss = 0;
    for (let j = 0; j < n; j++) rss += (y0 + a * Math.exp(-k * x[j]) - y[j]) ** 2;
    return { a, y0, rss };
  };
  const span = x[n - 1] - x[0];
  if (!(span > 0)) return nan;
  // k from 1/(1000·span) to 1000/dt covers every time constant the window can show.
  const lo = Math.log(1e-3 / span);
  const hi = Math.log(1e3 / Math.max(x[1] - x[0] || span / n, 1e-9));
  const steps = 200;
  let best = lo;
  let bestRss = Infinity;
  for (let s = 0; s <= steps; s++) {
    const lk = lo + ((hi - lo) * s) / steps;
    const r = solve(Math.exp(lk)).rss;
    if (r < bestRss) [best, bestRss] = [lk, r];
  }
  // Golden-section refinement around the best grid point.
  let a = best - (hi - lo) / steps;
  let b = best + (hi - lo) / steps;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 200 && b - a > 1e-12; it++) {
    const c = b - g * (b - a);
    const d = a + g * (b - a);
    if (solve(Math.exp(c)).rss < solve(Math.exp(d)).rss) b = d;
    else a = c;
  }
  const k = Math.exp((a + b) / 2);
  const fit = solve(k);
  const rmse = Math.sqrt(fit.rss / n);
  if (!(rmse <= rmseMax)) return nan;
  return { a: fit.a, k, y0: fit.y0, rmse };
}

/**
 * Membrane time constant (s) of a hyperpolarising step (IPFX `time_constant`): the
 * exponential fitted from where the response first reaches 10 % of the peak deflection to
 * the peak (or `maxFitEnd` if earlier); NaN when the signal-to-noise ratio (deflection / sd of
 * the 100 ms baseline) is below 20 or the fit is poor.
 */
export function timeConstant(
  t: ArrayLike<number>,
  v: ArrayLike<number>,
  i: ArrayLike<number> | null,
  start: number,
  end: number,
  maxFitEnd?: number,
): { tau: number; fitStart: number; fitEnd: number; a: number; y0: number } {
  const frac = 0.1;
  const baselineInterval = 0.1;
  let { v: vPeak, index: peakIndex } = voltageDeflection(t, v, i, start, end, 'min');
  if (maxFitEnd !== undefined) {
    peakIndex = Math.min(findTimeIndex(t, maxFitEnd), peakIndex);
    vPeak = v[peakIndex];
  }
  const vBase = baselineVoltage(t, v, start, baselineInterval);
  const startIndex = findTimeIndex(t, start);
  const noiseStart = findTimeIndex(t, start - baselineInterval);
  const m = mean(v, noiseStart, startIndex);
  let ss = 0;
  for (let k = noiseStart; k < startIndex; k++) ss += (v[k] - m) ** 2;
  const noise = Math.sqrt(ss / Math.max(1, startIndex - noiseStart));
  const snr = noise === 0 ? Infinity : Math.abs(vBase - vPeak) / noise;
  const none = { tau: NaN, fitStart: NaN, fitEnd: NaN, a: NaN, y0: NaN };
  if (snr < 20) return none;
  const level = frac * (vPeak - vBase) + vBase;
  let first = -1;
  for (let k = startIndex; k < v.length; k++)
    if (v[k] <= level) {
      first = k;
      break;
    }
  if (first < 0) throw new FeatureError('could not find interval for time constant estimate');
  const a = findTimeIndex(t, t[first]);
  const b = findTimeIndex(t, t[peakIndex]);
  const x = Array.from({ length: Math.max(0, b - a) }, (_, j) => t[a + j] - t[a]);
  const y = Array.from({ length: Math.max(0, b - a) }, (_, j) => v[a + j]);
  const fit = fitExponential(x, y);
  return { tau: 1 / fit.k, fitStart: t[a], fitEnd: t[b], a: fit.a, y0: fit.y0 };
}

/** Slope and intercept of the least-squares line through (x, y). */
export function lineFit(x: number[], y: number[]): { slope: number; intercept: number } {
  const mx = x.reduce((s, a) => s + a, 0) / x.length;
  const my = y.reduce((s, a) => s + a, 0) / y.length;
  let sxy = 0,
    sxx = 0;
  x.forEach((a, k) => {
    sxy += (a - mx) * (y[k] - my);
    sxx += (a - mx) ** 2;
  });
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/**
 * Input resistance (MΩ) from hyperpolarising sweeps (IPFX `input_resistance`): the slope of
 * peak deflection (mV) against the current at that moment (pA); a single sweep is paired
 * with its own baseline at 0 pA.
 */
export function inputResistance(
  sweeps: { t: ArrayLike<number>; v: ArrayLike<number>; i: ArrayLike<number> }[],
  start: number,
  end: number,
): number {
  const vs: number[] = [];
  const is: number[] = [];
  for (const s of sweeps) {
    const d = voltageDeflection(s.t, s.v, s.i, start, end, 'min');
    vs.push(d.v);
    is.push(s.i[d.index]);
  }
  if (vs.length === 1) {
    vs.push(baselineVoltage(sweeps[0].t, sweeps[0].v, start, 0.1));
    is.push(0);
  }
  return lineFit(is, vs).slope * 1e3;
}
