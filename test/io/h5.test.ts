import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { InputError } from '../../src/core/errors.js';
import { readH5ad } from '../../src/io/cells/h5ad.js';
import {
  dataset,
  decodableFilters,
  h5ready,
  h5reloads,
  halfToNumber,
  numbers,
  openH5,
  sliceNumbers,
  stringsOf,
} from '../../src/io/h5.js';
import { writeH5 } from '../helpers/h5.js';

type File = InstanceType<typeof h5wasm.File>;

/** Runs `fn` with stderr captured; resolves with what was printed. */
async function quiet(fn: () => Promise<unknown>): Promise<string> {
  const write = process.stderr.write.bind(process.stderr);
  let printed = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    printed += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn().catch(() => undefined);
  } finally {
    process.stderr.write = write;
  }
  return printed;
}

async function readX(path: string, o: { chunkElements?: number } = {}): Promise<Float64Array> {
  const f = await openH5(path);
  try {
    return numbers(dataset(f, path, 'x'), path, o);
  } finally {
    f.close();
  }
}

/** HDF5 1.8-compatible layout (no metadata checksums), so tests can patch header bytes. */
async function writeOld(path: string, build: (f: File) => void): Promise<string> {
  await h5ready();
  const f = new h5wasm.File(path, 'w', { libver: ['earliest', 'v108'] });
  try {
    build(f);
  } finally {
    f.close();
  }
  return path;
}

