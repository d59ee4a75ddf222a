import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { h5adInfo, readH5ad, writeH5ad } from '../../src/io/cells/h5ad.js';
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

test('an obs category too large to store per cell is refused by size before cells.json (fuzz finding)', async () => {
  // A 16 MB category over 40 cells: 671 M characters of cells.json, past V8's largest string
  // (the process aborted with signal 6 while building it).
  const dir = mkdtempSync(join(tmpdir(), 'nb-h5ad-big-'));
  const n = 40;
  const path = join(dir, 'big.h5ad');
  await writeH5ad(path, {
    nCells: n,
    nGenes: 2,
    indptr: Float64Array.from({ length: n + 1 }, (_, i) => i),
    indices: new Int32Array(n),
    data: new Float32Array(n).fill(3),
    cellIds: Array.from({ length: n }, (_, i) => `c${i}`),
    geneIds: ['A', 'B'],
    obs: {
      cell_type: new Array<string>(n).fill('x'),
      note: new Array<string>(n).fill('y'.repeat(16 << 20)),
    },
    var: {},
    source: { format: 'synthetic', path },
  });
  const refused = (e: Error) => {
    assert.ok(e instanceof InputError, e.stack);
    assert.equal(e.file, path);
    assert.equal(e.field, 'obs/note');
    assert.match(
      e.message,
      /671\.1 million characters over 40 cells .*expected at most 500\.0 million characters for obs/,
    );
    return true;
  };
  await assert.rejects(readH5ad(path), refused);
  await assert.rejects(h5adInfo(path), refused);
  // The command stops with that one line.
  writeFileSync(join(dir, 'orthologs.tsv'), 'mouse_gene\thuman_gene\nA\tA\n');
  const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;
  const r = spawnSync(
    process.execPath,
    [cli, 'cells', 'tokenize', `hs:human:${path}`, '--orthologs', 'orthologs.tsv', '--out', 'tok'],
    { cwd: dir, encoding: 'utf8' },
  );
  assert.equal(r.status, 2, r.stderr);
  // Progress lines (the orthologs kept) come first; the error is the last line, without a stack.
  const lines = r.stderr.trimEnd().split('\n');
  assert.match(
    lines.at(-1)!,
    /^neurobridge: \S+big\.h5ad: obs\/note: its values come to 671\.1 million/,
  );
  assert.ok(!lines.some((l) => /^\s+at /.test(l)), r.stderr);
  rmSync(dir, { recursive: true, force: true });
});
