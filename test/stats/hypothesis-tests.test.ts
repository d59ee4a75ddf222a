import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/random.js';
import { UsageError } from '../../src/core/errors.js';
import {
  averageRanks,
  incompleteBeta,
  logGamma,
  meanSd,
  oneSampleTTest,
  pairedTTest,
  pearson,
  quantileSorted,
  correctedResampledTTest,
  spearman,
  studentTCdf,
  studentTTwoSided,
  welchTTest,
} from '../../src/stats/hypothesis-tests.js';
import { assertClose, loadFixture } from './reference.js';

interface TCase {
  t: number;
  df: number;
  cdf: number;
  twoSided: number;
}

test('Student t CDF and two-sided tail equal scipy to 1e-8 relative', () => {
  const { cases } = loadFixture<TCase>('tcdf');
  for (const c of cases) {
    const what = `t=${c.t} df=${c.df}`;
    assertClose(studentTCdf(c.t, c.df), c.cdf, 1e-8, `${what} cdf`, true);
    assertClose(studentTTwoSided(c.t, c.df), c.twoSided, 1e-8, `${what} p`, true);
  }
});

test('log-gamma and incomplete beta agree with closed forms', () => {
  let factorial = 1;
  for (let n = 1; n < 25; n++) {
    assertClose(logGamma(n + 1), Math.log((factorial *= n)), 1e-13, `lgamma(${n + 1})`);
  }
  assertClose(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-14, 'lgamma(1/2)');
  // I_x(a, 1) = x^a and I_x(1, b) = 1 − (1 − x)^b.
  const rng = new Rng(4);
  for (let i = 0; i < 200; i++) {
    const x = rng.uniform();
    const a = 0.1 + rng.uniform() * 30;
    assertClose(incompleteBeta(a, 1, x), x ** a, 1e-12, `I(${x}; ${a}, 1)`);
    assertClose(incompleteBeta(1, a, x), 1 - (1 - x) ** a, 1e-12, `I(${x}; 1, ${a})`);
  }
  assert.equal(incompleteBeta(2, 3, 0), 0);
  assert.equal(incompleteBeta(2, 3, 1), 1);
  // Cauchy (df = 1): P(T ≤ t) = ½ + atan(t)/π.
  for (const t of [-30, -2, -0.5, 0, 0.1, 4]) {
    assertClose(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-13, `cauchy ${t}`);
  }
});

test('Student t CDF equals numerical integration of the density', () => {
  for (const df of [1, 2.5, 4, 17.3, 90]) {
    const c = Math.exp(logGamma((df + 1) / 2) - logGamma(df / 2)) / Math.sqrt(df * Math.PI);
    const density = (x: number) => c * (1 + (x * x) / df) ** (-(df + 1) / 2);
    for (const t of [-4.5, -1.2, 0.3, 2, 5]) {
      const steps = 4000; // Simpson's rule on [0, t]
      const h = t / steps;
      let sum = density(0) + density(t);
      for (let k = 1; k < steps; k++) sum += (k % 2 ? 4 : 2) * density(k * h);
      assertClose(studentTCdf(t, df), 0.5 + (sum * h) / 3, 1e-10, `df=${df} t=${t}`);
    }
  }
});

interface TestsCase {
  name: string;
  a: number[];
  b: number[];
  c: number[];
  xi: number[];
  yi: number[];
  mu: number;
  oneSample: { t: number; p: number; df: number };
  welch: { t: number; p: number; df: number };
  paired: { t: number; p: number; df: number };
  pearson: { r: number; p: number };
  spearman: { r: number; p: number };
  meanSd: { mean: number; sd: number };
}

