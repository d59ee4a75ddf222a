/**
 * Property-based tests of the file readers: a small valid file, mutated (truncated at a
 * random offset, bytes flipped, a header number or an 8-byte HDF5 field overwritten), is
 * either read into a sane matrix or refused with an InputError naming the file; never
 * another error class, a stack trace or a hang. Each case writes a fresh file (HDF5 caches
 * open files by identity, and a failed read may leave one open).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import h5wasm from 'h5wasm/node';
import { InputError } from '../../src/core/errors.js';
import { readH5ad, readH5adChunks } from '../../src/io/cells/h5ad.js';
import { readTenxH5, readTenxMtx } from '../../src/io/cells/tenx.js';
import type { CountMatrix } from '../../src/io/cells/types.js';
import { readFeatureVectors, writeFeatureVectors } from '../../src/io/ephys/ipfx.js';
import { h5reloads } from '../../src/io/h5.js';
import { writeH5 } from '../helpers/h5.js';

type Group = InstanceType<typeof h5wasm.Group>;

const fixture = (name: string) =>
  new URL(`../../../test/fixtures/cells/${name}`, import.meta.url).pathname;

/** NB_FUZZ_SCALE=10 runs ten times as many cases (a longer search than CI's). */
const SCALE = Number(process.env.NB_FUZZ_SCALE ?? 1);

/** A mutation of a file's bytes. */
type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; flips: { at: number; xor: number }[] }
  | { kind: 'field'; at: number; value: bigint };

function mutation(length: number): fc.Arbitrary<Mutation> {
  const at = fc.integer({ min: 0, max: length - 1 });
  return fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at }),
    fc.record({
      kind: fc.constant('flip' as const),
      flips: fc.array(fc.record({ at, xor: fc.integer({ min: 1, max: 255 }) }), {
        minLength: 1,
        maxLength: 6,
      }),
    }),
    // An 8-byte little-endian field (HDF5 sizes, addresses, dimensions) set to an extreme.
    fc.record({
      kind: fc.constant('field' as const),
      at: fc.integer({ min: 0, max: Math.max(0, length - 8) }),
      value: fc.constantFrom(
        0n,
        1n,
        2n ** 31n,
        2n ** 32n - 1n,
        2n ** 40n,
        2n ** 63n - 1n,
        2n ** 64n - 1n,
      ),
    }),
  );
}

function mutate(bytes: Buffer, m: Mutation): Buffer {
  if (m.kind === 'truncate') return Buffer.from(bytes.subarray(0, m.at));
  const out = Buffer.from(bytes);
  if (m.kind === 'flip') for (const { at, xor } of m.flips) out[at] ^= xor;
  else out.writeBigUInt64LE(m.value, m.at);
  return out;
}

function saneMatrix(m: CountMatrix): void {
  assert.ok(Number.isInteger(m.nCells) && m.nCells >= 0);
  assert.ok(Number.isInteger(m.nGenes) && m.nGenes >= 0);
  assert.equal(m.indptr.length, m.nCells + 1);
  assert.equal(m.indptr[0], 0);
  assert.equal(m.indptr[m.nCells], m.indices.length);
  assert.equal(m.indices.length, m.data.length);
  for (let r = 0; r < m.nCells; r++) assert.ok(m.indptr[r] <= m.indptr[r + 1]);
  for (const k of m.indices) assert.ok(k >= 0 && k < m.nGenes);
  for (const v of m.data) assert.ok(Number.isFinite(v));
  assert.equal(m.cellIds.length, m.nCells);
  assert.equal(m.geneIds.length, m.nGenes);
}

/** Either a sane result or an InputError naming `path`; anything else fails the property. */
async function readsOrRefuses(path: string, read: () => unknown): Promise<void> {
  let result: unknown;
  try {
    result = await read();
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    assert.ok(err.message.includes(path), `message names the file: ${err.message}`);
    assert.ok(!err.message.includes('\n'), `one line: ${err.message}`);
    return;
  }
  if (Array.isArray(result)) result.forEach(saneMatrix);
  else if (result && typeof result === 'object' && 'indptr' in result)
    saneMatrix(result as CountMatrix);
}

async function collect(path: string): Promise<CountMatrix[]> {
  const out: CountMatrix[] = [];
  for await (const m of readH5adChunks(path, 2)) out.push(m);
  return out;
}

