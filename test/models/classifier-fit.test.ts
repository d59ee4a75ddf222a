import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Dropout,
  F,
  Linear,
  Module,
  Tensor,
  manualSeed,
  noGrad,
  tidy,
} from '../../src/engine/index.js';
import {
  EarlyStopping,
  fitClassifier,
  type ClassifierCheckpoint,
  type ClassifierFitOptions,
  type ClassifierFitTask,
} from '../../src/models/classifier-fit.js';
import { InputError } from '../../src/core/errors.js';
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

/** A linear head on six 2-D points of three classes; `validate` is the test's. */
function sixPointTask(head: Linear, validate: () => number): ClassifierFitTask {
  const x = [0, 0, 1, 0, 0, 1, 1, 1, 2, 0, 0, 2];
  return {
    samples: [0, 1, 2, 3, 4, 5],
    y: [0, 1, 2, 0, 1, 2],
    classes: 3,
    params: head.parameters(),
    logits: (idx) =>
      head.forward(
        Tensor.from(
          idx.flatMap((i) => [x[2 * i], x[2 * i + 1]]),
          [idx.length, 2],
        ),
      ),
    validate,
    modules: [head],
  };
}
const SIX_POINT_FIT: ClassifierFitOptions = {
  lr: 0.1,
  weightDecay: 0,
  clip: 1,
  batchSize: 4,
  patience: 2,
  maxEpochs: 50,
  seed: 1,
};
/** Validation scores: best at epoch 1, then two epochs no better, so four epochs run. */
const SIX_POINT_SCORES = [0.3, 0.6, 0.5, 0.6, 0.2, 0.99];

