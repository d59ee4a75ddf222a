import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readNpy, toFloat64 } from '../../src/io/npy.js';
import {
  MultiScaleGlm,
  dyadicWindows,
  fitMultiScaleGlm,
} from '../../src/pipelines/spikes/baselines/multiscale-glm.js';
import { sliceBins } from '../../src/pipelines/spikes/data/raster.js';
import { fitLogisticNewton } from '../../src/stats/logistic-newton.js';
import { cascadeRaster } from './fixtures.js';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../../test/fixtures/glm/${name}`, import.meta.url));

test('dyadic windows reach maxLag − 1 bins back', () => {
  assert.deepEqual(dyadicWindows(64), [
    [1, 1],
    [2, 3],
    [4, 7],
    [8, 15],
    [16, 31],
    [32, 63],
  ]);
  assert.throws(() => dyadicWindows(48), /power of two/);
});

test('the multi-scale GLM equals scikit-learn LogisticRegression on real IBL units (1e-4)', () => {
  const r = readNpy(fixture('raster.npy'));
  const [bins, units] = r.shape;
  const raster = { bins, units, data: Uint8Array.from(toFloat64(r.data)) };
  const expected = toFloat64(readNpy(fixture('sklearn_probs.npy')).data);
  const glm = fitMultiScaleGlm(raster, { maxLag: 64, l2: 1 });
  assert.ok(
    glm.fitInfo.every((f) => f.converged),
    'Newton converged for every unit',
  );
  const p = glm.predict(raster);
  let worst = 0;
  for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i] - expected[i]));
  assert.ok(worst < 1e-4, `max |p − p_sklearn| = ${worst}`);
  // The JSON round trip predicts the same.
  const again = MultiScaleGlm.fromJSON(JSON.parse(JSON.stringify(glm.toJSON())));
  assert.deepEqual(again.predict(raster), p);
});

test('Newton logistic regression matches the closed form of a single binary feature', () => {
  // y ~ x with counts: x=0: 30 of 100 positive; x=1: 80 of 100. Unpenalised MLE:
  // intercept = logit(0.3), weight = logit(0.8) − logit(0.3).
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < 200; i++) {
    xs.push(i < 100 ? 0 : 1);
    ys.push(i < 30 || (i >= 100 && i < 180) ? 1 : 0);
  }
  const logit = (p: number) => Math.log(p / (1 - p));
  const fit = fitLogisticNewton(
    {
      rows: xs.length,
      columns: 1,
      row: (i, x) => {
        x[0] = xs[i];
        return ys[i];
      },
    },
    { l2: 0 },
  );
  assert.ok(Math.abs(fit.intercept - logit(0.3)) < 1e-9);
  assert.ok(Math.abs(fit.weights[0] - (logit(0.8) - logit(0.3))) < 1e-9);
});

test('history from the previous split feeds the first bins of the next', () => {
  const all = cascadeRaster(3000, 5, 3, 12, 0.01);
  const glm = fitMultiScaleGlm(sliceBins(all, 0, 2000), { maxLag: 16 });
  const whole = glm.logits(all, 2000);
  const split = glm.logits(sliceBins(all, 2000, 3000), 0, sliceBins(all, 0, 2000));
  assert.deepEqual(split, whole);
});