/** Runs the property with a fresh file per case; `numRuns` keeps all four under ~20 s. */
async function fuzz(
  name: string,
  original: Buffer,
  numRuns: number,
  run: (bytes: Buffer, dir: string, i: number) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `nb-fuzz-${name}-`));
  let i = 0;
  try {
    await fc.assert(
      fc.asyncProperty(mutation(original.length), async (m) => {
        if (process.env.NB_FUZZ_DEBUG)
          console.log(
            name,
            i,
            `${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`,
            JSON.stringify(m, (_, v: unknown) => (typeof v === 'bigint' ? `${v}` : v)),
          );
        await run(mutate(original, m), dir, i++);
      }),
      {
        numRuns: Math.round(numRuns * SCALE),
        seed: Number(process.env.NB_FUZZ_SEED ?? 20261128),
        endOnFailure: true,
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (process.env.NB_FUZZ_DEBUG) console.log(name, 'h5wasm reloads so far', h5reloads());
  }
}

test('fuzz: mutated h5ad files (h5py-written CSR and CSC) are read sanely or refused with an InputError naming the file', async () => {
  for (const layout of ['csr', 'csc']) {
    const original = readFileSync(fixture(`${layout}.h5ad`));
    await fuzz(`h5ad-${layout}`, original, 150, async (bytes, dir, i) => {
      const path = join(dir, `${i}.h5ad`);
      writeFileSync(path, bytes);
      await readsOrRefuses(path, () => readH5ad(path));
      if (layout === 'csr') await readsOrRefuses(path, () => collect(path));
    });
  }
});

test('fuzz: mutated 10x matrix.mtx(.gz) folders are read sanely or refused with an InputError naming the file', async () => {
  const src = (f: string) => readFileSync(fixture(`real/pbmc_raw_10x_mtx/${f}`));
  // The first 400 entries keep each case fast; the header declares them.
  const lines = src('matrix.mtx').toString('utf8').split('\n');
  const header = lines.findIndex((l) => !l.startsWith('%'));
  const [rows, cols] = lines[header].split(' ');
  lines[header] = `${rows} ${cols} 400`;
  const mtx = Buffer.from(lines.slice(0, header + 401).join('\n') + '\n');
  const headerNumber = fc.constantFrom(
    '-1',
    '0',
    '1e12',
    '4294967296',
    '2.5',
    'NaN',
    '',
    '99999999',
  );
  for (const gz of [false, true]) {
    const original = gz ? gzipSync(mtx) : mtx;
    await fuzz(`mtx-${gz}`, original, 100, async (bytes, dir, i) => {
      const d = join(dir, String(i));
      mkdirSync(d);
      writeFileSync(join(d, gz ? 'matrix.mtx.gz' : 'matrix.mtx'), bytes);
      writeFileSync(join(d, 'genes.tsv'), src('genes.tsv'));
      writeFileSync(join(d, 'barcodes.tsv'), src('barcodes.tsv'));
      await readsOrRefuses(d, () => readTenxMtx(d));
    });
  }
  // Header numbers replaced by hostile values.
  const dir = mkdtempSync(join(tmpdir(), 'nb-fuzz-mtx-header-'));
  try {
    let i = 0;
    await fc.assert(
      fc.asyncProperty(fc.tuple(headerNumber, headerNumber, headerNumber), async (nums) => {
        const d = join(dir, String(i++));
        mkdirSync(d);
        const edited = [...lines.slice(0, header + 401)];
        edited[header] = nums.join(' ');
        writeFileSync(join(d, 'matrix.mtx'), edited.join('\n'));
        writeFileSync(join(d, 'genes.tsv'), src('genes.tsv'));
        writeFileSync(join(d, 'barcodes.tsv'), src('barcodes.tsv'));
        await readsOrRefuses(d, () => readTenxMtx(d));
      }),
      { numRuns: Math.round(60 * SCALE), seed: 7, endOnFailure: true },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fuzz: mutated 10x HDF5 files (gzip-compressed CSC) are read sanely or refused with an InputError naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-fuzz-10xh5-src-'));
  try {
    const nCells = 20;
    const nGenes = 30;
    const indptr = [0];
    const indices: number[] = [];
    for (let c = 0; c < nCells; c++) {
      for (let g = c % 3; g < nGenes; g += 4) indices.push(g);
      indptr.push(indices.length);
    }
    const gz = { compression: 'gzip' as const, compression_opts: [4] };
    const path = await writeH5(join(dir, 'src.h5'), (f) => {
      f.create_group('matrix');
      const m = f.get('matrix') as Group;
      m.create_dataset({ name: 'shape', data: new Int32Array([nGenes, nCells]) });
      m.create_dataset({
        name: 'indptr',
        data: BigInt64Array.from(indptr, BigInt),
        chunks: [21],
        ...gz,
      });
      m.create_dataset({ name: 'indices', data: Int32Array.from(indices), chunks: [64], ...gz });
      m.create_dataset({
        name: 'data',
        data: Int32Array.from(indices, (g) => g + 1),
        chunks: [64],
        ...gz,
      });
      m.create_dataset({
        name: 'barcodes',
        data: Array.from({ length: nCells }, (_, c) => `B${c}-1`),
      });
      m.create_group('features');
      const ft = f.get('matrix/features') as Group;
      ft.create_dataset({ name: 'id', data: Array.from({ length: nGenes }, (_, g) => `E${g}`) });
      ft.create_dataset({ name: 'name', data: Array.from({ length: nGenes }, (_, g) => `G${g}`) });
    });
    saneMatrix(await readTenxH5(path));
    await fuzz('10xh5', readFileSync(path), 200, async (bytes, d, i) => {
      const p = join(d, `${i}.h5`);
      writeFileSync(p, bytes);
      await readsOrRefuses(p, () => readTenxH5(p));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fuzz: mutated IPFX feature-vector HDF5 files are read sanely or refused with an InputError naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-fuzz-ipfx-src-'));
  try {
    const path = join(dir, 'fv.h5');
    const ids = ['c1', 'c2', 'c3', 'c4'];
    await writeFeatureVectors(path, {
      ids,
      families: [
        {
          name: 'step_subthresh',
          width: 5,
          values: ids.map((_, i) => Float64Array.from({ length: 5 }, (_, j) => i + j / 10)),
        },
        { name: 'psth', width: 3, values: ids.map((_, i) => Float64Array.of(i, i * 2, i * 3)) },
      ],
    });
    await fuzz('ipfx', readFileSync(path), 200, async (bytes, d, i) => {
      const p = join(d, `${i}.h5`);
      writeFileSync(p, bytes);
      await readsOrRefuses(p, async () => {
        const fv = await readFeatureVectors(p);
        for (const fam of fv.families) {
          assert.equal(fam.values.length, fv.ids.length);
          for (const v of fam.values) assert.equal(v.length, fam.width);
        }
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
