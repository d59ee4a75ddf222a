import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Linear, Tensor, manualSeed } from '../../src/engine/index.js';
import { EarlyStopping, fitClassifier } from '../../src/models/classifier-fit.js';
import { balancedClassWeights } from '../../src/stats/classification.js';

test('balanced class weights are n / (classes · count), 0 for an absent class', () => {
  // 6 samples, 4 classes: counts 3, 1, 2, 0 → 6/12, 6/4, 6/8, 0.
  assert.deepEqual(Array.from(balancedClassWeights([0, 2, 0, 1, 2, 0], 4)), [0.5, 1.5, 0.75, 0]);
});

test('early stopping stops once `patience` epochs have passed without a better score', () => {
  // Best at epoch 1 (0.5); epochs 2, 3, 4 are no better (a tie is not better); with
  // patience 3 epoch 5 does not run, so the 0.9 of epoch 6 is never seen.
  const scores = [0.2, 0.5, 0.4, 0.5, 0.45, 0.3, 0.9];
  const s = new EarlyStopping(3, 100);
  let epoch = 0;
  for (; s.continues(epoch); epoch++) s.record(epoch, scores[epoch]);
  assert.equal(epoch, 5);
  assert.equal(s.bestEpoch, 1);
  assert.equal(s.bestScore, 0.5);
  // maxEpochs bounds it too, and a NaN score never counts as better.
  const capped = new EarlyStopping(10, 3);
  let n = 0;
  for (; capped.continues(n); n++) capped.record(n, NaN);
  assert.equal(n, 3);
  assert.equal(capped.bestEpoch, -1);
});

test('fitClassifier validates once per epoch, stops at the patience boundary and restores the best epoch', () => {
  manualSeed(0);
  const head = new Linear(2, 3);
  const x = [0, 0, 1, 0, 0, 1, 1, 1, 2, 0, 0, 2];
  const y = [0, 1, 2, 0, 1, 2];
  const scores = [0.3, 0.6, 0.5, 0.6, 0.2, 0.99];
  const weights: number[][] = [];
  const r = fitClassifier(
    {
      samples: [0, 1, 2, 3, 4, 5],
      y,
      classes: 3,
      params: head.parameters(),
      logits: (idx) =>
        head.forward(
          Tensor.from(
            idx.flatMap((i) => [x[2 * i], x[2 * i + 1]]),
            [idx.length, 2],
          ),
        ),
      validate: () => {
        weights.push(Array.from(head.weight.toArray() as Float32Array));
        return scores[weights.length - 1];
      },
      modules: [head],
    },
    { lr: 0.1, weightDecay: 0, clip: 1, batchSize: 4, patience: 2, maxEpochs: 50, seed: 1 },
  );
  // Best at epoch 1; epochs 2 and 3 are not better; epoch 4 would be the third: not run.
  assert.equal(weights.length, 4);
  assert.equal(r.bestEpoch, 1);
  assert.equal(r.bestScore, 0.6);
  assert.deepEqual(
    r.history.map((h) => h.score),
    [0.3, 0.6, 0.5, 0.6],
  );
  assert.ok(r.history.every((h) => Number.isFinite(h.loss) && h.loss > 0));
  // The weights changed while training and were put back to those of epoch 1.
  assert.notDeepEqual(weights[3], weights[1]);
  assert.deepEqual(Array.from(head.weight.toArray() as Float32Array), weights[1]);
  head.dispose();
});
