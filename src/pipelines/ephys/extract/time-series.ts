/**
 * Time-series helpers of the IPFX-equivalent extraction (IPFX `time_series_utils`): nearest
 * time index, window means, and dV/dt after the 4-pole low-pass Bessel filter that IPFX
 * applies forwards and backwards (scipy `bessel(4, Wn, 'low')` + `filtfilt`), so spike
 * indices match IPFX's sample for sample.
 */

/** A feature that cannot be computed from this sweep (IPFX's FeatureError): the sweep is excluded with this reason. */
export class FeatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeatureError';
  }
}

/** Whether all time steps are equal (IPFX `has_fixed_dt`: numpy allclose, rtol 1e-5, atol 1e-8). */
export function hasFixedDt(t: ArrayLike<number>): boolean {
  if (t.length < 2) return true;
  const dt0 = t[1] - t[0];
  for (let k = 1; k < t.length; k++)
    if (Math.abs(t[k] - t[k - 1] - dt0) > 1e-8 + 1e-5 * Math.abs(dt0)) return false;
  return true;
}

/**
 * Index of the sample nearest to `t0` (IPFX `find_time_index`: argmin |t - t0|, first of
 * ties); a time outside the trace is a FeatureError, as IPFX's assertion.
 */
export function findTimeIndex(t: ArrayLike<number>, t0: number): number {
  const n = t.length;
  if (!(t[0] <= t0 && t0 <= t[n - 1]))
    throw new FeatureError(
      `time ${t0.toFixed(4)} s is outside the sweep (${t[0].toFixed(4)} to ${t[n - 1].toFixed(4)} s)`,
    );
  const dt = (t[n - 1] - t[0]) / (n - 1);
  let guess = Math.round((t0 - t[0]) / dt);
  if (guess >= 0 && guess < n && n > 2 && Math.abs(t[guess] - t0) <= dt) {
    // Uniform sampling: the nearest sample is the guess or a neighbour; first of ties.
    let best = Math.max(0, guess - 1);
    for (let k = best + 1; k <= Math.min(n - 1, guess + 1); k++)
      if (Math.abs(t[k] - t0) < Math.abs(t[best] - t0)) best = k;
    guess = best;
    if (hasFixedDtCached(t)) return guess;
  }
  let best = 0;
  for (let k = 1; k < n; k++) if (Math.abs(t[k] - t0) < Math.abs(t[best] - t0)) best = k;
  return best;
}

const fixedCache = new WeakMap<object, boolean>();
function hasFixedDtCached(t: ArrayLike<number>): boolean {
  const key = t as unknown as object;
  let v = fixedCache.get(key);
  if (v === undefined) fixedCache.set(key, (v = hasFixedDt(t)));
  return v;
}

/** Mean of v over [index(start), index(end)) (IPFX `average_voltage`). */
export function averageVoltage(
  v: ArrayLike<number>,
  t: ArrayLike<number>,
  start: number,
  end: number,
): number {
  const a = findTimeIndex(t, start);
  const b = findTimeIndex(t, end);
  return mean(v, a, b);
}

export function mean(x: ArrayLike<number>, a = 0, b = x.length): number {
  let s = 0;
  for (let k = a; k < b; k++) s += x[k];
  return s / (b - a);
}

/** Index of the minimum (or maximum) of x[a, b), first of ties (numpy argmin/argmax). */
export function argExtreme(x: ArrayLike<number>, a: number, b: number, max = false): number {
  if (b <= a) throw new FeatureError('empty interval where a minimum or maximum was needed');
  let best = a;
  for (let k = a + 1; k < b; k++) if (max ? x[k] > x[best] : x[k] < x[best]) best = k;
  return best;
}

// Roots of the reverse Bessel polynomial s⁴ + 10s³ + 45s² + 105s + 105 (one of each
// conjugate pair), polished below by Newton's method; scipy's `besselap(4, 'phase')` scales
// them by 105^(-1/4) so the phase response matches the delay at high frequency.
const BESSEL4_POLES: [number, number][] = [
  [-2.1037893971796273, 2.6574180418567526],
  [-2.8962106028203725, 0.8672341289345038],
];

function polishedBesselPoles(): [number, number][] {
  const c = [1, 10, 45, 105, 105];
  return BESSEL4_POLES.map(([re0, im0]) => {
    let re = re0;
    let im = im0;
    for (let it = 0; it < 4; it++) {
      // Horner for p(z) and p'(z) in complex arithmetic.
      let pr = 0,
        pi = 0,
        dr = 0,
        di = 0;
      for (const a of c) {
        [dr, di] = [dr * re - di * im + pr, dr * im + di * re + pi];
        [pr, pi] = [pr * re - pi * im + a, pr * im + pi * re];
      }
      const den = dr * dr + di * di;
      if (den === 0) break;
      re -= (pr * dr + pi * di) / den;
      im -= (pi * dr - pr * di) / den;
    }
    return [re, im];
  });
}

/**
 * Coefficients (b, a) of scipy's `bessel(4, cutoffHz / nyquist, 'low')`: the phase-normalised
 * analog prototype, prewarped and mapped by the bilinear transform (fs = 2 in scipy's units).
 */
