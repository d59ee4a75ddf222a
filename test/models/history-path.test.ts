import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, manualSeed, noGrad, tidy } from '../../src/engine/index.js';
import { PAPER_MODEL, SpikeTransformer } from '../../src/models/spike-transformer.js';
import { fitMultiScaleGlm } from '../../src/pipelines/spikes/baselines/multiscale-glm.js';
import { sliceBins } from '../../src/pipelines/spikes/data/raster.js';
import { cascadeRaster } from '../spikes/fixtures.js';

test('with a GLM path and a fresh head the transformer predicts exactly the fitted GLM', () => {
  const raster = cascadeRaster(3000, 6, 5, 12, 0.02);
  const glm = fitMultiScaleGlm(sliceBins(raster, 0, 2500), { maxLag: 16 });
  manualSeed(0);
  const model = new SpikeTransformer({
    ...PAPER_MODEL,
    units: 6,
    dModel: 16,
    heads: 4,
    feedforward: 16,
    context: 100,
    history: 16,
  }).eval();
  model.history!.loadGlm(glm.toJSON());
  const window = sliceBins(raster, 2600, 2700);
  const logits = tidy(() =>
    noGrad(
      () =>
        model
          .forward(Tensor.from(Float32Array.from(window.data), [1, 100, 6]))
          .logits.toArray() as Float32Array,
    ),
  );
  // Position t predicts bin t + 1 of the window; the GLM sees the same bins as its past when
  // every lag falls inside the window (t + 1 ≥ 15).
  const expected = glm.logits(window, 15);
  for (let t = 14; t < 99; t++)
    for (let u = 0; u < 6; u++) {
      const a = logits[t * 6 + u];
      const b = expected[(t + 1 - 15) * 6 + u];
      assert.ok(Math.abs(a - b) < 1e-4, `t ${t} unit ${u}: ${a} vs GLM ${b}`);
    }
  // Before that, lags reaching before the window count as empty, as at a recording's start.
  const start = glm.logits(sliceBins(raster, 2600, 2610), 1);
  for (let i = 0; i < start.length; i++) assert.ok(Math.abs(logits[i] - start[i]) < 1e-4);
  model.dispose();
});

test('a leaky model cannot have a GLM path', () => {
  assert.throws(
    () =>
      new SpikeTransformer({
        ...PAPER_MODEL,
        units: 4,
        dModel: 8,
        heads: 2,
        leaky: true,
        history: 8,
      }),
    /leaky/,
  );
});
