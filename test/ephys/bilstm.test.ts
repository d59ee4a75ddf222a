import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/random.js';
import { manualSeed } from '../../src/engine/index.js';
import { FamilyBiLstm } from '../../src/models/family-bilstm.js';
import {
  predictFamilies,
  trainFamilyBiLstm,
  type FamilySequences,
} from '../../src/pipelines/ephys/bilstm-training.js';
import { macroF1 } from '../../src/stats/index.js';

/** 4 classes; only family 2 carries the class (its mean shifts by class), the rest is noise. */
function cohort(n: number, seed: number): FamilySequences {
  const rng = new Rng(seed);
  const [families, width] = [5, 6];
  const x = new Float32Array(n * families * width);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng.int(4);
    for (let f = 0; f < families; f++) {
      for (let k = 0; k < width; k++) {
        const signal = f === 2 && k === y[i] ? 2.5 : 0;
        x[(i * families + f) * width + k] = signal + rng.normal();
      }
    }
  }
  return { x, n, families, width, y };
}

test('the attention BiLSTM learns the informative family and attends to it', () => {
  const train = cohort(400, 1);
  const val = cohort(150, 2);
  const testSet = cohort(300, 3);
  manualSeed(0);
  const model = new FamilyBiLstm({
    width: 6,
    hidden: 32,
    dropout: 0.2,
    attention: true,
    heads: [4],
  });
  const r = trainFamilyBiLstm(model, train, val, {
    lr: 3e-3,
    weightDecay: 1e-4,
    clip: 2,
    batchSize: 64,
    patience: 10,
    maxEpochs: 120,
    seed: 0,
  });
  const { predicted, attention } = predictFamilies(model, testSet);
  const f1 = macroF1(Array.from(testSet.y), Array.from(predicted));
  assert.ok(f1 > 0.8, `test macro-F1 ${f1}`);
  assert.ok(r.bestValMacroF1 > 0.8);
  // Mean attention per family over test cells: family 2 gets the most.
  const mean = [0, 0, 0, 0, 0];
  for (let i = 0; i < testSet.n; i++)
    for (let f = 0; f < 5; f++) mean[f] += attention[i * 5 + f] / testSet.n;
  assert.equal(
    mean.indexOf(Math.max(...mean)),
    2,
    `attention by family ${mean.map((m) => m.toFixed(2))}`,
  );
  assert.ok(Math.abs(mean.reduce((a, b) => a + b, 0) - 1) < 1e-5);
});

test('the no-attention ablation trains too and reports uniform weights', () => {
  manualSeed(1);
  const model = new FamilyBiLstm({
    width: 6,
    hidden: 32,
    dropout: 0.2,
    attention: false,
    heads: [4],
  });
  trainFamilyBiLstm(model, cohort(300, 4), cohort(100, 5), {
    // Mean pooling dilutes the one informative family: it learns slower than attention.
    lr: 1e-2,
    weightDecay: 1e-4,
    clip: 2,
    batchSize: 64,
    patience: 20,
    maxEpochs: 80,
    seed: 1,
  });
  const testSet = cohort(200, 6);
  const { predicted, attention } = predictFamilies(model, testSet);
  assert.ok(macroF1(Array.from(testSet.y), Array.from(predicted)) > 0.6);
  assert.ok(Math.abs(attention[0] - 0.2) < 1e-6);
});
