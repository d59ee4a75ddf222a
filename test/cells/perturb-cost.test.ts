/**
 * The pieces added for real corpora: the masked-gene loss on masked positions only, the
 * pretraining cost model, perturbations of gene sets with several goal states, and a frozen
 * encoder's classifier on cached embeddings. Each is checked against an independent route.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/random.js';
import { F, Tensor, manualSeed, tidy } from '../../src/engine/index.js';
import { CELL_ENCODER_PRESETS, CellEncoder } from '../../src/models/cell-encoder.js';
import { expandGoals } from '../../src/commands/cells-perturb.js';
import { maskTokens, maskedGeneLoss } from '../../src/pipelines/cells/pretrain/pretrain-loss.js';
import {
  estimatePretrainCost,
  pretrainMacsPerToken,
} from '../../src/pipelines/cells/pretrain/pretrain-cost.js';
import {
  embedCells,
  meanEmbedding,
  perturbRow,
  perturbationEffects,
  trainCellClassifier,
} from '../../src/pipelines/cells/tasks/tasks.js';

const V = 40;
const L = 12;

/** `n` cells: `<cls>` (2) then distinct genes (4..V−1), some rows padded. */
function cells(n: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const out = new Int32Array(n * L);
  for (let i = 0; i < n; i++) {
    const genes = rng.permutation(V - 4).map((g) => g + 4);
    const len = L - (i % 3);
    out[i * L] = 2;
    for (let k = 1; k < len; k++) out[i * L + k] = genes[k];
  }
  return out;
}

function tinyModel(seed: number): CellEncoder {
  manualSeed(seed);
  return new CellEncoder({ ...CELL_ENCODER_PRESETS.tiny, vocabSize: V, maxLength: L });
}

test('the masked-gene loss on masked positions equals the cross-entropy over all positions with the rest ignored', () => {
  const model = tinyModel(1);
  model.eval();
  const tokens = cells(6, 2);
  const m = maskTokens(tokens, L, V, new Rng(3), 0.3);
  assert.ok(m.masked > 3);
  const [fast, full] = tidy(() => {
    const states = model.encode(Tensor.from(m.input, [6, L], 'int64'));
    // Reference: logits at every position, ignore_index −100 (the earlier computation).
    const all = F.crossEntropy(
      model.mlmLogits(states).reshape([6 * L, V]),
      Tensor.from(m.labels, [6 * L], 'int64'),
      { ignoreIndex: -100 },
    );
    return [maskedGeneLoss(model, states, m).item(), all.item()];
  });
  assert.ok(Math.abs(fast - full) < 1e-5, `${fast} vs ${full}`);
  const none = { ...m, labels: new Int32Array(m.labels.length).fill(-100), masked: 0 };
  const zero = tidy(() =>
    maskedGeneLoss(model, model.encode(Tensor.from(m.input, [6, L], 'int64')), none).item(),
  );
  assert.ok(zero === 0, `${zero}`); // −0 or 0: no term
});

test("the cost model's per-token work matches the encoder's own weight matrices", () => {
  const config = {
    vocabSize: 500,
    maxLength: 64,
    hidden: 32,
    layers: 3,
    heads: 4,
    intermediate: 48,
    dropout: 0,
  };
  const model = new CellEncoder(config);
  // Independent: multiply-accumulates of a token through every 2-D weight of the encoder
  // layers (one per weight element) and of the masked-gene head (dense + decoder).
  let layerWeights = 0;
  let headWeights = 0;
  for (const [name, t] of model.stateDict()) {
    if (t.shape.length !== 2) continue;
    const n = t.shape[0] * t.shape[1];
    if (name.startsWith('encoder.')) layerWeights += n;
    else if (name.startsWith('mlm.')) headWeights += n;
  }
  const attention = config.layers * 2 * 20 * config.hidden; // QKᵀ and AV over 20 tokens
  assert.equal(
    pretrainMacsPerToken(config, 20, 0.15, 1),
    layerWeights + attention + 0.15 * headWeights,
  );
  assert.equal(
    pretrainMacsPerToken(config, 20, 0.15, 3),
    3 * (layerWeights + attention) + 0.15 * headWeights,
  );
  // Hours: tokens ÷ (measured tokens/s ÷ cost ratio).
  const small = { ...config, tokensPerCell: 20 };
  const big = { ...config, hidden: 64, tokensPerCell: 80, cells: 1e6, epochs: 2 };
  const e = estimatePretrainCost(1000, small, big);
  const ratio = pretrainMacsPerToken(big, 80) / pretrainMacsPerToken(small, 20);
  assert.equal(e.costRatio, ratio);
  assert.ok(Math.abs(e.hours - (1e6 * 80 * 2) / (1000 / ratio) / 3600) < 1e-9);
});

