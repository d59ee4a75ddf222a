import assert from 'node:assert/strict';
import test from 'node:test';
import {
  rankValueRows,
  type TokenExpression,
} from '../../src/pipelines/cells/corpus/expression.js';
import { linearBaseline } from '../../src/pipelines/cells/tasks/linear-baseline.js';
import { CLS } from '../../src/pipelines/cells/corpus/vocabulary.js';
import { UsageError } from '../../src/core/errors.js';

test('rank-value rows give a gene at position p of n the value (n − p) / n, absent genes 0', () => {
  // Two cells of maximum length 5: <cls> 7 5 9 <pad>, and <cls> 9 <pad> <pad> <pad>.
  const corpus = { tokens: Int32Array.from([CLS, 7, 5, 9, 0, CLS, 9, 0, 0, 0]), maxLength: 5 };
  const rows = rankValueRows(corpus, [1, 0], [5, 7, 9, 11]);
  assert.deepEqual([...rows[0]], [0, 0, 1, 0]);
  assert.deepEqual([...rows[1]], [2 / 3, 1, 1 / 3, 0]);
});

/** Cells over genes 10 and 11, both always expressed; the class is which one ranks first. */
function orderTask(n: number, seed: number) {
  const tokens: number[] = [];
  const labels: string[] = [];
  const counts: number[] = [];
  let s = seed;
  for (let c = 0; c < n; c++) {
    const aFirst = c % 2 === 0;
    tokens.push(CLS, ...(aFirst ? [10, 11] : [11, 10]));
    labels.push(aFirst ? 'a-first' : 'b-first');
    s = (s * 69069 + 1) >>> 0;
    const high = 5 + (s % 50); // counts vary freely; only their order follows the class
    counts.push(aFirst ? high : 1, aFirst ? 1 : high);
  }
  const expression: TokenExpression = {
    indptr: Float64Array.from({ length: n + 1 }, (_, i) => 2 * i),
    tokens: Int32Array.from({ length: 2 * n }, (_, k) => 10 + (k % 2)),
    counts: Float32Array.from(counts),
    totals: Float64Array.from({ length: n }, (_, c) => counts[2 * c] + counts[2 * c + 1]),
  };
  return { corpus: { tokens: Int32Array.from(tokens), maxLength: 3 }, expression, labels };
}

test('the rank-value linear baseline learns a class given by gene order', () => {
  const train = orderTask(40, 1);
  const test_ = orderTask(20, 2);
  const cells = Array.from({ length: 40 }, (_, i) => i);
  const r = linearBaseline(train.expression, cells, train.labels, test_.expression, {
    features: 'rank-value',
    corpora: { train: train.corpus, test: test_.corpus },
  });
  assert.equal(r.genes, 2);
  assert.deepEqual(r.predicted, test_.labels);
});

test('rank-value features without the tokenized corpora are a usage error', () => {
  const t = orderTask(4, 1);
  assert.throws(
    () =>
      linearBaseline(t.expression, [0, 1], ['a', 'b'], t.expression, { features: 'rank-value' }),
    (e: unknown) => e instanceof UsageError && /corpora/.test((e as Error).message),
  );
});