test('fitClassifier validates once per epoch, stops at the patience boundary and restores the best epoch', () => {
  manualSeed(0);
  const head = new Linear(2, 3);
  const weights: number[][] = [];
  const r = fitClassifier(
    sixPointTask(head, () => {
      weights.push(Array.from(head.weight.toArray() as Float32Array));
      return SIX_POINT_SCORES[weights.length - 1];
    }),
    SIX_POINT_FIT,
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

test("fitClassifier with keep 'epoch-average' ends with the mean of the weights after epochs 1 … last", () => {
  manualSeed(0);
  const head = new Linear(2, 3);
  const weights: number[][] = [];
  const biases: number[][] = [];
  let averageSeen: number[] | null = null;
  const r = fitClassifier(
    sixPointTask(head, () => {
      if (weights.length === 4) {
        // The fifth call scores the averaged weights, after the four epochs.
        averageSeen = Array.from(head.weight.toArray() as Float32Array);
        return 0.77;
      }
      weights.push(Array.from(head.weight.toArray() as Float32Array));
      biases.push(Array.from(head.bias!.toArray() as Float32Array));
      return SIX_POINT_SCORES[weights.length - 1];
    }),
    { ...SIX_POINT_FIT, keep: 'epoch-average' },
  );
  // Early stopping runs the same four epochs as with the best epoch kept.
  assert.equal(r.history.length, 4);
  assert.equal(r.bestEpoch, 1);
  assert.equal(r.averageScore, 0.77);
  // Mean of epochs 1, 2, 3 computed here in double precision: epoch 0 is left out.
  const mean = (rows: number[][]) =>
    rows[0].map((_, j) => (rows[1][j] + rows[2][j] + rows[3][j]) / 3);
  const w = Array.from(head.weight.toArray() as Float32Array);
  const b = Array.from(head.bias!.toArray() as Float32Array);
  mean(weights).forEach((m, j) => assert.ok(Math.abs(w[j] - m) < 1e-6, `weight ${j}`));
  mean(biases).forEach((m, j) => assert.ok(Math.abs(b[j] - m) < 1e-6, `bias ${j}`));
  assert.deepEqual(averageSeen, w);
  // …and it is not any single epoch's weights.
  weights.forEach((e) => assert.notDeepEqual(e, w));
  head.dispose();
});

test("keep 'epoch-average' is refused for a checkpointed fit with the option named", () => {
  manualSeed(0);
  const head = new Linear(2, 3);
  assert.throws(
    () =>
      fitClassifier(
        sixPointTask(head, () => 0),
        { ...SIX_POINT_FIT, keep: 'epoch-average' },
        { dir: mkdtempSync(join(tmpdir(), 'nb-avg-')) },
      ),
    /option `keep` 'epoch-average' is not available with a checkpointed fit/,
  );
  head.dispose();
});

/** Linear → dropout → linear: dropout makes the fit draw from libtorch's generator. */
class SmallNet extends Module {
  readonly a = this.registerModule('a', new Linear(2, 8));
  readonly drop = this.registerModule('drop', new Dropout(0.3));
  readonly b = this.registerModule('b', new Linear(8, 3));
  forward(x: Tensor): Tensor {
    return this.b.forward(this.drop.forward(this.a.forward(x).relu()));
  }
}

/** A seeded fit of SmallNet on 30 noisy points; its final weights and result. */
function smallFit(o: ClassifierFitOptions, checkpoint?: ClassifierCheckpoint, stopAfter = 0) {
  manualSeed(3);
  const net = new SmallNet();
  const n = 30;
  const y = Array.from({ length: n }, (_, i) => i % 3);
  const x = y.flatMap((c, i) => [c + Math.sin(i) * 0.8, c * 0.5 + Math.cos(i * 1.7) * 0.8]);
  const input = (idx: number[]) =>
    Tensor.from(
      idx.flatMap((i) => [x[2 * i], x[2 * i + 1]]),
      [idx.length, 2],
    );
  const val = Array.from({ length: n }, (_, i) => i);
  let epochs = 0;
  const r = fitClassifier(
    {
      samples: val.filter((i) => i % 5 !== 0),
      y,
      classes: 3,
      params: net.parameters(),
      logits: (idx) => net.forward(input(idx)),
      // A continuous score (mean probability of the true class) so any drift in the weights shows.
      validate: () => {
        if (stopAfter && ++epochs === stopAfter)
          (checkpoint!.signal as { aborted: boolean }).aborted = true;
        net.eval();
        const p = noGrad(() =>
          tidy(() => F.softmax(net.forward(input(val)), -1).toArray() as Float32Array),
        );
        return val.reduce((s, i) => s + p[i * 3 + y[i]], 0) / n;
      },
      modules: [net],
      beforeEpoch: () => net.train(),
    },
    o,
    checkpoint,
  );
  const weights = [...net.stateDict()].map(([k, t]) => [
    k,
    Array.from(t.toArray() as Float32Array),
  ]);
  net.dispose();
  return { r, weights };
}

test('a checkpointed fit stopped after k epochs and resumed ends exactly as an uninterrupted one', () => {
  const o = {
    lr: 0.05,
    weightDecay: 0.01,
    clip: 1,
    batchSize: 8,
    patience: 3,
    maxEpochs: 12,
    seed: 5,
  };
  const dir = mkdtempSync(join(tmpdir(), 'nb-fit-resume-'));
  const whole = smallFit(o, { dir: join(dir, 'whole') });
  assert.equal(whole.r.interrupted, undefined);
  assert.ok(whole.r.history.length >= 4, `${whole.r.history.length} epochs`);
  for (const k of [1, 3]) {
    const part = join(dir, `part-${k}`);
    const stopped = smallFit(o, { dir: part, signal: { aborted: false } }, k);
    assert.equal(stopped.r.interrupted, true);
    assert.equal(stopped.r.history.length, k);
    // A fresh model (as a new process would build) resumes from the folder.
    const resumed = smallFit(o, { dir: part });
    assert.equal(resumed.r.interrupted, undefined);
    assert.deepEqual(resumed.r, whole.r, `stopped after ${k}`);
    assert.deepEqual(resumed.weights, whole.weights, `stopped after ${k}`);
    // One model checkpoint, one best-weights file and the state remain.
    assert.equal(readdirSync(part).filter((f) => f.includes('best')).length, 1);
  }
  // A finished folder gives the same result again without training.
  assert.deepEqual(smallFit(o, { dir: join(dir, 'whole') }).weights, whole.weights);
  // Another configuration does not resume a folder it did not write.
  assert.throws(
    () => smallFit({ ...o, lr: 0.1 }, { dir: join(dir, 'whole') }),
    (e: Error) => e instanceof InputError && /different configuration/.test(e.message),
  );
});

test('sample weights: the batch loss is Σ class weight · sample weight · cross-entropy / Σ of the weights', () => {
  // One epoch of one batch: the recorded loss is the loss at the initial weights, computed
  // here from the head's logits in double precision.
  const x = [0, 0, 1, 0, 0, 1, 1, 1, 2, 0, 0, 2];
  const y = [0, 0, 0, 1, 1, 2];
  const sampleWeights = [1, 2, 0.5, 3, 1, 2];
  const classWeights = balancedClassWeights(y, 3); // 6/9, 6/6, 6/3
  const lossOf = (weights?: number[]) => {
    manualSeed(0);
    const head = new Linear(2, 3);
    const input = (idx: number[]) =>
      Tensor.from(
        idx.flatMap((i) => [x[2 * i], x[2 * i + 1]]),
        [idx.length, 2],
      );
    const logits = noGrad(() => head.forward(input([0, 1, 2, 3, 4, 5])).toArray() as Float32Array);
    const r = fitClassifier(
      {
        samples: [0, 1, 2, 3, 4, 5],
        y,
        classes: 3,
        params: head.parameters(),
        logits: (idx) => head.forward(input(idx)),
        validate: () => 0,
        modules: [head],
        ...(weights ? { sampleWeights: weights } : {}),
      },
      { ...SIX_POINT_FIT, batchSize: 6, maxEpochs: 1 },
    );
    head.dispose();
    let num = 0;
    let den = 0;
    y.forEach((c, i) => {
      const z = [0, 1, 2].map((k) => logits[i * 3 + k]);
      const lse = Math.log(z.reduce((s, v) => s + Math.exp(v), 0));
      const w = classWeights[c] * (weights ? weights[i] : 1);
      num += w * (lse - z[c]);
      den += w;
    });
    return { recorded: r.history[0].loss, expected: num / den };
  };
  const weighted = lossOf(sampleWeights);
  assert.ok(Math.abs(weighted.recorded - weighted.expected) < 1e-5, JSON.stringify(weighted));
  // Unit sample weights give the class-weighted loss of the plain path.
  const unit = lossOf([1, 1, 1, 1, 1, 1]);
  const plain = lossOf();
  assert.ok(
    Math.abs(unit.recorded - plain.recorded) < 1e-6,
    `${unit.recorded} vs ${plain.recorded}`,
  );
  assert.ok(Math.abs(plain.recorded - plain.expected) < 1e-5);
  assert.ok(Math.abs(weighted.recorded - plain.recorded) > 1e-3, 'the weights change the loss');
});
