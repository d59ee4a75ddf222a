import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/random.js';
import {
  binaryAccuracy,
  bitsPerSpike,
  blockLogLikelihoods,
  countsPerUnit,
  ksStatistic,
  pooledIsis,
  rateMatchedThreshold,
  youdenThreshold,
} from '../../src/stats/point-process.js';

function sample(n: number, seed: number, rate = 0.1) {
  const rng = new Rng(seed);
  const labels: number[] = Array.from({ length: n }, () => (rng.uniform() < rate ? 1 : 0));
  // Informative but noisy scores, rounded to create ties.
  const scores = labels.map((y) => Math.round((0.3 * y + rng.uniform() * 0.7) * 50) / 50);
  return { labels, scores };
}

test('bits per spike: 0 for the mean-rate null, matches a per-unit computation otherwise', () => {
  const units = 4;
  const { labels, scores } = sample(400, 1);
  const bins = 100;
  const rates = Array.from(
    { length: units },
    (_, u) => labels.filter((_, i) => i % units === u).reduce((a, b) => a + b, 0) / bins,
  );
  const nullScores = labels.map((_, i) => rates[i % units]);
  assert.ok(Math.abs(bitsPerSpike(nullScores, labels, units)) < 1e-12);
  // Independent: Σ_u Σ_t log2 of the likelihood ratio, unit by unit.
  let bits = 0;
  let spikes = 0;
  for (let u = 0; u < units; u++) {
    for (let t = 0; t < bins; t++) {
      const i = t * units + u;
      const p = scores[i] === 0 ? 1e-9 : scores[i] === 1 ? 1 - 1e-9 : scores[i];
      bits += labels[i] ? Math.log2(p / rates[u]) : Math.log2((1 - p) / (1 - rates[u]));
      spikes += labels[i];
    }
  }
  assert.ok(Math.abs(bitsPerSpike(scores, labels, units) - bits / spikes) < 1e-9);
});

test('block log-likelihoods: contiguous row blocks, each the plain Bernoulli sum of its bins', () => {
  const units = 3;
  const { labels, scores } = sample(3 * 25, 2);
  const blocks = blockLogLikelihoods(scores, labels, units, 4);
  // 25 rows into 4 blocks: rows 0–6, 7–12, 13–18, 19–24 (block = floor(4t/25)).
  const rowsOf = [
    [0, 7],
    [7, 13],
    [13, 19],
    [19, 25],
  ];
  rowsOf.forEach(([from, to], b) => {
    let sum = 0;
    for (let i = from * units; i < to * units; i++) {
      const p = Math.min(1 - 1e-9, Math.max(1e-9, scores[i]));
      sum += Math.log(labels[i] ? p : 1 - p);
    }
    assert.ok(Math.abs(blocks[b] - sum) < 1e-9, `block ${b}: ${blocks[b]} vs ${sum}`);
  });
});

test('rate-matched threshold predicts as many spikes as there are', () => {
  const { labels } = sample(1000, 2);
  const rng = new Rng(9);
  const scores = labels.map(() => rng.uniform()); // no ties
  const th = rateMatchedThreshold(scores, labels);
  const predicted = scores.filter((s) => s >= th).length;
  assert.equal(
    predicted,
    labels.reduce((a, b) => a + b, 0),
  );
});

test('binary accuracy and Youden threshold agree with brute force', () => {
  const { labels, scores } = sample(2000, 3);
  const acc = binaryAccuracy(scores, labels, 0.5);
  const pos = labels.filter((y) => y).length;
  const tp = labels.filter((y, i) => y && scores[i] >= 0.5).length;
  const tn = labels.filter((y, i) => !y && scores[i] < 0.5).length;
  assert.equal(acc.spikeAccuracy, tp / pos);
  assert.ok(Math.abs(acc.nonSpikeAccuracy - tn / (labels.length - pos)) < 1e-12);
  // Youden over every distinct threshold, brute force, FPR cap 0.05.
  const thresholds = [...new Set(scores)].sort((a, b) => b - a);
  const fpr = thresholds.map(
    (t) => labels.filter((y, i) => !y && scores[i] >= t).length / (labels.length - pos),
  );
  const tpr = thresholds.map((t) => labels.filter((y, i) => y && scores[i] >= t).length / pos);
  let best = -Infinity;
  let bestT = NaN;
  thresholds.forEach((t, k) => {
    if (fpr[k] <= 0.05 && tpr[k] - fpr[k] > best) {
      best = tpr[k] - fpr[k];
      bestT = t;
    }
  });
  assert.equal(youdenThreshold({ fpr, tpr, thresholds }, 0.05), bestT);
});

test('ISIs, counts and the KS statistic match hand and brute-force values', () => {
  // 2 units over 6 bins: unit 0 spikes at 0, 2, 5; unit 1 at 1, 2.
  const raster = [1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0];
  assert.deepEqual([...pooledIsis(raster, 2)].sort(), [1, 2, 3]);
  assert.deepEqual([...countsPerUnit(raster, 2)], [3, 2]);
  const rng = new Rng(5);
  const a = Array.from({ length: 300 }, () => Math.floor(rng.exponential(0.2)));
  const b = Array.from({ length: 200 }, () => Math.floor(rng.exponential(0.3)));
  const ecdf = (xs: number[], v: number) => xs.filter((x) => x <= v).length / xs.length;
  let d = 0;
  for (const v of [...a, ...b]) d = Math.max(d, Math.abs(ecdf(a, v) - ecdf(b, v)));
  assert.ok(Math.abs(ksStatistic(a, b) - d) < 1e-15);
  assert.equal(ksStatistic(a, a), 0);
});