test('perturbRow deletes or promotes a set of genes, and leaves cells without them alone', () => {
  const row = Int32Array.from([2, 9, 5, 7, 11, 0, 0]);
  assert.deepEqual([...perturbRow(row, [5, 11], 'delete')!], [2, 9, 7, 0, 0, 0, 0]);
  assert.deepEqual([...perturbRow(row, 7, 'delete')!], [2, 9, 5, 11, 0, 0, 0]);
  assert.equal(perturbRow(row, [30, 31], 'delete'), null);
  assert.deepEqual([...perturbRow(row, [11, 30], 'overexpress')!], [2, 11, 30, 9, 5, 7, 0]);
});

test('perturbation effects toward several goals equal the cosine changes computed by hand', () => {
  const model = tinyModel(4);
  const c = { tokens: cells(5, 5), maxLength: L };
  const H = model.config.hidden;
  const base = embedCells(model, c);
  const goals = [meanEmbedding(base, H, [0, 1]), meanEmbedding(base, H, [3])];
  const genes = [c.tokens[1], c.tokens[2]];
  const [effect] = perturbationEffects(model, c, [genes], 'delete', goals);
  // By hand: delete both genes from the cells expressing either, re-embed, average.
  const cos = (a: Float32Array, b: Float32Array) => {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    a.forEach((x, i) => ((ab += x * b[i]), (aa += x * x), (bb += b[i] * b[i])));
    return ab / Math.sqrt(aa * bb);
  };
  const hit: number[] = [];
  for (let i = 0; i < 5; i++) {
    const row = Array.from(c.tokens.subarray(i * L, (i + 1) * L));
    if (row.some((t) => genes.includes(t))) hit.push(i);
  }
  const edited = new Int32Array(hit.length * L);
  hit.forEach((i, k) => {
    const kept = Array.from(c.tokens.subarray(i * L, (i + 1) * L)).filter(
      (t) => !genes.includes(t),
    );
    edited.set(kept, k * L);
  });
  const after = embedCells(model, { tokens: edited, maxLength: L });
  const row = (e: Float32Array, i: number) => e.subarray(i * H, (i + 1) * H);
  assert.equal(effect.cells, hit.length);
  goals.forEach((g, j) => {
    const expected =
      hit.reduce((s, i, k) => s + cos(row(after, k), g) - cos(row(base, i), g), 0) / hit.length;
    assert.ok(Math.abs(effect.towardGoals[j] - expected) < 1e-5, `goal ${j}`);
  });
  const shift = hit.reduce((s, i, k) => s + 1 - cos(row(base, i), row(after, k)), 0) / hit.length;
  assert.ok(Math.abs(effect.shift - shift) < 1e-5);
});

test('--goal column=* stands for every value of the column', () => {
  const obs = { cell_type: ['beta', 'alpha', 'beta', 'delta'], n: [1, 2, 3, 4] };
  assert.deepEqual(expandGoals(obs, ['cell_type=*']), [
    'cell_type=alpha',
    'cell_type=beta',
    'cell_type=delta',
  ]);
  assert.deepEqual(expandGoals(obs, ['cell_type=beta']), ['cell_type=beta']);
  assert.throws(() => expandGoals(obs, ['tissue=*']), /--goal: no cell annotation 'tissue'/);
});

test('a frozen encoder: the head trained on cached embeddings predicts as the head on fresh ones', () => {
  const model = tinyModel(6);
  const train = { tokens: cells(24, 7), maxLength: L };
  // Two classes told apart by whether gene 4 is among a cell's first genes.
  const labels = Array.from({ length: 24 }, (_, i) =>
    Array.from(train.tokens.subarray(i * L, i * L + 6)).includes(4) ? 'a' : 'b',
  );
  labels[0] = 'a';
  labels[1] = 'b';
  const before = embedCells(model, train);
  const clf = trainCellClassifier(model, train, labels, { freezeEncoder: true, epochs: 3 });
  // The encoder is untouched, and a copy of the same cells (not the cached corpus object)
  // is embedded afresh: the predictions agree.
  assert.deepEqual(embedCells(model, train), before);
  const copy = { tokens: Int32Array.from(train.tokens), maxLength: L };
  assert.deepEqual(clf.predict(copy), clf.predict(train));
  assert.ok(clf.validation.cells > 0 && clf.validation.epoch >= 0);
  assert.ok(clf.validation.macroF1 >= 0 && clf.validation.macroF1 <= 1);
});
