import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, Interrupted } from '../../src/core/errors.js';
import { Tensor, noGrad, tidy } from '../../src/engine/index.js';
import { PAPER_MODEL } from '../../src/models/spike-transformer.js';
import { trainSpikeModel, type TrainConfig } from '../../src/pipelines/spikes/model/train.js';
import { softDiceLoss } from '../../src/models/losses.js';
import { windowsToFloat } from '../../src/pipelines/spikes/data/raster.js';
import { cascadeRaster } from './fixtures.js';

const train = cascadeRaster(400, 6, 3);
const val = cascadeRaster(120, 6, 4);
const config: TrainConfig = {
  model: { ...PAPER_MODEL, units: 6, dModel: 16, heads: 4, feedforward: 16, context: 24 },
  loss: 'dice',
  lossOptions: {},
  batchSize: 4,
  stepsPerEpoch: 6,
  maxEpochs: 4,
  patience: 10,
  lr: 5e-3,
  lrDecay: { every: 2, factor: 0.9, floor: 2.5e-5 },
  clipNorm: 1,
  seed: 11,
  maxValidationBins: 120,
};
// Validation loss on fixed windows; −loss stands in for PR-AUC (this test is about resuming).
const validate = (model: import('../../src/models/spike-transformer.js').SpikeTransformer) => {
  const loss = tidy(() =>
    noGrad(() => {
      const both = Tensor.from(windowsToFloat(val, [0, 40, 80], 25), [3, 25, 6]);
      return softDiceLoss(
        model.forward(both.narrow(1, 0, 24)).logits,
        both.narrow(1, 1, 24),
      ).item();
    }),
  );
  return { loss, rocAuc: 1 - loss, prAuc: -loss, bitsPerSpike: -loss };
};

test('a killed training run resumes from its checkpoint and ends exactly like an uninterrupted one', () => {
  const straight = mkdtempSync(join(tmpdir(), 'nb-train-a-'));
  const crashed = mkdtempSync(join(tmpdir(), 'nb-train-b-'));
  const a = trainSpikeModel(train, config, straight, { validate });
  // "Killed" in the middle of the second epoch: the first is committed, the second is redone.
  const stop = new AbortController();
  assert.throws(
    () =>
      trainSpikeModel(train, config, crashed, {
        validate,
        signal: stop.signal,
        onStep: (epoch, step) => {
          if (epoch === 1 && step === 1) stop.abort();
        },
      }),
    (e: Error) => e instanceof Interrupted && /stopped after epoch 1 /.test(e.message),
  );
  assert.deepEqual(readdirSync(crashed).sort(), [
    'best.safetensors',
    'epoch-1.optimizer.safetensors',
    'epoch-1.safetensors',
    'state.json',
  ]);
  const b = trainSpikeModel(train, config, crashed, { validate });
  assert.equal(b.state.epoch, 4);
  const strip = (h: typeof a.state.history) => h.map(({ seconds: _s, ...rest }) => rest);
  assert.deepEqual(strip(b.state.history), strip(a.state.history));
  for (const [name, t] of a.best.stateDict()) {
    assert.deepEqual(b.best.stateDict().get(name)!.toNumbers(), t.toNumbers(), name);
  }
  assert.ok(
    a.state.history[3].trainLoss < a.state.history[0].trainLoss,
    'training lowers the loss',
  );
  const saved = JSON.parse(readFileSync(join(crashed, 'state.json'), 'utf8'));
  assert.equal(saved.checkpoint, 'epoch-4');
});

test('resuming with a different configuration is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-train-c-'));
  trainSpikeModel(train, { ...config, maxEpochs: 1 }, dir, { validate });
  assert.throws(
    () => trainSpikeModel(train, { ...config, maxEpochs: 1, lr: 1e-2 }, dir, { validate }),
    (err: Error) =>
      err instanceof InputError &&
      /state\.json: config: .*different configuration/.test(err.message),
  );
});

test('a model with a GLM path starts at the fitted GLM and keeps an epoch only if it beats it on validation', async () => {
  const { validationScorer } = await import('../../src/pipelines/spikes/model/experiment.js');
  const { fitMultiScaleGlm } =
    await import('../../src/pipelines/spikes/baselines/multiscale-glm.js');
  const { bitsPerSpike } = await import('../../src/stats/point-process.js');
  const { sliceBins } = await import('../../src/pipelines/spikes/data/raster.js');
  const all = cascadeRaster(5000, 6, 8, 12, 0.02);
  const splits = {
    train: sliceBins(all, 0, 3000),
    val: sliceBins(all, 3000, 4000),
    test: sliceBins(all, 4000, 5000),
  };
  const glmConfig: TrainConfig = {
    ...config,
    model: { ...config.model, context: 48, history: 16 },
    loss: 'bce',
    maxEpochs: 3,
    maxValidationBins: 1000,
    selectBy: 'bits-per-spike',
  };
  const dir = mkdtempSync(join(tmpdir(), 'nb-train-glm-'));
  const { state, best } = trainSpikeModel(splits.train, glmConfig, dir, {
    validate: validationScorer(splits, glmConfig),
  });
  const start = state.history[0];
  assert.equal(start.epoch, -1, 'the first record is the GLM start');
  // That start is the Newton-fitted GLM: same validation bits/spike, computed independently.
  const glm = fitMultiScaleGlm(splits.train, { maxLag: 16 });
  const glmBits = bitsPerSpike(glm.predict(splits.val, 0, splits.train), splits.val.data, 6);
  assert.ok(
    Math.abs(start.valBitsPerSpike - glmBits) < 1e-3,
    `${start.valBitsPerSpike} vs ${glmBits}`,
  );
  const kept = state.history.find((r) => r.epoch === state.bestEpoch)!;
  // An epoch replaces the GLM only if it beats it (and clearly: a paired test over blocks).
  assert.ok(kept.valBitsPerSpike >= start.valBitsPerSpike);
  assert.equal(state.bestValScore, kept.valBitsPerSpike);
  assert.equal(state.startBlocks?.length, 10);
  best.dispose();
});
