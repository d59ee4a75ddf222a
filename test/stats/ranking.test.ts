import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/random.js';
import { UsageError } from '../../src/core/errors.js';
import {
  averagePrecision,
  downsampleIndices,
  downsampleRocCurve,
  prAuc,
  prAucTrapezoid,
  prCurve,
  rankingMetrics,
  rocAuc,
  rocCurve,
} from '../../src/stats/ranking.js';
import { assertArrayClose, assertClose, loadFixture } from './reference.js';
import { rSetSeed } from './r-runif.js';

// Independent definitions, written the slow obvious way.
function bruteRocAuc(s: number[], y: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < s.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < s.length; j++) {
      if (y[j] !== 0) continue;
      pairs++;
      wins += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

/** Precision and recall of "predict 1 iff score ≥ t" for each distinct t, decreasing. */
function bruteSweep(s: number[], y: number[]) {
  const ts = [...new Set(s)].sort((a, b) => b - a);
  const positives = y.filter((v) => v === 1).length;
  return ts.map((t) => {
    let tp = 0;
    let fp = 0;
    for (let i = 0; i < s.length; i++) {
      if (s[i] >= t) {
        if (y[i] === 1) tp++;
        else fp++;
      }
    }
    return { t, tp, fp, precision: tp / (tp + fp), recall: tp / positives };
  });
}

function bruteAp(s: number[], y: number[]): number {
  let ap = 0;
  let prev = 0;
  for (const { precision, recall } of bruteSweep(s, y)) {
    ap += (recall - prev) * precision;
    prev = recall;
  }
  return ap;
}

/**
 * Davis–Goadrich interpolated PR area by numerical integration (composite Simpson on each
 * segment between thresholds): between the counts (tpA, fpA) and (tpB, fpB) the false
 * positives grow linearly with the true positives, precision = tp / (tp + fp).
 */
function bruteInterpolatedPrAuc(s: number[], y: number[]): number {
  const positives = y.filter((v) => v === 1).length;
  let area = 0;
  let tpA = 0;
  let fpA = 0;
  for (const { tp: tpB, fp: fpB } of bruteSweep(s, y)) {
    if (tpB > tpA) {
      const slope = (fpB - fpA) / (tpB - tpA);
      const f = (tp: number) => {
        const fp = fpA + slope * (tp - tpA);
        return tp + fp === 0 ? tpB / (tpB + fpB) : tp / (tp + fp);
      };
      const steps = 2000;
      const h = (tpB - tpA) / steps;
      let sum = f(tpA) + f(tpB);
      for (let k = 1; k < steps; k++) sum += (k % 2 ? 4 : 2) * f(tpA + k * h);
      area += ((h / 3) * sum) / positives;
    }
    tpA = tpB;
    fpA = fpB;
  }
  return area;
}

function bruteTrapezoidPrAuc(s: number[], y: number[]): number {
  let area = 0;
  let r0 = 0;
  let p0 = 1;
  for (const { precision, recall } of bruteSweep(s, y)) {
    area += ((recall - r0) * (precision + p0)) / 2;
    r0 = recall;
    p0 = precision;
  }
  return area;
}

function randomCase(rng: Rng) {
  const n = 2 + rng.int(80);
  const kind = rng.int(5);
  const rate = 0.05 + rng.uniform() * 0.9;
  const y: number[] = Array.from({ length: n }, () => (rng.uniform() < rate ? 1 : 0));
  // Both classes present: one forced positive, one forced negative at distinct places.
  const one = rng.int(n);
  const zero = (one + 1 + rng.int(n - 1)) % n;
  y[one] = 1;
  y[zero] = 0;
  const s = y.map((v) => {
    if (kind === 0) return rng.normal(v * 0.8);
    if (kind === 1) return rng.int(3) + v * rng.int(2); // heavy ties, integer scores
    if (kind === 2) return Math.round((rng.uniform() + 0.3 * v) * 5) / 5;
    if (kind === 3) return rng.int(2); // two values only
    return Math.round(rng.normal(v) * 2) / 2; // float32-exact, negatives and -0
  });
  return { s, y };
}

test('rocAuc, averagePrecision, prAuc, prAucTrapezoid equal brute force on 600 random inputs with ties', () => {
  const rng = new Rng(7);
  for (let c = 0; c < 600; c++) {
    const { s, y } = randomCase(rng);
    assertClose(rocAuc(s, y), bruteRocAuc(s, y), 1e-12, `rocAuc case ${c}`);
    assertClose(averagePrecision(s, y), bruteAp(s, y), 1e-12, `AP case ${c}`);
    assertClose(prAuc(s, y), bruteInterpolatedPrAuc(s, y), 1e-9, `prAuc case ${c}`);
    assertClose(prAucTrapezoid(s, y), bruteTrapezoidPrAuc(s, y), 1e-12, `trapezoid case ${c}`);
  }
});

test("prAuc equals R PRROC's auc.integral on its own test cases and closed forms", () => {
  // The generator first: R's documented outputs.
  assertClose(rSetSeed(1)(1)[0], 0.2655087, 1e-7, 'set.seed(1); runif(1)');
  assertArrayClose(rSetSeed(42)(3), [0.914806, 0.9370754, 0.2861395], 1e-6, 'set.seed(42)');
  // PRROC tests/testthat/test-PR.R: "value for random data (with specified seed)".
  const runif = rSetSeed(101);
  const positives = runif(100, 0.3, 1);
  const negatives = runif(100, 0, 0.6);
  const scores = [...positives, ...negatives];
  const labels = scores.map((_, i) => (i < 100 ? 1 : 0));
  assertClose(prAuc(scores, labels), 0.901869384113, 1e-11, 'PRROC seeded value');
  // "one score value" and "identical scores": the area is the positive fraction, 0.5.
  const half = Array.from({ length: 500 }, (_, i) => i % 2);
  assertClose(prAuc(new Array<number>(500).fill(1), half), 0.5, 1e-15, 'one score');
  const u = rSetSeed(7)(100);
  assertClose(prAuc([...u, ...u], [...u.map(() => 1), ...u.map(() => 0)]), 0.5, 1e-12, 'tied');
  // "worst": every negative above every positive; closed form 1 − (N/P)·ln(1 + P/N).
  for (const [p, n] of [
    [1000, 1000],
    [30, 70],
    [5, 2],
  ]) {
    const s = [
      ...Array.from({ length: p }, (_, i) => -i),
      ...Array.from({ length: n }, (_, i) => 1 + i),
    ];
    const y = s.map((_, i) => (i < p ? 1 : 0));
    assertClose(prAuc(s, y), 1 - (n / p) * Math.log1p(p / n), 1e-12, `worst ${p}/${n}`);
  }
  assertClose(1 - Math.log(2), 0.3068528194, 1e-10, "PRROC's worst-case constant");
  assert.equal(prAuc([3, 2, 1, 0], [1, 1, 0, 0]), 1);
});

test('a constant score gets chance under prAuc and AP, but (1 + prevalence) / 2 as a trapezoid', () => {
  const rng = new Rng(23);
  const y: number[] = Array.from({ length: 10000 }, () => (rng.uniform() < 0.01 ? 1 : 0));
  const prevalence = y.reduce((a, b) => a + b, 0) / y.length;
  const s = y.map(() => 0.3);
  assertClose(prAuc(s, y), prevalence, 1e-12, 'interpolated');
  assertClose(averagePrecision(s, y), prevalence, 1e-12, 'AP');
  assertClose(prAucTrapezoid(s, y), (1 + prevalence) / 2, 1e-12, 'trapezoid');
});

test('radix-sorted float32 path equals brute force on larger inputs', () => {
  const rng = new Rng(13);
  for (const n of [1500, 4000]) {
    const y: number[] = Array.from({ length: n }, () => (rng.uniform() < 0.3 ? 1 : 0));
    // Float32 scores with negatives, ±0, infinities and many ties.
    const s = Array.from(Float32Array.from(y, (v) => Math.round(rng.normal(v) * 40) / 7));
    s[0] = -0;
    s[1] = 0;
    s[2] = Infinity;
    s[3] = -Infinity;
    const s32 = Float32Array.from(s);
    assertClose(rocAuc(s32, y), bruteRocAuc(s, y), 1e-12, `rocAuc n=${n}`);
    assertClose(averagePrecision(s32, y), bruteAp(s, y), 1e-12, `AP n=${n}`);
    assertClose(prAuc(s32, y), bruteInterpolatedPrAuc(s, y), 1e-9, `prAuc n=${n}`);
    assertClose(prAucTrapezoid(s32, y), bruteTrapezoidPrAuc(s, y), 1e-12, `trapezoid n=${n}`);
    const thr = bruteSweep(s, y).map((p) => p.t);
    assert.deepEqual(Array.from(rocCurve(s32, y).thresholds.subarray(1)), thr);
  }
});

test('rankingMetrics equals the three single metrics', () => {
  const rng = new Rng(17);
  for (let c = 0; c < 50; c++) {
    const { s, y } = randomCase(rng);
    assert.deepEqual(rankingMetrics(s, y), {
      rocAuc: rocAuc(s, y),
      averagePrecision: averagePrecision(s, y),
      prAuc: prAuc(s, y),
      prAucTrapezoid: prAucTrapezoid(s, y),
    });
  }
});

test('curves equal a brute-force threshold sweep', () => {
  const rng = new Rng(11);
  for (let c = 0; c < 100; c++) {
    const { s, y } = randomCase(rng);
    const sweep = bruteSweep(s, y);
    const negatives = y.filter((v) => v === 0).length;
    const roc = rocCurve(s, y);
    assert.equal(roc.thresholds.length, sweep.length + 1);
    assert.equal(roc.thresholds[0], Infinity);
    assert.equal(roc.fpr[0], 0);
    assert.equal(roc.tpr[0], 0);
    sweep.forEach((pt, k) => {
      assert.equal(roc.thresholds[k + 1], pt.t);
      const fp = s.filter((v, i) => v >= pt.t && y[i] === 0).length;
      assertClose(roc.fpr[k + 1], fp / negatives, 1e-15, 'fpr');
      assertClose(roc.tpr[k + 1], pt.recall, 1e-15, 'tpr');
    });
    const pr = prCurve(s, y);
    const m = sweep.length;
    assert.equal(pr.thresholds.length, m);
    assert.equal(pr.precision[m], 1);
    assert.equal(pr.recall[m], 0);
    sweep.forEach((pt, k) => {
      assert.equal(pr.thresholds[m - 1 - k], pt.t);
      assertClose(pr.precision[m - 1 - k], pt.precision, 1e-15, 'precision');
      assertClose(pr.recall[m - 1 - k], pt.recall, 1e-15, 'recall');
    });
  }
});

interface RankingCase {
  name: string;
  scores: number[];
  labels: number[];
  rocAuc: number;
  averagePrecision: number;
  prAuc: number;
  roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
  pr: { precision: number[]; recall: number[]; thresholds: number[] };
}

test('ranking metrics and curves equal scikit-learn fixtures', () => {
  const { cases } = loadFixture<RankingCase>('ranking');
  assert.ok(cases.length >= 10);
  for (const c of cases) {
    assertClose(rocAuc(c.scores, c.labels), c.rocAuc, 1e-9, `${c.name} rocAuc`);
    assertClose(averagePrecision(c.scores, c.labels), c.averagePrecision, 1e-9, `${c.name} AP`);
    assertClose(prAucTrapezoid(c.scores, c.labels), c.prAuc, 1e-9, `${c.name} prAuc`);
    const roc = rocCurve(c.scores, c.labels);
    assertArrayClose(roc.fpr, c.roc.fpr, 1e-12, `${c.name} fpr`);
    assertArrayClose(roc.tpr, c.roc.tpr, 1e-12, `${c.name} tpr`);
    assertArrayClose(roc.thresholds.subarray(1), c.roc.thresholds, 0, `${c.name} roc thr`);
    const pr = prCurve(c.scores, c.labels);
    assertArrayClose(pr.precision, c.pr.precision, 1e-12, `${c.name} precision`);
    assertArrayClose(pr.recall, c.pr.recall, 1e-12, `${c.name} recall`);
    assertArrayClose(pr.thresholds, c.pr.thresholds, 0, `${c.name} pr thr`);
  }
});

test('typed-array inputs give the same values as plain arrays', () => {
  const rng = new Rng(3);
  const n = 5000;
  const y = Array.from({ length: n }, () => (rng.uniform() < 0.2 ? 1 : 0));
  const s = y.map((v) => Math.fround(rng.uniform() + 0.3 * v));
  const s32 = Float32Array.from(s);
  const y8 = Uint8Array.from(y);
  for (const f of [rocAuc, averagePrecision, prAuc, prAucTrapezoid]) {
    const ref = f(s, y);
    assert.equal(f(s32, y8), ref);
    assert.equal(f(Float64Array.from(s), Float64Array.from(y)), ref);
  }
  // Integer-valued Uint8 scores (e.g. spike counts) work too.
  const counts = Uint8Array.from(y, (v) => v + rng.int(3));
  assertClose(rocAuc(counts, y8), bruteRocAuc(Array.from(counts), y), 1e-12, 'uint8 scores');
});

test('special cases: perfect, inverted, all tied, signed zeros, infinities', () => {
  assert.equal(rocAuc([1, 2, 3, 4], [0, 0, 1, 1]), 1);
  assert.equal(rocAuc([1, 2, 3, 4], [1, 1, 0, 0]), 0);
  assert.equal(rocAuc([5, 5, 5, 5], [1, 0, 1, 0]), 0.5);
  assert.equal(averagePrecision([5, 5, 5, 5], [1, 0, 0, 0]), 0.25);
  assert.equal(rocAuc([-0, 0], [1, 0]), 0.5);
  assert.equal(rocAuc([-Infinity, 1, Infinity], [0, 1, 1]), 1);
  assert.equal(rocCurve([-0, 0, 1], [1, 0, 1]).thresholds.length, 3);
});

test('ranking: invalid input is refused with UsageError', () => {
  for (const f of [rocAuc, averagePrecision, prAuc, prAucTrapezoid, rocCurve, prCurve]) {
    assert.throws(() => f([1, 2], [0]), UsageError);
    assert.throws(() => f([1, 2], [0, 2]), /labels must be 0 or 1/);
    assert.throws(() => f([1, NaN], [0, 1]), /NaN/);
    assert.throws(() => f([1, 2], [1, 1]), /only one class/);
    assert.throws(() => f([1, 2], [0, 0]), /only one class/);
    assert.throws(() => f([], []), /only one class/);
  }
});

test('downsampling keeps the ends, bounds the size and keeps the area', () => {
  const rng = new Rng(5);
  const n = 100000;
  const y = Array.from({ length: n }, () => (rng.uniform() < 0.3 ? 1 : 0));
  const s = y.map((v) => rng.normal(v));
  const roc = rocCurve(s, y);
  const small = downsampleRocCurve(roc, 200);
  assert.ok(small.fpr.length <= 200, `${small.fpr.length} points`);
  assert.equal(small.fpr[0], 0);
  assert.equal(small.tpr[small.tpr.length - 1], 1);
  assert.equal(small.thresholds[0], Infinity);
  // Trapezoid area of the thinned curve stays close to the exact AUC.
  let area = 0;
  for (let i = 1; i < small.fpr.length; i++) {
    area += ((small.fpr[i] - small.fpr[i - 1]) * (small.tpr[i] + small.tpr[i - 1])) / 2;
  }
  assertClose(area, rocAuc(s, y), 1e-3, 'thinned area');
  assert.deepEqual(downsampleIndices([0, 1], [0, 1], 10), [0, 1]);
  // Path length 2: with 2 points only the ends remain; with 3 (step 1) the corner at index 2.
  assert.deepEqual(downsampleIndices([0, 0, 0, 0.5, 1], [0, 0.3, 1, 1, 1], 2), [0, 4]);
  assert.deepEqual(downsampleIndices([0, 0, 0, 0.5, 1], [0, 0.3, 1, 1, 1], 3), [0, 2, 4]);
});

test('a million points in well under a few seconds', () => {
  const rng = new Rng(9);
  const n = 1_000_000;
  const labels = new Uint8Array(n);
  const scores = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = rng.uniform() < 0.05 ? 1 : 0;
    scores[i] = Math.round((rng.uniform() + 0.2 * labels[i]) * 1000) / 1000;
  }
  const start = performance.now();
  const auc = rocAuc(scores, labels);
  const ap = averagePrecision(scores, labels);
  const elapsed = performance.now() - start;
  assert.ok(auc > 0.6 && auc < 0.8, `auc ${auc}`);
  assert.ok(ap > 0.05 && ap < 1, `ap ${ap}`);
  assert.ok(elapsed < 5000, `${elapsed} ms`);
});

test('downsampleIndices keeps at most maxPoints points, endpoints included', async () => {
  const { downsampleIndices } = await import('../../src/stats/ranking.js');
  // A zig-zag path much longer than 2 (precision-like y) and a monotone one.
  const n = 20_000;
  const x = Array.from({ length: n }, (_, i) => i / (n - 1));
  const zigzag = x.map((_, i) => (i % 2 ? 1 : 0));
  for (const y of [zigzag, x]) {
    for (const maxPoints of [2, 10, 500]) {
      const kept = downsampleIndices(x, y, maxPoints);
      assert.ok(kept.length <= maxPoints, `${kept.length} > ${maxPoints}`);
      assert.equal(kept[0], 0);
      assert.equal(kept[kept.length - 1], n - 1);
    }
  }
});
