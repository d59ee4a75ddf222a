import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/random.js';
import { fitLogisticNewton } from '../../src/stats/logistic-newton.js';
import {
  applyLogitCombination,
  fitLogitCombination,
  logitOf,
} from '../../src/stats/logit-combination.js';

const logit = (p: number) => Math.log(p / (1 - p));

test('offsets alone, unpenalised: each unit gets the log-odds of its own spike fraction (closed form)', () => {
  const units = 3;
  const fractions = [0.1, 0.25, 0.5];
  const bins = 40;
  const labels = new Uint8Array(bins * units);
  fractions.forEach((f, u) => {
    for (let t = 0; t < bins * f; t++) labels[t * units + u] = 1;
  });
  const zero = new Float32Array(bins * units);
  const fit = fitLogitCombination([zero], labels, units, { fitSlopes: false, l2: 1e-12 });
  fit.offsets!.forEach((b, u) => assert.ok(Math.abs(b - logit(fractions[u])) < 1e-6, `${u}: ${b}`));
  assert.ok(fit.converged);
});

test('one binary stream and an offset: the slope is the log odds ratio (closed form)', () => {
  // z = 1 on half the bins with spike fraction 0.3, z = 0 on the rest with 0.1.
  const labels: number[] = [];
  const z: number[] = [];
  for (let t = 0; t < 1000; t++) {
    const on = t < 500;
    z.push(on ? 1 : 0);
    labels.push((on ? t : t - 500) < (on ? 150 : 50) ? 1 : 0);
  }
  const fit = fitLogitCombination([Float32Array.from(z)], labels, 1, { l2: 1e-12 });
  assert.ok(Math.abs(fit.offsets![0] - logit(0.1)) < 1e-6);
  assert.ok(Math.abs(fit.slopes[0] - (logit(0.3) - logit(0.1))) < 1e-6);
});

test('slopes without offsets equal a logistic regression through the origin (the Newton reference)', () => {
  // Three streams, the first constant 1 (an intercept): unpenalised, both are the same MLE.
  const rng = new Rng(4);
  const n = 3000;
  const streams = [new Float32Array(n).fill(1), new Float32Array(n), new Float32Array(n)];
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    streams[1][i] = rng.normal();
    streams[2][i] = rng.normal();
    const p = 1 / (1 + Math.exp(-(-1 + 0.8 * streams[1][i] - 0.5 * streams[2][i])));
    labels[i] = rng.uniform() < p ? 1 : 0;
  }
  const fit = fitLogitCombination(streams, labels, 1, { offsets: false, l2: 0 });
  const reference = fitLogisticNewton(
    {
      rows: n,
      columns: 2,
      row: (i, x) => {
        x[0] = streams[1][i];
        x[1] = streams[2][i];
        return labels[i];
      },
    },
    { l2: 0 },
  );
  assert.ok(Math.abs(fit.slopes[0] - reference.intercept) < 1e-6);
  assert.ok(Math.abs(fit.slopes[1] - reference.weights[0]) < 1e-6);
  assert.ok(Math.abs(fit.slopes[2] - reference.weights[1]) < 1e-6);
  const p = applyLogitCombination(fit, streams, 1);
  const eta = fit.slopes[0] + fit.slopes[1] * streams[1][7] + fit.slopes[2] * streams[2][7];
  assert.ok(Math.abs(p[7] - 1 / (1 + Math.exp(-eta))) < 1e-6);
});

test('a unit without spikes gets a finite offset under the penalty; logits of 0 and 1 stay finite', () => {
  const labels = new Uint8Array(200 * 2);
  for (let t = 0; t < 200; t += 10) labels[t * 2] = 1; // unit 1 never spikes
  const fit = fitLogitCombination([new Float32Array(400)], labels, 2, { fitSlopes: false });
  assert.ok(Number.isFinite(fit.offsets![1]) && fit.offsets![1] < -3);
  assert.ok(Number.isFinite(logitOf(0)) && Number.isFinite(logitOf(1)));
});

test('offsetL2 penalises the offsets alone: the stationary point of b ↦ Σ softplus − y b + offsetL2 b² / 2 (bisection)', () => {
  // One unit, 5 spikes in 1,000 bins, a zero stream: the offset solves
  // 1000 σ(b) − 5 + offsetL2 · b = 0, found here by bisection.
  const labels = new Uint8Array(1000);
  for (let t = 0; t < 5; t++) labels[t * 200] = 1;
  const zero = new Float32Array(1000);
  for (const offsetL2 of [1e-3, 1, 30]) {
    let lo = -30;
    let hi = 5;
    for (let i = 0; i < 200; i++) {
      const b = (lo + hi) / 2;
      if (1000 / (1 + Math.exp(-b)) - 5 + offsetL2 * b > 0) hi = b;
      else lo = b;
    }
    const fit = fitLogitCombination([zero], labels, 1, { fitSlopes: false, offsetL2 });
    assert.ok(
      Math.abs(fit.offsets![0] - lo) < 1e-6,
      `offsetL2 ${offsetL2}: ${fit.offsets![0]} vs ${lo}`,
    );
  }
  // The slopes keep their own penalty (l2): the same fit with and without a weak offset penalty
  // moves the offset, not the pull of the slope towards its start.
  const stream = Float32Array.from(zero, (_, i) => (i % 200 === 0 ? 1 : 0));
  const a = fitLogitCombination([stream], labels, 1, { l2: 1e6, initialSlopes: [0.5] });
  const b = fitLogitCombination([stream], labels, 1, {
    l2: 1e6,
    offsetL2: 1e-3,
    initialSlopes: [0.5],
  });
  assert.ok(Math.abs(a.slopes[0] - 0.5) < 1e-3 && Math.abs(b.slopes[0] - 0.5) < 1e-3);
  assert.ok(b.offsets![0] < a.offsets![0]);
});
