import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/random.js';
import { PRESETS } from '../../src/pipelines/spikes/model/experiment.js';
import type { SpikeSplits } from '../../src/pipelines/spikes/data/raster.js';
import { fitCoupledGlm } from '../../src/pipelines/spikes/baselines/coupled-glm.js';
import { fitMultiScaleGlm } from '../../src/pipelines/spikes/baselines/multiscale-glm.js';
import { fitPopulationGlm } from '../../src/pipelines/spikes/baselines/population-glm.js';
import { sliceBins, unitRates, type BinaryRaster } from '../../src/pipelines/spikes/data/raster.js';
import { trainSpikeModel } from '../../src/pipelines/spikes/model/train.js';
import {
  scoreTransfer,
  type TransferCalibration,
} from '../../src/pipelines/spikes/transfer/transfer.js';
import {
  applyOutputStack,
  fitOutputStack,
  predictStreams,
} from '../../src/pipelines/spikes/baselines/stack.js';
import { cascadeRaster } from './fixtures.js';

const splitsOf = (r: BinaryRaster, a: number, b: number): SpikeSplits => ({
  train: sliceBins(r, 0, a),
  val: sliceBins(r, a, b),
  test: sliceBins(r, b, r.bins),
});

/** A cascade of 5 units with background noise 10× the source's (a target of other neurons). */
function noisyTarget(seed: number): BinaryRaster {
  return cascadeRaster(3000, 5, seed, 12, 0.05);
}

// One small model (8 slots) and its GLMs, shared by the tests below.
const source = splitsOf(cascadeRaster(3000, 8, 11, 12, 0.005), 1800, 2400);
const config = {
  ...PRESETS.tiny,
  model: { ...PRESETS.tiny.model, units: 8, context: 32, dropout: 0 },
  loss: 'bce' as const,
  maxEpochs: 3,
  stepsPerEpoch: 20,
};
const { best: model } = trainSpikeModel(
  source.train,
  config,
  mkdtempSync(join(tmpdir(), 'nb-transfer-')),
  { validate: () => ({ loss: 0, rocAuc: 0, prAuc: 0, bitsPerSpike: 0 }) },
);
const glm = fitMultiScaleGlm(source.train);
const coupledGlm = fitCoupledGlm(source.train);
const populationGlm = fitPopulationGlm(source.train, { maxLag: 64 });
const glms = { glm, coupledGlm, populationGlm };
const score = (target: SpikeSplits, calibration: TransferCalibration) =>
  scoreTransfer(model, source, target, {
    ...glms,
    platt: false,
    settings: { alignment: 'rate-rank', calibration, seed: 0 },
  });

test('a target with fewer units: silent slots are not scored; the rate baseline is the target validation rates', () => {
  const target = splitsOf(noisyTarget(12), 1800, 2400);
  const r = score(target, 'affine');
  const t = r.scores.transfer!;
  assert.equal(t.scoredUnits, 5);
  assert.equal(t.slots.filter((u) => u < 0).length, 3);
  assert.equal(r.labels.length, target.test.bins * 5);
  assert.equal(r.scores.transformer.units, 5);
  // Labels are the target's test bins of the slotted units, in slot order.
  const slotted = t.slots.filter((u) => u >= 0);
  for (let k = 0; k < 5; k++)
    for (let b = 0; b < 50; b++)
      assert.equal(r.labels[b * 5 + k], target.test.data[b * 5 + slotted[k]]);
  const valRates = unitRates(target.val);
  slotted.forEach((u, k) =>
    assert.ok(Math.abs(r.baselineProbabilities.rate[k] - Math.max(1e-6, valRates[u])) < 1e-7),
  );
});

test('nothing is fitted on the target test split: other test bins leave slots and calibration unchanged', () => {
  const target = splitsOf(noisyTarget(12), 1800, 2400);
  const other = { ...target, test: sliceBins(noisyTarget(99), 2400, 3000) };
  const a = score(target, 'affine').scores.transfer!;
  const b = score(other, 'affine').scores.transfer!;
  assert.deepEqual(a.slots, b.slots);
  assert.deepEqual(a.fitted, b.fitted);
});

test('calibration on the target validation split repairs the likelihood of a target with other rates', () => {
  // Target background rate 10× the source's: the source model's probabilities are far off.
  const target = splitsOf(noisyTarget(12), 1800, 2400);
  const none = score(target, 'none').scores;
  const offsets = score(target, 'offsets').scores;
  const affine = score(target, 'affine').scores;
  assert.ok(
    offsets.transformer.bitsPerSpike > none.transformer.bitsPerSpike + 0.1,
    `${none.transformer.bitsPerSpike} → ${offsets.transformer.bitsPerSpike}`,
  );
  assert.ok(affine.transformer.bitsPerSpike >= offsets.transformer.bitsPerSpike - 0.05);
  assert.equal(none.transfer!.fitted, null);
  assert.equal(affine.transfer!.calibrationBins, 600);
  // Slopes stay 1 with 'offsets'; 'affine' fits one.
  assert.equal(offsets.transfer!.fitted!.transformer.slopes[0], 1);
  assert.notEqual(affine.transfer!.fitted!.transformer.slopes[0], 1);
});

test('a target with more units scores as many units as the model has slots', () => {
  const rng = new Rng(3);
  const wide = cascadeRaster(3000, 12, 13, 12, 0.01);
  for (let i = 0; i < wide.data.length; i++) if (rng.uniform() < 0.01) wide.data[i] = 1;
  const r = score(splitsOf(wide, 1800, 2400), 'affine');
  assert.equal(r.scores.transfer!.scoredUnits, 8);
  assert.equal(new Set(r.scores.transfer!.slots).size, 8);
});

test('the output stack with the GLMs: chosen on validation, never worse there than the model alone', () => {
  const stack = fitOutputStack({ model, ...glms }, source);
  const p = predictStreams({ model, ...glms }, source.val, source.train);
  const stacked = applyOutputStack(stack, p, 8);
  const nll = (q: Float32Array) => {
    let f = 0;
    for (let i = 0; i < q.length; i++) f -= Math.log(source.val.data[i] ? q[i] : 1 - q[i]);
    return f;
  };
  // The stack's penalised optimum is at most the objective at (1, 0, 0, 0, 0), the model alone.
  assert.ok(
    nll(stacked) <= nll(p.model) + 1e-3,
    `stacked ${nll(stacked)} vs model ${nll(p.model)}`,
  );
  assert.equal(stack.validationBins, 600);
  assert.ok(stack.slopes.every(Number.isFinite));
});

test('a stacked model transfers as its stack: a slope per stream refitted on the target', () => {
  const target = splitsOf(noisyTarget(12), 1800, 2400);
  const stack = fitOutputStack({ model, ...glms }, source);
  const r = scoreTransfer(model, source, target, {
    ...glms,
    platt: false,
    stack,
    settings: { alignment: 'rate-rank', calibration: 'affine', seed: 0 },
  }).scores;
  assert.equal(r.transfer!.fitted!.transformer.slopes.length, 5);
  assert.equal(r.transfer!.fitted!.glm.slopes.length, 1);
  // The population GLM: its own-history and network parts get a slope each.
  assert.equal(r.transfer!.fitted!.populationGlm.slopes.length, 2);
  assert.ok(r.modelAlone && r.modelAlone.units === 5);
});
