import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import h5wasm from 'h5wasm/node';
import { InputError } from '../../src/core/errors.js';
import { readCounts } from '../../src/io/cells/index.js';
import { readH5ad, readH5adChunks } from '../../src/io/cells/h5ad.js';
import { readTenxH5, readTenxMtx } from '../../src/io/cells/tenx.js';
import { readFeatureTable } from '../../src/io/ephys/feature-table.js';
import { readFeatureVectors } from '../../src/io/ephys/ipfx.js';
import { readLabels } from '../../src/io/ephys/labels.js';
import { readOrthologs } from '../../src/pipelines/cells/corpus/orthologs.js';
import { writeH5 } from '../helpers/h5.js';

type Group = InstanceType<typeof h5wasm.Group>;

const real = (name: string) =>
  new URL(`../../../test/fixtures/cells/real/${name}`, import.meta.url).pathname;

interface Parts {
  indptr?: number[];
  indices?: number[];
  data?: number[];
  shape?: number[];
  encoding?: string;
  codes?: boolean;
}

/** 3 cells × 4 genes; `parts` replaces (or, as undefined, drops) pieces of a valid CSR X. */
const VALID = {
  indptr: [0, 2, 3, 5],
  indices: [0, 3, 1, 0, 2],
  data: [1, 2, 3, 4, 5],
  shape: [3, 4],
};

async function h5ad(path: string, parts: Parts): Promise<string> {
  return writeH5(path, (f) => {
    f.create_group('X');
    const x = f.get('X') as Group;
    x.create_attribute('encoding-type', parts.encoding ?? 'csr_matrix');
    x.create_attribute('shape', BigInt64Array.from(parts.shape ?? VALID.shape, BigInt));
    if (parts.indptr) x.create_dataset({ name: 'indptr', data: Float64Array.from(parts.indptr) });
    if (parts.indices)
      x.create_dataset({ name: 'indices', data: Float64Array.from(parts.indices) });
    if (parts.data) x.create_dataset({ name: 'data', data: Float32Array.from(parts.data) });
    for (const [name, ids] of [
      ['obs', ['c0', 'c1', 'c2']],
      ['var', ['g0', 'g1', 'g2', 'g3']],
    ] as const) {
      f.create_group(name);
      const g = f.get(name) as Group;
      g.create_attribute('encoding-type', 'dataframe');
      g.create_attribute('_index', '_index');
      g.create_dataset({ name: '_index', data: [...ids] });
    }
    const obs = f.get('obs') as Group;
    obs.create_attribute('column-order', ['cell_type']);
    obs.create_group('cell_type');
    const ct = f.get('obs/cell_type') as Group;
    ct.create_attribute('encoding-type', 'categorical');
    ct.create_dataset({ name: 'categories', data: ['B', 'T'] });
    if (parts.codes !== false)
      ct.create_dataset({ name: 'codes', data: new Int8Array([0, 1, -1]) });
  });
}

async function readAllChunks(path: string): Promise<number> {
  let cells = 0;
  for await (const m of readH5adChunks(path, 1)) cells += m.nCells;
  return cells;
}

