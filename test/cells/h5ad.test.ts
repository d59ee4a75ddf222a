import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readH5ad, writeH5ad } from '../../src/io/cells/h5ad.js';
import type { CountMatrix } from '../../src/io/cells/types.js';

const fixture = (name: string) =>
  new URL(`../../../test/fixtures/cells/${name}`, import.meta.url).pathname;
const expected = JSON.parse(readFileSync(fixture('expected.json'), 'utf8')) as {
  X: number[][];
  raw: number[][];
  cells: string[];
  genes: string[];
  cell_type: string[];
};

function dense(m: CountMatrix): number[][] {
  const out = Array.from({ length: m.nCells }, () => new Array<number>(m.nGenes).fill(0));
  for (let r = 0; r < m.nCells; r++)
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) out[r][m.indices[k]] = m.data[k];
  return out;
}

test('h5ad written by h5py in the AnnData layout: dense, CSR and CSC X read to the same matrix', async () => {
  for (const layout of ['dense', 'csr', 'csc']) {
    const m = await readH5ad(fixture(`${layout}.h5ad`));
    assert.deepEqual(dense(m), expected.X, layout);
    assert.deepEqual(m.cellIds, expected.cells);
    assert.deepEqual(m.geneSymbols, expected.genes);
    assert.deepEqual(m.obs.cell_type, expected.cell_type, 'categorical with a missing code');
    assert.deepEqual(
      m.obs.n_counts,
      expected.X.map((r) => r.reduce((a, b) => a + b, 0)),
    );
    for (let r = 0; r < m.nCells; r++)
      for (let k = m.indptr[r] + 1; k < m.indptr[r + 1]; k++)
        assert.ok(m.indices[k - 1] < m.indices[k]);
  }
  const layer = await readH5ad(fixture('csr.h5ad'), { layer: 'spliced' });
  assert.deepEqual(
    dense(layer),
    expected.X.map((r) => r.map((v) => 2 * v)),
  );
  const raw = await readH5ad(fixture('csc.h5ad'), { raw: true });
  assert.deepEqual(dense(raw), expected.raw);
  await assert.rejects(
    readH5ad(fixture('csr.h5ad'), { layer: 'unspliced' }),
    /layers\/unspliced: not in the file; layers: spliced/,
  );
});

test('writeH5ad → readH5ad round trips in all three layouts', async () => {
  const src = await readH5ad(fixture('csr.h5ad'));
  const dir = mkdtempSync(join(tmpdir(), 'nb-h5ad-'));
  for (const layout of ['csr', 'csc', 'dense'] as const) {
    const path = join(dir, `${layout}.h5ad`);
    await writeH5ad(path, src, { layout });
    const back = await readH5ad(path);
    assert.deepEqual(dense(back), expected.X, layout);
    assert.deepEqual(back.cellIds, src.cellIds);
    assert.deepEqual(back.geneIds, src.geneIds);
    assert.deepEqual(back.obs, src.obs);
    assert.deepEqual(back.var, src.var);
  }
});

test('malformed h5ad files are named with the HDF5 path', async () => {
  const src = await readH5ad(fixture('csr.h5ad'));
  const dir = mkdtempSync(join(tmpdir(), 'nb-h5ad-bad-'));
  const bad = { ...src, indices: Int32Array.from(src.indices, (v, k) => (k === 2 ? 99 : v)) };
  await writeH5ad(join(dir, 'bad.h5ad'), bad);
  await assert.rejects(
    readH5ad(join(dir, 'bad.h5ad')),
    /bad\.h5ad: X\/indices: index 99 at position 2 is outside 0\.\.4/,
  );
  await assert.rejects(readH5ad(join(dir, 'missing.h5ad')), /missing\.h5ad: file not found/);
});
