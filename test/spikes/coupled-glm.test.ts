import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fitCoupledGlm,
  raisedCosineBasis,
} from '../../src/pipelines/spikes/baselines/coupled-glm.js';
import { fitMultiScaleGlm } from '../../src/pipelines/spikes/baselines/multiscale-glm.js';
import { sliceBins } from '../../src/pipelines/spikes/data/raster.js';
import { minimizeLbfgs } from '../../src/stats/lbfgs.js';
import { bitsPerSpike } from '../../src/stats/point-process.js';
import { Rng } from '../../src/core/random.js';

test('L-BFGS finds the Rosenbrock minimum', () => {
  const r = minimizeLbfgs(
    (x, g) => {
      const [a, b] = x;
      g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
      g[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    },
    Float64Array.from([-1.2, 1]),
    { maxIterations: 500, relativeTolerance: 0, gradientTolerance: 1e-9 },
  );
  assert.ok(Math.abs(r.x[0] - 1) < 1e-6 && Math.abs(r.x[1] - 1) < 1e-6, `${r.x}`);
});

test("raised cosines follow Pillow's formula: peaks at lag 1 and maxLag / 2, ±2 spacings wide", () => {
  const basis = raisedCosineBasis(64, 4);
  const column = (k: number) => basis.map((row) => row[k]);
  assert.equal(basis[1][0], 1, 'first basis peaks at lag 1');
  assert.ok(Math.abs(basis[32][3] - 1) < 1e-12, 'last basis peaks at lag 32');
  assert.deepEqual(basis[0], Float64Array.from([0, 0, 0, 0]), 'lag 0 is unseen');
  const spacing = (Math.log(33) - Math.log(2)) / 3;
  const lag = 10;
  const phase = ((Math.log(lag + 1) - (Math.log(2) + spacing)) * Math.PI) / spacing / 2;
  assert.ok(Math.abs(basis[lag][1] - (Math.cos(phase) + 1) / 2) < 1e-12);
  assert.ok(
    column(0)[11] > 0 && Math.max(...column(0).slice(12)) === 0,
    'the first basis ends 2 spacings (lag 11.9) on',
  );
});

/** Unit 1 fires 4–6 bins after unit 0; units 2 and 3 are independent Poisson noise. */
function drivenRaster(bins: number, seed: number) {
  const rng = new Rng(seed);
  const U = 4;
  const data = new Uint8Array(bins * U);
  for (let t = 0; t < bins; t++) {
    data[t * U] = rng.uniform() < 0.03 ? 1 : 0;
    let driven = 0.005;
    for (let lag = 4; lag <= 6; lag++) if (t >= lag && data[(t - lag) * U]) driven = 0.3;
    data[t * U + 1] = rng.uniform() < driven ? 1 : 0;
    data[t * U + 2] = rng.uniform() < 0.02 ? 1 : 0;
    data[t * U + 3] = rng.uniform() < 0.01 ? 1 : 0;
  }
  return { bins, units: U, data };
}

test('the coupled GLM reaches the penalised optimum and learns a unit-to-unit filter', () => {
  const all = drivenRaster(12_000, 3);
  const train = sliceBins(all, 0, 8000);
  const testSplit = sliceBins(all, 8000, 12_000);
  const glm = fitCoupledGlm(train, { maxLag: 16, bases: 3, l2: 0.1, maxIterations: 500 });
  // Optimality, checked in float64 independently of the libtorch GEMMs used to fit:
  // ∇ = Xᵀ(σ(Xw + b) − y) + l2·w ≈ 0, with X rebuilt here by direct convolution.
  const basis = raisedCosineBasis(16, 3);
  const sums = [0, 1, 2].map((k) => basis.reduce((s, row) => s + row[k], 0));
  const U = 4;
  const K = 3;
  const D = U * K;
  const grad = new Float64Array(D * U);
  const gradB = new Float64Array(U);
  const x = new Float64Array(D);
  for (let t = 0; t < train.bins; t++) {
    x.fill(0);
    for (let lag = 1; lag < 16 && lag <= t; lag++)
      for (let v = 0; v < U; v++)
        if (train.data[(t - lag) * U + v])
          for (let k = 0; k < K; k++) x[v * K + k] += basis[lag][k] / sums[k];
    for (let u = 0; u < U; u++) {
      let z = glm.intercepts[u];
      for (let d = 0; d < D; d++) z += x[d] * glm.weights[d * U + u];
      const r = 1 / (1 + Math.exp(-z)) - train.data[t * U + u];
      for (let d = 0; d < D; d++) grad[d * U + u] += r * x[d];
      gradB[u] += r;
    }
  }
  let worst = 0;
  for (let i = 0; i < grad.length; i++)
    worst = Math.max(worst, Math.abs(grad[i] + 0.1 * glm.weights[i]) / train.bins);
  for (const g of gradB) worst = Math.max(worst, Math.abs(g) / train.bins);
  assert.ok(worst < 1e-4, `max |gradient| per bin at the optimum: ${worst}`);
  // Unit 0's filter onto unit 1 is excitatory; and coupling beats the multi-scale GLM,
  // whose population term cannot say which unit drives unit 1.
  const w0to1 = [0, 1, 2].map((k) => glm.weights[(0 * K + k) * U + 1]);
  assert.ok(Math.max(...w0to1) > 1, `filter 0 → 1: ${w0to1}`);
  const coupled = bitsPerSpike(glm.predict(testSplit, 0, train), testSplit.data, U);
  const multiscale = bitsPerSpike(
    fitMultiScaleGlm(train, { maxLag: 16 }).predict(testSplit, 0, train),
    testSplit.data,
    U,
  );
  assert.ok(coupled > multiscale, `coupled ${coupled} vs multi-scale ${multiscale} bits/spike`);
});
