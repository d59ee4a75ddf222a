/**
 * Classical tests with two-sided p-values, defined as in scipy 1.10: one-sample, Welch and
 * paired t-tests, Pearson and Spearman correlation. The Student t tail comes from the
 * regularized incomplete beta function, written here (Lentz continued fraction + Lanczos
 * log-gamma) because no small, maintained npm package provides it and pulling in a large
 * numerics library for one function is not worth the dependency.
 */
import { UsageError } from '../core/errors.js';

export interface TTestResult {
  t: number;
  df: number;
  /** Two-sided. */
  p: number;
}

export interface CorrelationResult {
  r: number;
  /** Two-sided; NaN when r is undefined (constant input), as scipy. */
  p: number;
}

// Lanczos approximation, g = 7, 9 terms: ~15 significant digits for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** log Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction for I_x(a, b) by the modified Lentz method (Numerical Recipes §6.4). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) return h;
  }
  return h; // not converged in 10^4 terms: only for extreme a, b; result still close
}

/**
 * Regularized incomplete beta I_x(a, b). `y` = 1 − x may be passed when the caller knows it
 * more precisely than 1 − x can be computed (e.g. t²/(df + t²)).
 */
export function incompleteBeta(a: number, b: number, x: number, y = 1 - x): number {
  if (!(a > 0 && b > 0)) throw new UsageError(`incompleteBeta: a and b must be > 0`);
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const logFront =
    a * Math.log(x) + b * Math.log(y) - (logGamma(a) + logGamma(b) - logGamma(a + b));
  // The fraction converges fast only on the near side of the mean; use symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(b, a, y)) / b;
}

/** Two-sided tail P(|T| ≥ |t|) of Student's t with df degrees of freedom. */
export function studentTTwoSided(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (!Number.isFinite(t)) return 0;
  const t2 = t * t;
  return Math.min(1, incompleteBeta(df / 2, 0.5, df / (df + t2), t2 / (df + t2)));
}

/** Student t cumulative distribution function P(T ≤ t). */
export function studentTCdf(t: number, df: number): number {
  const tail = studentTTwoSided(t, df) / 2;
  return t < 0 ? tail : 1 - tail;
}

/** Mean and sample standard deviation (ddof = 1). Empty → NaN mean; n < 2 → NaN sd. */
export function meanSd(xs: ArrayLike<number>): { mean: number; sd: number } {
  const n = xs.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += xs[i];
  const mean = n ? sum / n : NaN;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (xs[i] - mean) ** 2;
  return { mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : NaN };
}

/** The q-quantile of ascending `sorted` values, interpolated linearly (numpy's default); empty → NaN. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function needAtLeast(fn: string, what: string, n: number, min: number): void {
  if (n < min) throw new UsageError(`${fn}: ${what} has ${n} values, need at least ${min}`);
}

/** H0: mean(xs) = mu (scipy `ttest_1samp`). */
export function oneSampleTTest(xs: ArrayLike<number>, mu = 0): TTestResult {
  needAtLeast('oneSampleTTest', 'xs', xs.length, 2);
  const { mean, sd } = meanSd(xs);
  const n = xs.length;
  const t = (mean - mu) / Math.sqrt((sd * sd) / n);
  const df = n - 1;
  return { t, df, p: studentTTwoSided(t, df) };
}

/** H0: equal means, variances not assumed equal (scipy `ttest_ind(equal_var=False)`). */
export function welchTTest(a: ArrayLike<number>, b: ArrayLike<number>): TTestResult {
  needAtLeast('welchTTest', 'a', a.length, 2);
  needAtLeast('welchTTest', 'b', b.length, 2);
  const sa = meanSd(a);
  const sb = meanSd(b);
  const va = (sa.sd * sa.sd) / a.length;
  const vb = (sb.sd * sb.sd) / b.length;
  const t = (sa.mean - sb.mean) / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / ((va * va) / (a.length - 1) + (vb * vb) / (b.length - 1));
  return { t, df, p: studentTTwoSided(t, df) };
}

/** H0: mean(a − b) = 0 for paired samples (scipy `ttest_rel`). */
export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>): TTestResult {
  if (a.length !== b.length) {
    throw new UsageError(`pairedTTest: a has ${a.length} values, b has ${b.length}`);
  }
  const d = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) d[i] = a[i] - b[i];
  return oneSampleTTest(d, 0);
}

/**
 * Corrected resampled t-test (Nadeau & Bengio 2003, Machine Learning 52:239) for two models
 * scored on the same J train/test splits of one data set. The splits' training sets overlap,
 * so the paired t-test's variance estimate var(d)/J is too small; this one uses
 * (1/J + nTest/nTrain)·var(d), df = J − 1. `testToTrain` is nTest/nTrain (1/(k−1) for k folds).
 */
export function correctedResampledTTest(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  testToTrain: number,
): TTestResult {
  if (a.length !== b.length)
    throw new UsageError(`correctedResampledTTest: a has ${a.length} values, b has ${b.length}`);
  needAtLeast('correctedResampledTTest', 'a', a.length, 2);
  const d = Float64Array.from(a, (x, i) => x - b[i]);
  const { mean, sd } = meanSd(d);
  const t = mean / Math.sqrt((1 / d.length + testToTrain) * sd * sd);
  const df = d.length - 1;
  return { t, df, p: studentTTwoSided(t, df) };
}

function isConstant(xs: ArrayLike<number>): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i] !== xs[0]) return false;
  return true;
}

function correlationOf(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const mx = meanSd(x).mean;
  const my = meanSd(y).mean;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** p for H0: ρ = 0, via t = r√(df/(1 − r²)), df = n − 2; equals scipy's beta form. */
function correlationP(r: number, n: number): number {
  if (n <= 2) return 1;
  const ar = Math.abs(r);
  return Math.min(1, incompleteBeta((n - 2) / 2, 0.5, (1 - ar) * (1 + ar), ar * ar));
}

function checkXY(fn: string, x: ArrayLike<number>, y: ArrayLike<number>, min: number): void {
  if (x.length !== y.length) {
    throw new UsageError(`${fn}: x has ${x.length} values, y has ${y.length}`);
  }
  needAtLeast(fn, 'x', x.length, min);
}

/** Pearson r with two-sided p (scipy `pearsonr`; constant input → NaN, n = 2 → p = 1). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): CorrelationResult {
  checkXY('pearson', x, y, 2);
  if (isConstant(x) || isConstant(y)) return { r: NaN, p: NaN };
  const r = correlationOf(x, y);
  return { r, p: correlationP(r, x.length) };
}

/** Ranks 1..n with ties given their average rank (scipy `rankdata(method="average")`). */
export function averageRanks(xs: ArrayLike<number>): Float64Array {
  const n = xs.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => xs[i] - xs[j]);
  const ranks = new Float64Array(n);
  for (let start = 0; start < n;) {
    let end = start + 1;
    while (end < n && xs[order[end]] === xs[order[start]]) end++;
    const rank = (start + end + 1) / 2; // mean of 1-based ranks start+1..end
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

/** Spearman ρ with two-sided p by the t approximation (scipy `spearmanr`). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): CorrelationResult {
  checkXY('spearman', x, y, 3);
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]) || Number.isNaN(y[i])) throw new UsageError(`spearman: NaN at ${i}`);
  }
  if (isConstant(x) || isConstant(y)) return { r: NaN, p: NaN };
  const r = correlationOf(averageRanks(x), averageRanks(y));
  return { r, p: correlationP(r, x.length) };
}