export function bessel4(wn: number): { b: number[]; a: number[] } {
  if (!(wn > 0 && wn < 1))
    throw new FeatureError(`Bessel cutoff ${wn} of Nyquist is outside (0, 1)`);
  const scale = 105 ** -0.25;
  const warped = 4 * Math.tan((Math.PI * wn) / 2);
  let gain = warped ** 4;
  const quadratics: number[][] = [];
  for (const [re0, im0] of polishedBesselPoles()) {
    const re = re0 * scale * warped;
    const im = im0 * scale * warped;
    // z-pole (4 + p) / (4 − p) of each conjugate pair: z² − 2 Re(z) z + |z|².
    const nr = 4 + re,
      ni = im,
      dr = 4 - re,
      di = -im;
    const dd = dr * dr + di * di;
    const zr = (nr * dr + ni * di) / dd;
    const zi = (ni * dr - nr * di) / dd;
    quadratics.push([1, -2 * zr, zr * zr + zi * zi]);
    gain /= dd;
  }
  const [q1, q2] = quadratics;
  const a = [0, 0, 0, 0, 0];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) a[i + j] += q1[i] * q2[j];
  const b = [1, 4, 6, 4, 1].map((x) => x * gain);
  return { b, a };
}

/** Direct-form II transposed filter with initial state zi (scipy `lfilter`, a[0] = 1). */
function lfilter(b: number[], a: number[], x: Float64Array, zi: number[]): Float64Array {
  const m = b.length - 1;
  const z = zi.slice();
  const y = new Float64Array(x.length);
  for (let n = 0; n < x.length; n++) {
    const yn = b[0] * x[n] + z[0];
    for (let i = 0; i < m - 1; i++) z[i] = b[i + 1] * x[n] + z[i + 1] - a[i + 1] * yn;
    z[m - 1] = b[m] * x[n] - a[m] * yn;
    y[n] = yn;
  }
  return y;
}

/** Steady-state filter state for a unit step (scipy `lfilter_zi`). */
function lfilterZi(b: number[], a: number[]): number[] {
  const m = b.length - 1;
  const g = b.reduce((s, x) => s + x, 0) / a.reduce((s, x) => s + x, 0);
  const zi = new Array<number>(m).fill(0);
  zi[m - 1] = b[m] - a[m] * g;
  for (let i = m - 2; i >= 0; i--) zi[i] = b[i + 1] - a[i + 1] * g + zi[i + 1];
  return zi;
}

/** Zero-phase filtering as scipy `filtfilt` with its defaults (odd extension of 3 × taps). */
export function filtfilt(b: number[], a: number[], x: ArrayLike<number>): Float64Array {
  const edge = 3 * Math.max(a.length, b.length);
  const n = x.length;
  if (n <= edge) throw new FeatureError(`a trace of ${n} samples is too short to filter`);
  const ext = new Float64Array(n + 2 * edge);
  for (let k = 0; k < edge; k++) ext[k] = 2 * x[0] - x[edge - k];
  for (let k = 0; k < n; k++) ext[edge + k] = x[k];
  for (let k = 0; k < edge; k++) ext[edge + n + k] = 2 * x[n - 1] - x[n - 2 - k];
  const zi = lfilterZi(b, a);
  const forward = lfilter(
    b,
    a,
    ext,
    zi.map((z) => z * ext[0]),
  );
  forward.reverse();
  const backward = lfilter(
    b,
    a,
    forward,
    zi.map((z) => z * forward[0]),
  );
  backward.reverse();
  return backward.slice(edge, edge + n);
}

/**
 * dV/dt in V/s (= mV/ms) after low-pass filtering at `filterKhz` (IPFX `calculate_dvdt`):
 * filtered only when time steps are uniform; steps of zero length (duplicate timestamps)
 * are dropped, which shortens the result as in IPFX. A cutoff at or above Nyquist is a
 * FeatureError (see `besselCutoffFor` for the extraction's choice).
 */
export function calculateDvdt(
  v: ArrayLike<number>,
  t: ArrayLike<number>,
  filterKhz: number | null,
): Float64Array {
  let vf: ArrayLike<number> = v;
  if (filterKhz && hasFixedDt(t)) {
    const rate = 1 / (t[1] - t[0]);
    const { b, a } = bessel4((filterKhz * 1e3) / (rate / 2));
    vf = filtfilt(b, a, v);
  }
  const out: number[] = [];
  for (let k = 0; k + 1 < t.length; k++) {
    const dt = t[k + 1] - t[k];
    if (Math.abs(dt) > Number.EPSILON) out.push((1e-3 * (vf[k + 1] - vf[k])) / dt);
  }
  return Float64Array.from(out);
}

/**
 * The Bessel cutoff IPFX would use at this sampling rate: 10 kHz, and none when 10 kHz is at
 * or above Nyquist (IPFX raises there; e.g. 20 kHz recordings are differentiated unfiltered).
 */
export function besselCutoffFor(samplingRateHz: number, wantedKhz = 10): number | null {
  return wantedKhz * 1e3 < samplingRateHz / 2 ? wantedKhz : null;
}
