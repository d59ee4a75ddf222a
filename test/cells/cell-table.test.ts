import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, UsageError } from '../../src/core/errors.js';
import { readTenxMtx } from '../../src/io/cells/tenx.js';
import {
  attachCellTable,
  selectCells,
  unmangleRName,
} from '../../src/pipelines/cells/corpus/cell-table.js';

const fixture = new URL('../../../test/fixtures/cells/baron-subset/', import.meta.url).pathname;
const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;

// Independent: the species and labels of the table's rows, read as plain text.
const rows = readFileSync(join(fixture, 'cells.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split(','));

test('a cell table annotates a 10x folder and --select keeps the cells of one species (real Baron cells)', async () => {
  const m = attachCellTable(await readTenxMtx(fixture), join(fixture, 'cells.csv'));
  assert.deepEqual(
    m.obs.species,
    rows.map((r) => r[2]),
  );
  assert.deepEqual(
    m.obs.label,
    rows.map((r) => r[4]),
  );
  const human = selectCells(m, 'species', 'human');
  const humanRows = rows.filter((r) => r[2] === 'human');
  assert.equal(human.nCells, humanRows.length);
  assert.deepEqual(
    human.cellIds,
    humanRows.map((r) => r[0]),
  );
  // The kept rows are the same counts: each cell's total equals its total in the full matrix.
  const total = (x: typeof m, i: number) => {
    let s = 0;
    for (let k = x.indptr[i]; k < x.indptr[i + 1]; k++) s += x.data[k];
    return s;
  };
  human.cellIds.forEach((id, i) => assert.equal(total(human, i), total(m, m.cellIds.indexOf(id))));
  assert.throws(
    () => selectCells(m, 'tissue', 'x'),
    (e: Error) => e instanceof UsageError && /has no annotation 'tissue'/.test(e.message),
  );
  assert.throws(
    () => selectCells(m, 'species', 'rat'),
    /the values are mouse, human|the values are human, mouse/,
  );
});

test('a cell table missing some cells names the file, its id column and examples', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-celltable-'));
  const partial = join(dir, 'partial.csv');
  writeFileSync(
    partial,
    ['barcode,label', ...rows.slice(0, 20).map((r) => `${r[0]},${r[4]}`)].join('\n'),
  );
  const m = await readTenxMtx(fixture);
  assert.throws(
    () => attachCellTable(m, partial),
    (e: Error) =>
      e instanceof InputError &&
      e.message.startsWith(`${partial}: barcode: 4 of the 24 cells`) &&
      e.message.includes(`'${rows[20][0]}'`),
  );
});

test("R's gene-name mangling is undone where it can be", () => {
  assert.equal(unmangleRName('X0610007P14Rik'), '0610007P14Rik');
  assert.equal(unmangleRName('H2.Aa'), 'H2-Aa');
  assert.equal(unmangleRName('Xist'), 'Xist', 'an X before a letter is part of the name');
  assert.equal(unmangleRName('Actb'), 'Actb');
});

test('cells tokenize --cell-table --select: the human corpus holds only human cells, with their labels', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-celltable-cli-'));
  const orthologs = join(dir, 'orthologs.csv');
  const genes = readFileSync(join(fixture, 'genes.tsv'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split('\t')[0]);
  writeFileSync(orthologs, ['mouse_gene,human_gene', ...genes.map((g) => `${g},${g}`)].join('\n'));
  const out = execFileSync(
    process.execPath,
    [cli, 'cells', 'tokenize', `hs:human:${fixture}`, `mm:mouse:${fixture}`]
      .concat([
        '--cell-table',
        `hs=${join(fixture, 'cells.csv')}`,
        '--cell-table',
        `mm=${join(fixture, 'cells.csv')}`,
      ])
      .concat(['--select', 'hs=species=human', '--select', 'mm=species=mouse'])
      .concat(['--orthologs', orthologs, '--max-length', '64', '--out', join(dir, 'tok')]),
    { encoding: 'utf8', stdio: 'pipe' },
  );
  assert.match(
    out,
    /hs: 12 cells, .* of its \d+ expressed genes \d+ have a token and \d+ a token shared/,
  );
  const hs = JSON.parse(readFileSync(join(dir, 'tok', 'hs.cells.json'), 'utf8'));
  assert.deepEqual(hs.obs.species, Array(12).fill('human'));
  assert.deepEqual(
    hs.obs.label,
    rows.filter((r) => r[2] === 'human').map((r) => r[4]),
  );
});

test('cells tokenize refuses a scaled X (negative values) and reads the counts in raw with --raw', async () => {
  const { readH5ad, writeH5ad } = await import('../../src/io/cells/h5ad.js');
  const dir = mkdtempSync(join(tmpdir(), 'nb-raw-'));
  const h5ad = new URL('../../../test/fixtures/cells/csr.h5ad', import.meta.url).pathname;
  const m = await readH5ad(h5ad);
  const scaled = join(dir, 'scaled.h5ad');
  await writeH5ad(scaled, { ...m, data: Float32Array.from(m.data, (v, i) => (i % 2 ? -v : v)) });
  const orthologs = join(dir, 'orthologs.csv');
  writeFileSync(
    orthologs,
    ['mouse_gene,human_gene', ...m.geneIds.map((g) => `${g},${g}`)].join('\n'),
  );
  const tokenize = (path: string, ...extra: string[]) =>
    spawnSync(
      process.execPath,
      [cli, 'cells', 'tokenize', `hs:human:${path}`, '--orthologs', orthologs].concat([
        '--max-length',
        '8',
        '--out',
        join(dir, 'tok'),
        ...extra,
      ]),
      { encoding: 'utf8' },
    );
  const refused = tokenize(scaled);
  assert.equal(refused.status, 2);
  assert.match(
    refused.stderr.trim().split('\n').at(-1)!,
    /scaled\.h5ad: X: holds negative values .*use --raw/,
  );
  assert.equal(tokenize(h5ad, '--raw').status, 0);
});
