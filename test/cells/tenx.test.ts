import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readCounts } from '../../src/io/cells/index.js';
import type { CountMatrix } from '../../src/io/cells/types.js';

const real = (name: string) =>
  new URL(`../../../test/fixtures/cells/real/${name}`, import.meta.url).pathname;

const row = (m: CountMatrix, cell: number) => {
  const out = new Map<number, number>();
  for (let k = m.indptr[cell]; k < m.indptr[cell + 1]; k++) out.set(m.indices[k], m.data[k]);
  return out;
};

test('real PBMC cells: the 10x mtx folder and the dense txt give the same counts (Seurat test data)', async () => {
  const mtx = await readCounts(real('pbmc_raw_10x_mtx'));
  const txt = await readCounts(real('pbmc_raw.txt'));
  assert.deepEqual([mtx.nCells, mtx.nGenes, mtx.indices.length], [80, 240, 4814]);
  assert.deepEqual([txt.nCells, txt.nGenes], [80, 230]);
  assert.deepEqual(
    mtx.cellIds.map((b) => b.replace(/-1$/, '')),
    txt.cellIds,
  );
  const txtGene = new Map(txt.geneIds.map((g, i) => [g, i]));
  for (let c = 0; c < 80; c++) {
    const a = row(mtx, c);
    const b = row(txt, c);
    mtx.geneSymbols!.forEach((symbol, g) =>
      assert.equal(a.get(g) ?? 0, b.get(txtGene.get(symbol)!) ?? 0, `${symbol}, cell ${c}`),
    );
  }
});

test('real mouse Visium 10x HDF5 (gzip-compressed datasets): shape, non-zeros and total as published', async () => {
  const m = await readCounts(real('visium_filtered_feature_bc_matrix.h5'));
  assert.deepEqual([m.nCells, m.nGenes], [2695, 100]);
  assert.equal(m.indices.length, 50355);
  assert.equal(
    m.data.reduce((a, b) => a + b, 0),
    132231,
  );
  assert.deepEqual(m.geneSymbols!.slice(0, 5), ['Xkr4', 'Gm1992', 'Gm37381', 'Rp1', 'Sox17']);
  assert.match(m.geneIds[0], /^ENSMUSG/);
});

test('gzip 10x folders read the same; truncated or out-of-range mtx files are named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-10x-'));
  for (const f of ['matrix.mtx', 'genes.tsv', 'barcodes.tsv'])
    writeFileSync(
      join(dir, f.replace('genes', 'features') + '.gz'),
      gzipSync(readFileSync(real(`pbmc_raw_10x_mtx/${f}`))),
    );
  const gz = await readCounts(dir);
  const plain = await readCounts(real('pbmc_raw_10x_mtx'));
  assert.deepEqual(gz.data, plain.data);
  assert.deepEqual(gz.indices, plain.indices);
  const bad = mkdtempSync(join(tmpdir(), 'nb-10x-bad-'));
  copyFileSync(real('pbmc_raw_10x_mtx/genes.tsv'), join(bad, 'genes.tsv'));
  copyFileSync(real('pbmc_raw_10x_mtx/barcodes.tsv'), join(bad, 'barcodes.tsv'));
  const lines = readFileSync(real('pbmc_raw_10x_mtx/matrix.mtx'), 'utf8').split('\n');
  writeFileSync(join(bad, 'matrix.mtx'), lines.slice(0, 100).join('\n'));
  await assert.rejects(readCounts(bad), /declares 4814 entries, the file has 98 \(truncated\?\)/);
  writeFileSync(join(bad, 'matrix.mtx'), [...lines.slice(0, 3), '241 1 5'].join('\n'));
  await assert.rejects(readCounts(bad), /matrix\.mtx: line 4: entry '241 1 5' is outside 240 × 80/);
  writeFileSync(join(bad, 'matrix.mtx'), 'not a matrix\n');
  await assert.rejects(readCounts(bad), /line 1: expected '%%MatrixMarket/);
  await assert.rejects(
    readCounts(join(bad, 'genes.tsv')),
    /genes\.tsv: line 2, column 'MS4A1': expected a count, got 'CD79B'/,
  );
  writeFileSync(join(bad, 'counts.json'), '{}');
  await assert.rejects(readCounts(join(bad, 'counts.json')), /unknown count-matrix format/);
});
