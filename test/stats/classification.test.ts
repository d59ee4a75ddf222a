import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/random.js';
import { UsageError } from '../../src/core/errors.js';
import {
  accuracy,
  confusionMatrix,
  macroF1,
  perClassF1,
  type Label,
  groupEvenWeights,
} from '../../src/stats/classification.js';
import { assertArrayClose, assertClose, loadFixture } from './reference.js';

/** F1 of one class straight from its definition, 0 when undefined. */
function bruteF1(yTrue: Label[], yPred: Label[], c: Label): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < yTrue.length; i++) {
    if (yPred[i] === c && yTrue[i] === c) tp++;
    else if (yPred[i] === c) fp++;
    else if (yTrue[i] === c) fn++;
  }
  return 2 * tp + fp + fn === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

test('macro F1, confusion matrix and accuracy equal brute force on random inputs', () => {
  const rng = new Rng(21);
  for (let c = 0; c < 300; c++) {
    const n = 1 + rng.int(60);
    const k = 1 + rng.int(6);
    const yTrue: Label[] = Array.from({ length: n }, () => rng.int(k));
    // Predictions may use a class never seen in yTrue (k), as sklearn allows.
    const yPred: Label[] = yTrue.map((t) => (rng.uniform() < 0.5 ? t : rng.int(k + 1)));
    const labels = [...new Set([...yTrue, ...yPred])].sort((a, b) => Number(a) - Number(b));
    const f1s = labels.map((l) => bruteF1(yTrue, yPred, l));
    assertClose(macroF1(yTrue, yPred), f1s.reduce((a, b) => a + b, 0) / f1s.length, 1e-12, 'F1');
    const cm = confusionMatrix(yTrue, yPred);
    assert.deepEqual(cm.labels, labels);
    labels.forEach((a, i) =>
      labels.forEach((b, j) => {
        const count = yTrue.filter((t, s) => t === a && yPred[s] === b).length;
        assert.equal(cm.counts[i][j], count);
      }),
    );
    const hits = yTrue.filter((t, i) => t === yPred[i]).length;
    assert.equal(accuracy(yTrue, yPred), hits / n);
  }
});

interface ClassificationCase {
  name: string;
  yTrue: Label[];
  yPred: Label[];
  labels: Label[] | null;
  labelsUsed: Label[];
  confusion: number[][];
  f1: number[];
  macroF1: number;
  accuracy: number;
}

test('classification scores equal scikit-learn fixtures', () => {
  const { cases } = loadFixture<ClassificationCase>('classification');
  assert.ok(cases.length >= 8);
  for (const c of cases) {
    const labels = c.labels ?? undefined;
    const cm = confusionMatrix(c.yTrue, c.yPred, labels);
    assert.deepEqual(cm.labels, c.labelsUsed, c.name);
    assert.deepEqual(cm.counts, c.confusion, c.name);
    assertArrayClose(perClassF1(c.yTrue, c.yPred, labels).f1, c.f1, 1e-12, `${c.name} f1`);
    assertClose(macroF1(c.yTrue, c.yPred, labels), c.macroF1, 1e-12, `${c.name} macro`);
    assertClose(accuracy(c.yTrue, c.yPred), c.accuracy, 1e-15, `${c.name} accuracy`);
  }
});

test('per-class scores: precision, recall, support and zero division', () => {
  const s = perClassF1(['a', 'a', 'b', 'c'], ['a', 'b', 'b', 'b']);
  assert.deepEqual(s.labels, ['a', 'b', 'c']);
  assert.deepEqual(s.support, [2, 1, 1]);
  assert.deepEqual(s.precision, [1, 1 / 3, 0]);
  assert.deepEqual(s.recall, [0.5, 1, 0]);
  assert.deepEqual(s.f1[2], 0);
  // A requested label absent from both scores 0 and still counts in the macro mean.
  assert.equal(macroF1([1, 1], [1, 1], [1, 9]), 0.5);
});

test('classification: invalid input is refused with UsageError', () => {
  assert.throws(() => macroF1([1, 2], [1]), UsageError);
  assert.throws(() => confusionMatrix([1, 'a'], [1, 'a']), /mix strings and numbers/);
  assert.throws(() => confusionMatrix([1], [1], [1, 1]), /given twice/);
  assert.throws(() => accuracy([], []), /no samples/);
});

test('group-even weights: each class keeps its count, split equally among the groups holding it', () => {
  // Class a: 3 cells in group 1, 1 in group 2 → 4 / (2·3) each in group 1, 4 / (2·1) in group 2.
  // Class b: 2 cells, both in group 1 (one group holds it) → 2 / (1·2) = 1 each.
  const y = ['a', 'a', 'b', 'a', 'a', 'b'];
  const g = [1, 1, 1, 1, 2, 1];
  const w = Array.from(groupEvenWeights(y, g));
  assertArrayClose(w, [2 / 3, 2 / 3, 1, 2 / 3, 2, 1], 1e-12, 'weights');
  // Per class: total = count; per group within a class: equal shares.
  const total = (keep: (i: number) => boolean) => w.reduce((s, v, i) => s + (keep(i) ? v : 0), 0);
  assertClose(
    total((i) => y[i] === 'a'),
    4,
    1e-12,
    'class a total',
  );
  assertClose(
    total((i) => y[i] === 'a' && g[i] === 1),
    total((i) => y[i] === 'a' && g[i] === 2),
    1e-12,
    'class a, group shares',
  );
  // One group: every weight is 1.
  assert.deepEqual(
    Array.from(
      groupEvenWeights(
        y,
        y.map(() => 0),
      ),
    ),
    [1, 1, 1, 1, 1, 1],
  );
  assert.throws(() => groupEvenWeights(y, [1]), /6 labels but 1 groups/);
});