test('files that are not HDF5 end in one InputError line naming the file, and HDF5 prints nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-h5-open-'));
  try {
    const good = await writeH5(join(dir, 'good.h5'), (f) => {
      f.create_dataset({ name: 'x', data: new Float32Array([1, 2, 3]) });
    });
    const bytes = readFileSync(good);
    const cases: [string, Buffer | string | null, RegExp][] = [
      ['empty.h5', Buffer.alloc(0), /empty file/],
      ['text.h5', 'cell,gene\n1,2\n', /not an HDF5 file \(no HDF5 signature/],
      ['truncated.h5', bytes.subarray(0, 300), /cannot be read: HDF5 error: truncated file/],
      ['signature-only.h5', bytes.subarray(0, 8), /cannot be read: HDF5 error/],
      ['missing.h5', null, /file not found/],
    ];
    const flipped = Buffer.from(bytes);
    for (let i = 8; i < 40; i++) flipped[i] ^= 0xff;
    cases.push(['flipped.h5', flipped, /cannot be read/]);
    for (const [name, content, pattern] of cases) {
      const path = join(dir, name);
      if (content !== null) writeFileSync(path, content);
      let error: unknown;
      const printed = await quiet(() => readX(path).catch((e) => (error = e)));
      assert.ok(error instanceof InputError, `${name}: ${String(error)}`);
      assert.match(error.message, pattern, name);
      assert.ok(error.message.startsWith(`${path}: `), error.message);
      assert.ok(!error.message.includes('\n'), `${name}: one line`);
      assert.equal(printed, '', `${name}: nothing on stderr`);
    }
    mkdirSync(join(dir, 'folder.h5'));
    await assert.rejects(
      readX(join(dir, 'folder.h5')),
      /folder\.h5: is a folder; expected an HDF5 file/,
    );
    symlinkSync(join(dir, 'nowhere.h5'), join(dir, 'dangling.h5'));
    await assert.rejects(
      readX(join(dir, 'dangling.h5')),
      /dangling\.h5: is a symbolic link to .*, which does not exist/,
    );
    // The signature may sit at 512 (after a user block); such a file is read.
    writeFileSync(join(dir, 'ub.h5'), Buffer.concat([Buffer.alloc(512), bytes]));
    assert.deepEqual(Array.from(await readX(join(dir, 'ub.h5'))), [1, 2, 3]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupted compressed chunk fails as an InputError naming the dataset, not as garbage', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-h5-chunk-'));
  try {
    const values = Float64Array.from({ length: 4000 }, (_, i) => Math.sin(i) * 1000);
    const path = await writeH5(join(dir, 'gz.h5'), (f) => {
      f.create_dataset({
        name: 'x',
        data: values,
        shape: [4000],
        chunks: [4000],
        compression: 'gzip',
        compression_opts: [6],
      });
    });
    assert.deepEqual(await readX(path), values);
    const bytes = readFileSync(path);
    // The compressed chunk is the file's largest region, at its end.
    for (let i = bytes.length - 2000; i < bytes.length - 1000; i += 7) bytes[i] ^= 0x5a;
    writeFileSync(path, bytes);
    let error: unknown;
    const printed = await quiet(() => readX(path).catch((e) => (error = e)));
    assert.ok(error instanceof InputError, String(error));
    assert.match(error.message, /gz\.h5: \/x: cannot be read: HDF5 error/);
    assert.equal(printed, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('float16 datasets are read as numbers (h5wasm itself cannot)', async () => {
  assert.deepEqual([0x3c00, 0xc000, 0x7c00, 0x3555, 0x0001, 0xfc00].map(halfToNumber), [
    1,
    -2,
    Infinity,
    0.333251953125,
    2 ** -24,
    -Infinity,
  ]);
  assert.ok(Number.isNaN(halfToNumber(0x7e00)));
  const dir = mkdtempSync(join(tmpdir(), 'nb-h5-f16-'));
  try {
    // h5wasm writes no float16: write float32 and rewrite its datatype message as IEEE half.
    const half = new Uint16Array([0x3c00, 0x4000, 0xc000, 0x3555, 0, 0, 0, 0]);
    const path = await writeOld(join(dir, 'f16.h5'), (f) => {
      f.create_dataset({ name: 'x', data: new Float32Array(half.buffer) });
    });
    const bytes = readFileSync(path);
    const f32 = Buffer.from([
      0x11, 0x20, 0x1f, 0, 4, 0, 0, 0, 0, 0, 32, 0, 23, 8, 0, 23, 127, 0, 0, 0,
    ]);
    const f16 = Buffer.from([
      0x11, 0x20, 0x0f, 0, 2, 0, 0, 0, 0, 0, 16, 0, 10, 5, 0, 10, 15, 0, 0, 0,
    ]);
    const at = bytes.indexOf(f32);
    assert.ok(at > 0);
    f16.copy(bytes, at);
    writeFileSync(path, bytes);
    assert.deepEqual(Array.from(await readX(path)), [1, 2, -2, 0.333251953125]);
    const f = await openH5(path);
    try {
      assert.deepEqual(Array.from(sliceNumbers(dataset(f, path, 'x'), [[1, 3]], path)), [2, -2]);
    } finally {
      f.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compression filters: lzf, zstd, blosc and bitshuffle decode through h5wasm-plugins; an unknown filter is refused by name', async () => {
  await h5ready();
  assert.deepEqual(
    [1, 2, 32000, 32001, 32008, 32015].filter((id) => !decodableFilters().includes(id)),
    [],
  );
  const dir = mkdtempSync(join(tmpdir(), 'nb-h5-filters-'));
  try {
    const values = Float32Array.from({ length: 5000 }, (_, i) => (i % 97) * 0.5);
    const filters: [string, number, number[]][] = [
      ['lzf', 32000, []],
      ['zstd', 32015, [3]],
      ['blosc', 32001, [2, 2, 4, 4000, 4, 1, 0]],
      ['bitshuffle', 32008, [0, 2]],
    ];
    for (const [name, id, opts] of filters) {
      const path = await writeH5(join(dir, `${name}.h5`), (f) => {
        f.create_dataset({
          name: 'x',
          data: values,
          shape: [5000],
          chunks: [1000],
          compression: id,
          compression_opts: opts,
        });
      });
      assert.deepEqual(await readX(path), Float64Array.from(values), name);
    }
    // An lzf file whose filter id is rewritten to one nobody registered.
    const path = await writeOld(join(dir, 'unknown.h5'), (f) => {
      f.create_dataset({
        name: 'x',
        data: values,
        shape: [5000],
        chunks: [1000],
        compression: 32000,
        compression_opts: [],
      });
    });
    const bytes = readFileSync(path);
    const at = bytes.indexOf(Buffer.from([0x00, 0x7d])); // 32000, little-endian
    assert.ok(at > 0);
    bytes[at] = 0x63; // 32099
    writeFileSync(path, bytes);
    await assert.rejects(
      readX(path),
      /unknown\.h5: \/x: uses HDF5 filter 'HDF5 lzf filter' \(id 32099\), which this build cannot decode/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('large 1-D datasets are read in hyperslab pieces that join to the whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-h5-chunked-'));
  try {
    const values = Float64Array.from({ length: 1001 }, (_, i) => i * 1.5 - 7);
    const ints = BigInt64Array.from({ length: 1001 }, (_, i) => BigInt(i * 3));
    const path = await writeH5(join(dir, 'big.h5'), (f) => {
      f.create_dataset({ name: 'x', data: values });
      f.create_dataset({ name: 'i', data: ints });
    });
    for (const chunkElements of [1, 7, 1000, 1001, 5000])
      assert.deepEqual(await readX(path, { chunkElements }), values, `${chunkElements}`);
    const f = await openH5(path);
    try {
      assert.deepEqual(
        numbers(dataset(f, path, 'i'), path, { chunkElements: 13 }),
        Float64Array.from(ints, Number),
      );
      assert.throws(
        () => sliceNumbers(dataset(f, path, 'x'), [[990, 1002]], path),
        /big\.h5: \/x: cannot read \[990, 1002\) of dimension 0, which has 1001 entries/,
      );
    } finally {
      f.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('corrupted variable-length strings: a zero-size global-heap object (HDF5 loops forever on it) and a broken heap signature (h5wasm freed garbage: WebAssembly abort) are one-line InputErrors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-h5-vlen-'));
  try {
    const path = await writeH5(join(dir, 'ids.h5'), (f) => {
      f.create_dataset({ name: 'ids', data: ['cell-1', 'cell-2', 'cell-3'] });
    });
    const bytes = readFileSync(path);
    const heap = bytes.indexOf('GCOL');
    assert.ok(heap > 0);
    // The first object becomes free space (index 0) of size 0.
    bytes.writeUInt16LE(0, heap + 16);
    bytes.writeBigUInt64LE(0n, heap + 24);
    writeFileSync(path, bytes);
    let error: unknown;
    const printed = await quiet(async () => {
      const f = await openH5(path);
      try {
        stringsOf(dataset(f, path, 'ids'), path);
      } catch (e) {
        error = e;
      } finally {
        f.close();
      }
    });
    assert.ok(error instanceof InputError, String(error));
    assert.match(
      error.message,
      /ids\.h5: \/ids: cannot be read: corrupted HDF5 global heap \(variable-length data\) at byte \d+: object 0 of size 0/,
    );
    assert.equal(printed, '');
    // One byte of the h5py fixture's var/gene_symbols heap signature flipped.
    const reloads = h5reloads();
    const fixture = new URL('../../../test/fixtures/cells/csr.h5ad', import.meta.url).pathname;
    const h5ad = Buffer.from(readFileSync(fixture));
    h5ad[8634] ^= 0xff;
    const broken = join(dir, 'broken.h5ad');
    writeFileSync(broken, h5ad);
    await assert.rejects(
      readH5ad(broken),
      /broken\.h5ad: \/var\/gene_symbols: cannot be read: HDF5 error: bad global heap collection signature/,
    );
    assert.equal(h5reloads(), reloads, 'no WebAssembly abort');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
