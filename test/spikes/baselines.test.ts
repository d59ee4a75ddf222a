import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rateBaseline } from '../../src/pipelines/spikes/baselines/baselines.js';
import { fitMultiScaleGlm } from '../../src/pipelines/spikes/baselines/multiscale-glm.js';
import { sliceBins } from '../../src/pipelines/spikes/data/raster.js';
import { bitsPerSpike } from '../../src/stats/point-process.js';
import { cascadeRaster } from './fixtures.js';

test('the multi-scale GLM learns the cascade and beats the constant-rate baseline on held-out bins', () => {
  const all = cascadeRaster(6000, 6, 21, 12, 0.01);
  const train = sliceBins(all, 0, 4000);
  const val = sliceBins(all, 4000, 5000);
  const testSplit = sliceBins(all, 5000, 6000);
  const labels = testSplit.data;
  const rate = rateBaseline(train, testSplit, 0);
  assert.equal(rate.length, labels.length);
  assert.ok(Math.abs(rate[0] - rate[6]) < 1e-12, 'constant in time');
  const glm = fitMultiScaleGlm(train, { maxLag: 16 });
  const glmScores = glm.predict(testSplit, 0, val);
  const rateBits = bitsPerSpike(rate, labels, 6);
  const glmBits = bitsPerSpike(glmScores, labels, 6);
  assert.ok(Math.abs(rateBits) < 0.1, `rate baseline ≈ the null: ${rateBits}`);
  assert.ok(glmBits > 1, `GLM gains > 1 bit/spike on a deterministic cascade: ${glmBits}`);
});