test('t-tests, correlations and meanSd equal scipy fixtures to 1e-8 relative', () => {
  const { cases } = loadFixture<TestsCase>('tests');
  const close = (a: number, e: number, what: string) => assertClose(a, e, 1e-8, what, true);
  for (const c of cases) {
    const checks: [string, { t: number; df: number; p: number }, TestsCase['welch']][] = [
      ['oneSample', oneSampleTTest(c.a, c.mu), c.oneSample],
      ['welch', welchTTest(c.a, c.b), c.welch],
      ['paired', pairedTTest(c.a, c.c), c.paired],
    ];
    for (const [name, got, want] of checks) {
      close(got.t, want.t, `${c.name} ${name} t`);
      close(got.df, want.df, `${c.name} ${name} df`);
      close(got.p, want.p, `${c.name} ${name} p`);
    }
    const pr = pearson(c.a, c.c);
    close(pr.r, c.pearson.r, `${c.name} pearson r`);
    close(pr.p, c.pearson.p, `${c.name} pearson p`);
    const sr = spearman(c.xi, c.yi);
    close(sr.r, c.spearman.r, `${c.name} spearman r`);
    close(sr.p, c.spearman.p, `${c.name} spearman p`);
    const ms = meanSd(c.a);
    close(ms.mean, c.meanSd.mean, `${c.name} mean`);
    close(ms.sd, c.meanSd.sd, `${c.name} sd`);
  }
});

test('average ranks, edge cases and errors', () => {
  assert.deepEqual(Array.from(averageRanks([10, 20, 10, 30, 20, 20])), [1.5, 4, 1.5, 6, 4, 4]);
  assert.deepEqual(meanSd([]).mean, NaN);
  assert.deepEqual(meanSd([3]), { mean: 3, sd: NaN });
  assert.deepEqual(meanSd([1, 2, 3]), { mean: 2, sd: 1 });
  assert.deepEqual(pearson([1, 1, 1], [1, 2, 3]), { r: NaN, p: NaN });
  assert.deepEqual(pearson([1, 2], [5, 3]), { r: -1, p: 1 });
  assert.equal(pearson([1, 2, 3, 4], [2, 4, 6, 8]).p, 0);
  assert.equal(spearman([1, 2, 3, 4], [1, 4, 9, 16]).r, 1);
  assert.throws(() => pearson([1], [1]), UsageError);
  assert.throws(() => pearson([1, 2, 3], [1, 2]), UsageError);
  assert.throws(() => spearman([1, 2], [1, 2]), UsageError);
  assert.throws(() => pairedTTest([1, 2, 3], [1, 2]), UsageError);
  assert.throws(() => oneSampleTTest([1]), UsageError);
});

test('corrected resampled t-test (Nadeau–Bengio) matches scipy; with no train/test overlap term it is ttest_rel', () => {
  // Reference: numpy/scipy 1.17, t = mean(d) / sqrt((1/J + 1/4) var(d, ddof=1)),
  // p = 2 * scipy.stats.t.sf(|t|, J - 1); ttest_rel(a, b) = (4.598554040837581, 0.0012931824146337183).
  const a = [0.71, 0.74, 0.69, 0.78, 0.75, 0.72, 0.7, 0.77, 0.73, 0.76];
  const b = [0.68, 0.73, 0.7, 0.71, 0.72, 0.69, 0.66, 0.74, 0.7, 0.71];
  const c = correctedResampledTTest(a, b, 1 / 4);
  assertClose(c.t, 2.458030527911299, 1e-12, 'corrected t');
  assertClose(c.p, 0.03627566391586581, 1e-9, 'corrected p');
  assert.equal(c.df, 9);
  const plain = correctedResampledTTest(a, b, 0);
  assertClose(plain.t, 4.598554040837581, 1e-12, 'ttest_rel t');
  assertClose(plain.p, 0.0012931824146337183, 1e-9, 'ttest_rel p');
  assert.throws(() => correctedResampledTTest([1, 2], [1], 0.25), UsageError);
});

test('quantileSorted interpolates linearly like numpy.percentile', () => {
  // numpy.percentile([3.2, -1, 7.5, 0.25, 4, 2, 9], [5, 25, 50, 75, 95]).
  const sorted = Float64Array.from([3.2, -1, 7.5, 0.25, 4, 2, 9]).sort();
  const want = [-0.625, 1.125, 3.2, 5.75, 8.549999999999999];
  [0.05, 0.25, 0.5, 0.75, 0.95].forEach((q, i) =>
    assertClose(quantileSorted(sorted, q), want[i], 1e-12, `q ${q}`),
  );
  assert.ok(Number.isNaN(quantileSorted([], 0.5)));
});
