import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PRESETS,
  runExperiment,
  variantConfig,
} from '../../src/pipelines/spikes/model/experiment.js';
import { sliceBins } from '../../src/pipelines/spikes/data/raster.js';
import { cascadeRaster } from './fixtures.js';

test('an experiment trains, scores the transformer and both baselines on the same test bins', () => {
  const all = cascadeRaster(4000, 8, 31, 12, 0.01);
  const splits = {
    train: sliceBins(all, 0, 2000),
    val: sliceBins(all, 2000, 3000),
    test: sliceBins(all, 3000, 4000),
  };
  const config = { ...PRESETS.tiny, model: { ...PRESETS.tiny.model, units: 8 }, maxEpochs: 3 };
  const { result } = runExperiment(splits, splits, config, mkdtempSync(join(tmpdir(), 'nb-exp-')));
  assert.equal(result.prediction.firstScoredBin, 0, 'history from the val split covers bin 0');
  assert.ok(result.prediction.minimumPast >= 32);
  for (const s of [result.transformer, result.baselines.rate, result.baselines.glm]) {
    assert.equal(s.bins, 1000);
    assert.equal(s.units, 8);
  }
  const t = result.transformer;
  assert.ok(t.chance.prAuc > 0.05 && t.chance.prAuc < 0.2, `spike fraction ${t.chance.prAuc}`);
  assert.ok(
    Math.abs(result.baselines.rate.pooled.rocAuc - 0.5) < 0.1,
    'a constant per unit is near chance pooled',
  );
  assert.ok(
    t.pooled.rocAuc > result.baselines.rate.pooled.rocAuc + 0.1,
    `transformer ${t.pooled.rocAuc}`,
  );
  assert.ok(
    t.pooled.prAuc > 2 * t.chance.prAuc,
    `PR-AUC ${t.pooled.prAuc} vs chance ${t.chance.prAuc}`,
  );
  assert.equal(result.training.history.length, 3);
  assert.equal(t.thresholds.youden.fprCap, 0.005);
  assert.ok(
    t.thresholds.youden.nonSpikeAccuracy >= 0.995 - 1e-9,
    'the Youden threshold respects the FPR cap',
  );
});

test('--positional reaches the model; without it the configuration (and every key) is the preset’s', () => {
  const v = { key: 'default', preset: 'default' as const, loss: 'bce' as const };
  const plain = variantConfig(v, 40, { seed: 0 });
  assert.deepEqual(plain.model, { ...PRESETS.default.model, units: 40 });
  assert.equal(plain.model.positional, 'learned');
  const rotary = variantConfig(v, 40, { seed: 0, positional: 'rotary' });
  assert.equal(rotary.model.positional, 'rotary');
  assert.deepEqual({ ...rotary.model, positional: 'learned' }, plain.model);
  const alibi = variantConfig(v, 40, { seed: 0, positional: 'alibi' });
  assert.deepEqual({ ...alibi.model, positional: 'learned' }, plain.model);
  assert.equal(alibi.model.positional, 'alibi');
});
