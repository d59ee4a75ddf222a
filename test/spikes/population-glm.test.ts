import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readNpy, toFloat64 } from '../../src/io/npy.js';
import {
  PopulationGlm,
  fitPopulationGlm,
  populationScales,
} from '../../src/pipelines/spikes/baselines/population-glm.js';
import { dyadicWindows } from '../../src/pipelines/spikes/baselines/multiscale-glm.js';
import { sliceBins, type BinaryRaster } from '../../src/pipelines/spikes/data/raster.js';
import { fitGroupedLogisticNewton } from '../../src/stats/grouped-logistic-newton.js';
import { fitLogisticNewton } from '../../src/stats/logistic-newton.js';
import { Rng } from '../../src/core/random.js';
import { cascadeRaster } from './fixtures.js';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../../test/fixtures/glm/${name}`, import.meta.url));

function realRaster(): BinaryRaster {
  const r = readNpy(fixture('raster.npy'));
  const [bins, units] = r.shape;
  return { bins, units, data: Uint8Array.from(toFloat64(r.data)) };
}

test('the population GLM equals an independent scipy fit on real IBL units (1e-4)', () => {
  const raster = realRaster();
  const glm = fitPopulationGlm(raster, { maxLag: 64, l2: 1 });
  assert.ok(glm.fitInfo?.converged, 'Newton converged');
  const expectedWeights = toFloat64(readNpy(fixture('population_weights.npy')).data);
  expectedWeights.forEach((w, k) =>
    assert.ok(Math.abs(glm.weights[k] - w) < 1e-3, `weight ${k}: ${glm.weights[k]} vs ${w}`),
  );
  const expected = toFloat64(readNpy(fixture('population_probs.npy')).data);
  const p = glm.predict(raster);
  let worst = 0;
  for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i] - expected[i]));
  assert.ok(worst < 1e-4, `max |p − p_scipy| = ${worst}`);
  const again = PopulationGlm.fromJSON(JSON.parse(JSON.stringify(glm.toJSON())));
  assert.deepEqual(again.predict(raster), p);
});

test('logits: intercept + shared filter on log counts, by brute force; the two parts sum to it', () => {
  const raster = cascadeRaster(400, 6, 5, 3, 0.05);
  const rng = new Rng(4);
  const W = dyadicWindows(16).length;
  const weights = Float64Array.from({ length: 2 * W }, () => rng.normal());
  const intercepts = Float64Array.from({ length: 6 }, () => rng.normal() - 3);
  const scales = Float64Array.from({ length: W }, (_, w) => 0.5 + w);
  const glm = new PopulationGlm(
    { maxLag: 16, l2: 1, maxIterations: 10 },
    6,
    weights,
    intercepts,
    scales,
  );
  const history = sliceBins(raster, 0, 100);
  const target = sliceBins(raster, 100, 400);
  const z = glm.logits(target, 5, history);
  const { self, network } = glm.logitParts(target, 5, history);
  const windows = dyadicWindows(16);
  for (let t = 5; t < 300; t++)
    for (let u = 0; u < 6; u++) {
      let expected = intercepts[u];
      let expectedSelf = intercepts[u];
      windows.forEach(([a, b], w) => {
        let own = 0;
        let others = 0;
        for (let lag = a; lag <= b; lag++)
          for (let v = 0; v < 6; v++) {
            const s =
              t - lag >= 0 ? target.data[(t - lag) * 6 + v] : history.data[(100 + t - lag) * 6 + v];
            if (v === u) own += s;
            else others += s;
          }
        expected += weights[w] * Math.log1p(own) + weights[W + w] * Math.log1p(others / scales[w]);
        expectedSelf += weights[w] * Math.log1p(own);
      });
      const i = (t - 5) * 6 + u;
      assert.ok(Math.abs(z[i] - expected) < 1e-4, `t ${t} u ${u}: ${z[i]} vs ${expected}`);
      assert.ok(Math.abs(self[i] - expectedSelf) < 1e-4);
      assert.ok(Math.abs(self[i] + network[i] - z[i]) < 1e-4);
    }
});

test('population scales: the other units’ mean count per window, by brute force; rescaling keeps the filters', () => {
  const raster = cascadeRaster(300, 5, 5, 3, 0.05);
  const windows = dyadicWindows(8);
  const scales = populationScales(raster, windows);
  windows.forEach(([a, b], w) => {
    let sum = 0;
    let n = 0;
    for (let t = 7; t < 300; t++)
      for (let u = 0; u < 5; u++) {
        for (let lag = a; lag <= b; lag++)
          for (let v = 0; v < 5; v++) if (v !== u) sum += raster.data[(t - lag) * 5 + v];
        n++;
      }
    assert.ok(Math.abs(scales[w] - sum / n) < 1e-9, `window ${w}: ${scales[w]} vs ${sum / n}`);
  });
  const glm = fitPopulationGlm(raster, { maxLag: 8 });
  const silent = { bins: 50, units: 5, data: new Uint8Array(250) };
  const moved = glm.rescaledTo(silent);
  assert.deepEqual(Array.from(moved.scales), [1, 1, 1]);
  assert.equal(moved.weights, glm.weights);
});

test('grouped Newton equals plain Newton with one-hot group columns (no penalty), and meets its optimality conditions with one', () => {
  const rng = new Rng(11);
  const G = 4;
  const K = 3;
  const rows = 3000;
  const X = Array.from({ length: rows }, () =>
    Float64Array.from({ length: K }, () => rng.normal()),
  );
  const group = (i: number) => i % G;
  const y = X.map((x, i) => {
    const eta = -1 + 0.4 * group(i) + 0.8 * x[0] - 0.5 * x[1];
    return rng.uniform() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
  });
  const design = (l2: number) =>
    fitGroupedLogisticNewton(
      { rows, groups: G, columns: K, group, row: (i, x) => (x.set(X[i]), y[i]) },
      { l2 },
    );
  const grouped = design(0);
  // Reference: intercept = group 0's, one-hot columns for groups 1..G−1.
  const plain = fitLogisticNewton(
    {
      rows,
      columns: K + G - 1,
      row: (i, x) => {
        x.fill(0);
        x.set(X[i]);
        if (group(i) > 0) x[K + group(i) - 1] = 1;
        return y[i];
      },
    },
    { l2: 0 },
  );
  for (let k = 0; k < K; k++) assert.ok(Math.abs(grouped.weights[k] - plain.weights[k]) < 1e-8);
  assert.ok(Math.abs(grouped.intercepts[0] - plain.intercept) < 1e-8);
  for (let g = 1; g < G; g++)
    assert.ok(
      Math.abs(grouped.intercepts[g] - (plain.intercept + plain.weights[K + g - 1])) < 1e-8,
    );
  // With a penalty: the gradient of the penalised likelihood vanishes (computed here by loops).
  const l2 = 5;
  const fit = design(l2);
  const gb = new Float64Array(G);
  const gw = Float64Array.from(fit.weights, (w) => l2 * w);
  X.forEach((x, i) => {
    let eta = fit.intercepts[group(i)];
    for (let k = 0; k < K; k++) eta += fit.weights[k] * x[k];
    const r = 1 / (1 + Math.exp(-eta)) - y[i];
    gb[group(i)] += r;
    for (let k = 0; k < K; k++) gw[k] += r * x[k];
  });
  for (const g of [...gb, ...gw]) assert.ok(Math.abs(g) < 1e-4, `gradient ${g}`);
});
