/**
 * Spectral gene embeddings against an independent computation: the SVD of the dense,
 * per-corpus centred cells × vocabulary incidence matrix (ml-matrix), compared through
 * E·Eᵀ, which does not depend on the singular vectors' signs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { Rng } from '../../src/core/random.js';
import { spectralTokenEmbeddings } from '../../src/pipelines/cells/pretrain/spectral-init.js';
import { initSpectralEmbeddings } from '../../src/pipelines/cells/pretrain/pretrain.js';
import { manualSeed } from '../../src/engine/index.js';
import { CELL_ENCODER_PRESETS, CellEncoder } from '../../src/models/cell-encoder.js';

function cells(n: number, L: number, V: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const rows = new Int32Array(n * L);
  for (let i = 0; i < n; i++) {
    rows[i * L] = 2; // <cls>
    const genes = rng.permutation(V - 4).slice(0, 3 + rng.int(L - 4));
    genes.forEach((g, k) => (rows[i * L + 1 + k] = 4 + g));
  }
  return rows;
}

function reference(rows: Int32Array, L: number, groups: Int32Array, V: number, H: number) {
  const n = rows.length / L;
  const x = Matrix.zeros(n, V);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < L; k++) if (rows[i * L + k] >= 4) x.set(i, rows[i * L + k], 1);
  for (const g of new Set(groups)) {
    const members = [...groups.keys()].filter((i) => groups[i] === g);
    for (let t = 0; t < V; t++) {
      const mean = members.reduce((s, i) => s + x.get(i, t), 0) / members.length;
      for (const i of members) x.set(i, t, x.get(i, t) - mean);
    }
  }
  const svd = new SingularValueDecomposition(x, { autoTranspose: true });
  const e = Matrix.zeros(V, H);
  for (let c = 0; c < H; c++)
    for (let t = 0; t < V; t++) e.set(t, c, svd.rightSingularVectors.get(t, c) * svd.diagonal[c]);
  return e;
}

test('spectral gene embeddings span the principal axes of the per-corpus centred token incidence (equal to a dense SVD)', () => {
  const [n, L, V, H] = [30, 9, 40, 5];
  const rows = cells(n, L, V, 1);
  const groups = Int32Array.from({ length: n }, (_, i) => (i < 12 ? 0 : 1));
  const got = spectralTokenEmbeddings(rows, L, groups, { hidden: H, vocabSize: V });
  assert.equal(got.components, H);
  assert.equal(got.cells, n);
  const ref = reference(rows, L, groups, V, H);
  const seen = [...got.seen.keys()].filter((t) => got.seen[t]);
  // The reference's scale, as the implementation rescales: mean row norm √H over seen tokens.
  const meanNorm = seen.reduce((s, t) => s + Math.hypot(...ref.getRow(t)), 0) / seen.length;
  const scale = Math.sqrt(H) / meanNorm;
  const mine = new Matrix(V, H);
  for (let t = 0; t < V; t++) for (let c = 0; c < H; c++) mine.set(t, c, got.weights[t * H + c]);
  const a = mine.mmul(mine.transpose());
  const b = ref.mmul(ref.transpose()).mul(scale * scale);
  for (let i = 0; i < V; i++)
    for (let j = 0; j < V; j++)
      assert.ok(
        Math.abs(a.get(i, j) - b.get(i, j)) < 1e-3,
        `E·Eᵀ[${i},${j}] ${a.get(i, j)} vs ${b.get(i, j)}`,
      );
  // Special tokens and genes no cell has are left to the random initialisation.
  for (const t of [0, 1, 2, 3]) assert.equal(got.seen[t], 0);
  for (let t = 0; t < V; t++) if (!got.seen[t]) assert.ok(mine.getRow(t).every((v) => v === 0));
  const meanRow = seen.reduce((s, t) => s + Math.hypot(...mine.getRow(t)), 0) / seen.length;
  assert.ok(Math.abs(meanRow - Math.sqrt(H)) < 1e-4);
});

test('spectral gene embeddings: a seeded sample of cells when there are more than maxCells; fewer axes than hidden when there are few cells', () => {
  const rows = cells(50, 6, 30, 2);
  const groups = new Int32Array(50);
  const a = spectralTokenEmbeddings(rows, 6, groups, {
    hidden: 4,
    vocabSize: 30,
    maxCells: 20,
    seed: 3,
  });
  const b = spectralTokenEmbeddings(rows, 6, groups, {
    hidden: 4,
    vocabSize: 30,
    maxCells: 20,
    seed: 3,
  });
  assert.equal(a.cells, 20);
  assert.deepEqual(a.weights, b.weights);
  const few = spectralTokenEmbeddings(rows.subarray(0, 3 * 6), 6, groups.subarray(0, 3), {
    hidden: 4,
    vocabSize: 30,
  });
  assert.ok(few.components <= 2, `3 centred cells span at most 2 axes, got ${few.components}`);
});

test('pretraining starts from the spectral rows for the genes the cells use and keeps the random rows of the others', () => {
  const [n, L, V] = [24, 8, 50];
  const rows = cells(n, L, V, 4);
  const corpusOfCell = Int32Array.from({ length: n }, (_, i) => i % 2);
  manualSeed(0);
  const model = new CellEncoder({ ...CELL_ENCODER_PRESETS.tiny, maxLength: L, vocabSize: V });
  const before = model.stateDict().get('embeddings.word.weight')!.toNumbers();
  initSpectralEmbeddings(model, { tokens: rows, maxLength: L, corpusOfCell }, 0);
  const after = model.stateDict().get('embeddings.word.weight')!.toNumbers();
  const H = model.config.hidden;
  const expected = spectralTokenEmbeddings(rows, L, corpusOfCell, {
    hidden: H,
    vocabSize: V,
    seed: 0,
  });
  for (let t = 0; t < V; t++) {
    const row = after.slice(t * H, (t + 1) * H);
    if (expected.seen[t])
      assert.deepEqual(
        row,
        Array.from(expected.weights.subarray(t * H, (t + 1) * H)),
        `gene token ${t}`,
      );
    else assert.deepEqual(row, before.slice(t * H, (t + 1) * H), `token ${t} keeps its random row`);
  }
  assert.ok(expected.seen.some((x) => x === 1) && expected.seen.some((x) => x === 0));
});