/** `promise` rejects with an InputError whose message starts with the file and matches `pattern`. */
async function rejectsInput(promise: Promise<unknown>, path: string, pattern: RegExp) {
  await assert.rejects(promise, (e: Error) => {
    assert.ok(e instanceof InputError, `${e.name}: ${e.message}`);
    assert.ok(e.message.startsWith(`${path}: `), e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

test('h5ad content: NaN/inf counts, bad indptr, out-of-range indices and missing parts are InputErrors naming the dataset, whole or streamed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-h5ad-valid-'));
  try {
    const ok = await h5ad(join(dir, 'ok.h5ad'), VALID);
    assert.deepEqual(Array.from((await readH5ad(ok)).data), [1, 2, 3, 4, 5]);
    assert.equal(await readAllChunks(ok), 3);
    const cases: [string, Parts, RegExp, RegExp?][] = [
      [
        'nan',
        { ...VALID, data: [1, NaN, 3, 4, 5] },
        /X\/data: value NaN at position 1; expected finite/,
      ],
      [
        'inf',
        { ...VALID, data: [1, 2, 3, -Infinity, 5] },
        /X\/data: value -Infinity at position 3/,
      ],
      [
        'decreasing',
        { ...VALID, indptr: [0, 3, 2, 5] },
        /indptr: entry 2 \(2\) is below entry 1 \(3\)/,
      ],
      [
        'fractional',
        { ...VALID, indptr: [0, 1.5, 3, 5] },
        /indptr: entry 1 is 1\.5; expected an integer/,
      ],
      ['start', { ...VALID, indptr: [1, 2, 3, 5] }, /indptr: starts at 1; expected 0/],
      [
        'middle',
        { ...VALID, indptr: [0, 9, 3, 5] },
        /indptr: entry 1 \(9\) is past the 5 stored values/,
      ],
      [
        'end',
        { ...VALID, indptr: [0, 2, 3, 4] },
        /indptr: ends at 4 but there are 5 stored values/,
      ],
      [
        'short',
        { ...VALID, indptr: [0, 2, 5] },
        /indptr: has 3 entries; 3 rows of the compressed matrix need 4/,
      ],
      [
        'index',
        { ...VALID, indices: [0, 4, 1, 0, 2] },
        /X\/indices: index 4 at position 1 is outside 0\.\.3/,
      ],
      ['negative', { ...VALID, indices: [0, 3, -1, 0, 2] }, /indices: index -1 at position 2/],
      [
        'fraction-index',
        { ...VALID, indices: [0, 2.5, 1, 0, 2] },
        /indices: index 2\.5 at position 1/,
      ],
      ['codes', { ...VALID, codes: false }, /obs\/cell_type\/codes: missing dataset/],
      ['no-indices', { ...VALID, indices: undefined }, /X\/indices: missing dataset/],
      ['no-indptr', { ...VALID, indptr: undefined }, /X\/indptr: missing dataset/],
      ['no-data', { ...VALID, data: undefined }, /X\/data: missing dataset/],
      [
        'shape',
        { ...VALID, shape: [3, 4, 1] },
        /X shape: expected a shape of 2 non-negative integers/,
      ],
      ['lengths', { ...VALID, data: [1, 2, 3, 4] }, /has 5 indices but 4 values/],
      ['encoding', { ...VALID, encoding: 'coo_matrix' }, /unsupported encoding-type 'coo_matrix'/],
      // CSC: indptr runs over the 4 genes, indices over the 3 cells.
      [
        'csc',
        {
          encoding: 'csc_matrix',
          indptr: [0, 1, 1, 2, 9],
          indices: [0, 2],
          data: [1, 1],
          shape: [3, 4],
        },
        /indptr: entry 4 \(9\) is past the 2 stored values/,
        /CSC X cannot be read in row chunks/,
      ],
    ];
    for (const [name, parts, pattern, streamed] of cases) {
      const path = await h5ad(join(dir, `${name}.h5ad`), parts);
      await rejectsInput(readH5ad(path), path, pattern);
      await rejectsInput(readAllChunks(path), path, streamed ?? pattern);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('10x HDF5: the same CSR checks (shared validator) name matrix/indptr, indices and data', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-10xh5-valid-'));
  const write = (name: string, p: { indptr?: number[]; indices?: number[]; data?: number[] }) =>
    writeH5(join(dir, name), (f) => {
      f.create_group('matrix');
      const m = f.get('matrix') as Group;
      // CSC by barcode: 3 barcodes (indptr) × 4 features (indices).
      m.create_dataset({ name: 'shape', data: new Int32Array([4, 3]) });
      m.create_dataset({
        name: 'indptr',
        data: BigInt64Array.from(p.indptr ?? VALID.indptr, BigInt),
      });
      m.create_dataset({ name: 'indices', data: Float64Array.from(p.indices ?? VALID.indices) });
      m.create_dataset({ name: 'data', data: Float32Array.from(p.data ?? VALID.data) });
      m.create_dataset({ name: 'barcodes', data: ['AAA-1', 'CCC-1', 'GGG-1'] });
      m.create_group('features');
      const ft = f.get('matrix/features') as Group;
      ft.create_dataset({ name: 'id', data: ['E0', 'E1', 'E2', 'E3'] });
      ft.create_dataset({ name: 'name', data: ['A', 'B', 'C', 'D'] });
    });
  try {
    const ok = await write('ok.h5', {});
    assert.deepEqual(Array.from((await readTenxH5(ok)).indices), VALID.indices);
    const cases: [string, Parameters<typeof write>[1], RegExp][] = [
      ['decreasing.h5', { indptr: [0, 3, 2, 5] }, /matrix\/indptr: entry 2 \(2\) is below entry 1/],
      [
        'middle.h5',
        { indptr: [0, 99, 3, 5] },
        /matrix\/indptr: entry 1 \(99\) is past the 5 stored values/,
      ],
      [
        'index.h5',
        { indices: [0, 3, 1, 7, 2] },
        /matrix\/indices: index 7 at position 3 is outside 0\.\.3/,
      ],
      ['nan.h5', { data: [1, 2, NaN, 4, 5] }, /matrix\/data: value NaN at position 2/],
    ];
    for (const [name, parts, pattern] of cases) {
      const path = await write(name, parts);
      await rejectsInput(readTenxH5(path), path, pattern);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('10x matrix.mtx: impossible entry counts, corrupt or truncated .gz and a gzip bomb are InputErrors, quickly and without allocating from the header', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-10x-mtx-'));
  try {
    const src = (f: string) => readFileSync(real(`pbmc_raw_10x_mtx/${f}`));
    const mtxText = src('matrix.mtx').toString('utf8');
    const folder = (name: string, mtx: Buffer | string, gz = false) => {
      const d = join(dir, name);
      mkdirSync(d);
      writeFileSync(join(d, gz ? 'matrix.mtx.gz' : 'matrix.mtx'), mtx);
      writeFileSync(join(d, 'genes.tsv'), src('genes.tsv'));
      writeFileSync(join(d, 'barcodes.tsv'), src('barcodes.tsv'));
      return d;
    };
    const withHeader = (header: string) => mtxText.replace(/^(\d+) (\d+) (\d+)$/m, header);
    const started = Date.now();
    const cases: [string, Buffer | string, boolean, RegExp][] = [
      [
        'negative',
        withHeader('240 80 -1'),
        false,
        /line 2: expected 'rows columns entries' \(3 non-negative integers\), got '240 80 -1'/,
      ],
      [
        'huge',
        withHeader('240 80 1000000000000'),
        false,
        /declares 1000000000000 entries, more than 240 × 80/,
      ],
      [
        'more',
        withHeader('240 80 19000'),
        false,
        /entries: the header declares 19000 entries, the file has 4814 \(truncated\?\)/,
      ],
      ['fraction', withHeader('240 80 4814.5'), false, /expected 'rows columns entries'/],
      [
        'truncated-gz',
        gzipSync(src('matrix.mtx')).subarray(0, 3000),
        true,
        /not a readable gzip file \(unexpected end of file\)/,
      ],
      [
        'header-only-gz',
        gzipSync(src('matrix.mtx')).subarray(0, 15),
        true,
        /not a readable gzip file|expected '%%MatrixMarket/,
      ],
    ];
    const corrupt = gzipSync(src('matrix.mtx'));
    for (let i = 2000; i < 2100; i++) corrupt[i] ^= 0xa5;
    cases.push(['corrupt-gz', corrupt, true, /not a readable gzip file/]);
    // A bomb: a header declaring 3 entries followed by 64 MiB of zeros (64 KiB compressed).
    const bomb = gzipSync(
      Buffer.concat([
        Buffer.from('%%MatrixMarket matrix coordinate integer general\n240 80 3\n'),
        Buffer.alloc(64 * 2 ** 20),
      ]),
    );
    cases.push([
      'bomb',
      bomb,
      true,
      /decompresses to more than \d+ bytes, more than its declared contents can take/,
    ]);
    for (const [name, content, gz, pattern] of cases) {
      const d = folder(name, content, gz);
      const file = join(d, gz ? 'matrix.mtx.gz' : 'matrix.mtx');
      await assert.rejects(
        Promise.resolve().then(() => readTenxMtx(d)),
        (e: Error) => {
          assert.ok(e instanceof InputError, `${name}: ${e.name}: ${e.message}`);
          assert.ok(e.message.startsWith(`${file}: `), e.message);
          assert.match(e.message, pattern, name);
          return true;
        },
      );
    }
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    // A non-integer entry is refused too (it was truncated into an index).
    const lines = mtxText.split('\n');
    const entry = lines.findIndex((l) => !l.startsWith('%')) + 1;
    lines[entry] = lines[entry].replace(/^(\d+)/, '$1.5');
    const d = folder('float-entry', lines.join('\n'));
    assert.throws(() => readTenxMtx(d), /matrix\.mtx: line \d+: entry '\d+\.5 \d+ \d+' is outside/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('folders and broken symbolic links where a file is expected are one-line InputErrors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-not-a-file-'));
  try {
    const readers: [string, string, (p: string) => unknown][] = [
      ['ortholog table', 'csv', (p) => readOrthologs(p)],
      ['feature table', 'csv', (p) => readFeatureTable(p)],
      ['labels', 'csv', (p) => readLabels(p, { idColumn: 'id', labelColumn: 'label' })],
      ['readCounts h5ad', 'h5ad', (p) => readCounts(p)],
      ['readH5ad', 'h5ad', (p) => readH5ad(p)],
      ['IPFX feature vectors', 'h5', (p) => readFeatureVectors(p)],
    ];
    for (const [name, ext, read] of readers) {
      const folder = join(dir, `${name}-folder.${ext}`);
      mkdirSync(folder);
      const dangling = join(dir, `${name}-dangling.${ext}`);
      symlinkSync(join(dir, `nowhere.${ext}`), dangling);
      for (const [path, pattern] of [
        [
          folder,
          /: is a folder; expected|: a folder without matrix\.mtx|no family \.npy files|expected ids\.npy/,
        ],
        [dangling, /: is a symbolic link to .*, which does not exist; expected|: not found/],
      ] as const)
        await assert.rejects(
          Promise.resolve().then(() => read(path)),
          (e: Error) => {
            assert.ok(e instanceof InputError, `${name}: ${e.name}: ${e.message}`);
            assert.ok(e.message.startsWith(`${path}: `), e.message);
            assert.match(e.message, pattern, name);
            return true;
          },
        );
    }
    // A 10x folder whose matrix.mtx is a folder, or whose barcodes link is broken.
    const tenx = join(dir, '10x');
    mkdirSync(join(tenx, 'matrix.mtx'), { recursive: true });
    writeFileSync(join(tenx, 'genes.tsv'), 'g\tG\n');
    writeFileSync(join(tenx, 'barcodes.tsv'), 'b\n');
    assert.throws(
      () => readTenxMtx(tenx),
      /10x\/matrix\.mtx: is a folder; expected a Matrix Market file/,
    );
    rmSync(join(tenx, 'matrix.mtx'), { recursive: true });
    writeFileSync(
      join(tenx, 'matrix.mtx'),
      '%%MatrixMarket matrix coordinate integer general\n1 1 1\n1 1 5\n',
    );
    rmSync(join(tenx, 'barcodes.tsv'));
    symlinkSync(join(dir, 'nowhere.tsv'), join(tenx, 'barcodes.tsv'));
    assert.throws(
      () => readTenxMtx(tenx),
      /10x: barcodes: expected one of barcodes\.tsv\.gz, barcodes\.tsv/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
