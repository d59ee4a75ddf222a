/**
 * The ensemble of `cells classify --ensemble-runs`: a classifier's probabilities (rows of
 * the softmax, whose argmax is its prediction) and their mean over members, against values
 * worked out by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed } from '../../src/engine/index.js';
import { CELL_ENCODER_PRESETS, CellEncoder } from '../../src/models/cell-encoder.js';
import { ensemblePredictions, trainCellClassifier } from '../../src/pipelines/cells/tasks/tasks.js';

test('ensemblePredictions: the mean of the members, each row’s largest class, the first on a tie', () => {
  // Two members, three cells, two classes: cell 0 goes with the confident member, cell 2 ties.
  const a = Float32Array.from([0.6, 0.4, 0.9, 0.1, 0.3, 0.7]);
  const b = Float32Array.from([0.1, 0.9, 0.8, 0.2, 0.7, 0.3]);
  const { mean, predicted } = ensemblePredictions([a, b], 2);
  [0.35, 0.65, 0.85, 0.15, 0.5, 0.5].forEach((v, i) => assert.ok(Math.abs(mean[i] - v) < 1e-7));
  assert.deepEqual(predicted, [1, 0, 0]);
  assert.throws(() => ensemblePredictions([a, b.subarray(2)], 2), /one shape/);
  assert.throws(() => ensemblePredictions([], 2), /one shape/);
});

test('a fine-tuned classifier’s probabilities: rows sum to 1 and their argmax is its prediction', () => {
  manualSeed(5);
  const L = 8;
  const model = new CellEncoder({ ...CELL_ENCODER_PRESETS.tiny, vocabSize: 40, maxLength: L });
  // 60 cells of three classes, each class drawing its genes from its own third of the tokens.
  const tokens = new Int32Array(60 * L);
  const labels: string[] = [];
  for (let c = 0; c < 60; c++) {
    const k = c % 3;
    labels.push(['a', 'b', 'c'][k]);
    tokens[c * L] = 2;
    for (let j = 1; j < L; j++) tokens[c * L + j] = 4 + k * 12 + ((c * 7 + j * 5) % 12);
  }
  const corpus = { tokens, maxLength: L };
  const clf = trainCellClassifier(model, corpus, labels, { epochs: 2, seed: 1 });
  const p = clf.probabilities(corpus);
  assert.equal(p.length, 60 * 3);
  const predicted = clf.predict(corpus);
  for (let c = 0; c < 60; c++) {
    const row = [...p.subarray(c * 3, c * 3 + 3)];
    assert.ok(Math.abs(row[0] + row[1] + row[2] - 1) < 1e-5, `row ${c} sums to 1`);
    assert.equal(clf.classes[row.indexOf(Math.max(...row))], predicted[c], `cell ${c}`);
  }
});
