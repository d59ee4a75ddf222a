import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stratifiedKFold, stratifiedSplit } from '../../src/stats/splits.js';

const labels = [
  ...Array<string>(37).fill('Pvalb'),
  ...Array<string>(11).fill('Sst'),
  ...Array<string>(5).fill('Vip'),
  ...Array<string>(2).fill('Lamp5'),
];

test('stratified k-fold: a partition, classes spread evenly, seeded', () => {
  const folds = stratifiedKFold(labels, 5, 3);
  const seen = folds.flatMap((f) => f.test).sort((a, b) => a - b);
  assert.deepEqual(
    seen,
    labels.map((_, i) => i),
    'every sample in exactly one test set',
  );
  for (const f of folds) {
    assert.equal(f.train.length + f.test.length, labels.length);
    assert.equal(new Set([...f.train, ...f.test]).size, labels.length, 'train and test disjoint');
  }
  for (const cls of ['Pvalb', 'Sst', 'Vip', 'Lamp5']) {
    const counts = folds.map((f) => f.test.filter((i) => labels[i] === cls).length);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${cls}: ${counts}`);
  }
  const sizes = folds.map((f) => f.test.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `fold sizes ${sizes}`);
  assert.deepEqual(stratifiedKFold(labels, 5, 3), folds, 'same seed, same folds');
  assert.notDeepEqual(stratifiedKFold(labels, 5, 4), folds, 'another seed, other folds');
  assert.throws(() => stratifiedKFold(labels, 1), /k must be/);
});

test('stratified 60/20/20 split keeps class proportions and covers every sample once', () => {
  const [train, val, test] = stratifiedSplit(labels, [0.6, 0.2, 0.2], 1);
  assert.deepEqual(
    [...train, ...val, ...test].sort((a, b) => a - b),
    labels.map((_, i) => i),
  );
  const count = (idx: number[], cls: string) => idx.filter((i) => labels[i] === cls).length;
  // Pvalb: round(0.2 × 37) = 7 in val and test, the rest (23) in train.
  assert.deepEqual([count(train, 'Pvalb'), count(val, 'Pvalb'), count(test, 'Pvalb')], [23, 7, 7]);
  assert.deepEqual([count(train, 'Sst'), count(val, 'Sst'), count(test, 'Sst')], [7, 2, 2]);
  assert.throws(() => stratifiedSplit(labels, [0.5, 0.2]), /sum to 1/);
});
