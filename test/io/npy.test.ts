import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import {
  NpyStreamWriter,
  readNpy,
  readNpyChunks,
  readNpyHeader,
  toFloat64,
  writeNpy,
} from '../../src/io/npy.js';
import { buildNpy, type Fixture } from '../fixtures/npy/build.js';

const dir = mkdtempSync(join(tmpdir(), 'nb-npy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function put(bytes: Uint8Array): string {
  const p = join(dir, `f${counter++}.npy`);
  writeFileSync(p, bytes);
  return p;
}

const cases: [string, Fixture, string][] = [
  [
    'f8 little',
    { version: 1, descr: '<f8', fortran: false, shape: [3], values: [1.5, -2, 3.25] },
    'Float64Array',
  ],
  [
    'f8 big',
    { version: 1, descr: '>f8', fortran: false, shape: [3], values: [1.5, -2, 1e-300] },
    'Float64Array',
  ],
  [
    'f4 big',
    { version: 1, descr: '>f4', fortran: false, shape: [2], values: [0.5, -8] },
    'Float32Array',
  ],
  [
    'i4 little',
    {
      version: 1,
      descr: '<i4',
      fortran: false,
      shape: [4],
      values: [0, -1, 2147483647, -2147483648],
    },
    'Int32Array',
  ],
  [
    'i4 big',
    { version: 1, descr: '>i4', fortran: false, shape: [2], values: [7, -300000] },
    'Int32Array',
  ],
  [
    'i8 little',
    { version: 1, descr: '<i8', fortran: false, shape: [2], values: [-5, 2 ** 40] },
    'BigInt64Array',
  ],
  [
    'i8 big',
    { version: 1, descr: '>i8', fortran: false, shape: [2], values: [-5, 2 ** 40] },
    'BigInt64Array',
  ],
  [
    'u4 big',
    { version: 1, descr: '>u4', fortran: false, shape: [2], values: [4000000000, 1] },
    'Uint32Array',
  ],
  [
    'u8 little',
    { version: 1, descr: '<u8', fortran: false, shape: [2], values: [3, 2 ** 52] },
    'BigUint64Array',
  ],
  [
    'u8 big',
    { version: 1, descr: '>u8', fortran: false, shape: [1], values: [123456789012] },
    'BigUint64Array',
  ],
  [
    'i2 big',
    { version: 1, descr: '>i2', fortran: false, shape: [3], values: [-2, 300, 32767] },
    'Int16Array',
  ],
  [
    'u2 little',
    { version: 1, descr: '<u2', fortran: false, shape: [2], values: [65535, 1] },
    'Uint16Array',
  ],
  [
    'u1',
    { version: 1, descr: '|u1', fortran: false, shape: [3], values: [0, 128, 255] },
    'Uint8Array',
  ],
  [
    'i1',
    { version: 1, descr: '|i1', fortran: false, shape: [2], values: [-128, 127] },
    'Int8Array',
  ],
  ['b1', { version: 1, descr: '|b1', fortran: false, shape: [3], values: [1, 0, 1] }, 'Uint8Array'],
  [
    'v2 header',
    { version: 2, descr: '<f8', fortran: false, shape: [2], values: [1, 2] },
    'Float64Array',
  ],
  [
    'v3 utf8 header',
    {
      version: 3,
      descr: '<i4',
      fortran: false,
      shape: [2],
      values: [9, 8],
      extraHeader: "'note': 'Δt ✓', ",
    },
    'Int32Array',
  ],
  ['scalar', { version: 1, descr: '<f8', fortran: false, shape: [], values: [42] }, 'Float64Array'],
  ['empty', { version: 1, descr: '<f8', fortran: false, shape: [0], values: [] }, 'Float64Array'],
];

describe('npy reader on hand-made fixtures', () => {
  for (const [name, fx, ctor] of cases) {
    test(name, () => {
      const a = readNpy(put(buildNpy(fx)));
      assert.equal(a.data.constructor.name, ctor);
      assert.deepEqual(a.shape, fx.shape);
      assert.equal(a.order, 'C');
      assert.deepEqual(
        Array.from(toFloat64(a.data)),
        fx.values.map((v) => (fx.descr.endsWith('f4') ? Math.fround(v) : v)),
      );
      assert.equal(readNpyHeader(put(buildNpy(fx))).version, fx.version);
    });
  }

  test('2-D C order and Fortran order', () => {
    // The 2×3 matrix [[1,2,3],[4,5,6]]: row-major in C, column-major in Fortran.
    const c = readNpy(
      put(
        buildNpy({
          version: 1,
          descr: '<i4',
          fortran: false,
          shape: [2, 3],
          values: [1, 2, 3, 4, 5, 6],
        }),
      ),
    );
    assert.deepEqual(
      [c.shape, c.order, Array.from(c.data as Int32Array)],
      [[2, 3], 'C', [1, 2, 3, 4, 5, 6]],
    );
    const f = readNpy(
      put(
        buildNpy({
          version: 1,
          descr: '>f8',
          fortran: true,
          shape: [2, 3],
          values: [1, 4, 2, 5, 3, 6],
        }),
      ),
    );
    // Read in row order whatever the storage order: never column-major by mistake.
    assert.deepEqual(
      [f.shape, f.order, Array.from(f.data as Float64Array)],
      [[2, 3], 'F', [1, 2, 3, 4, 5, 6]],
    );
  });

  test('chunked iterator gives the same values', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i * 3 - 7);
    const p = put(buildNpy({ version: 1, descr: '>i4', fortran: false, shape: [1000], values }));
    const got: number[] = [];
    for (const chunk of readNpyChunks(p, 128)) got.push(...Array.from(chunk as Int32Array));
    assert.deepEqual(got, values);
  });
});

describe('npy errors name the file and say what was expected', () => {
  test('truncated data', () => {
    const bytes = buildNpy({
      version: 1,
      descr: '<f8',
      fortran: false,
      shape: [4],
      values: [1, 2, 3, 4],
    });
    const p = put(bytes.subarray(0, bytes.length - 5));
    assert.throws(
      () => readNpy(p),
      (e: Error) => e.message.includes(p) && /needs 32 data bytes, file has 27/.test(e.message),
    );
  });
  test('truncated header', () => {
    const p = put(
      buildNpy({ version: 1, descr: '<f8', fortran: false, shape: [1], values: [1] }).subarray(
        0,
        30,
      ),
    );
    assert.throws(
      () => readNpy(p),
      (e: Error) =>
        e.message.startsWith(p) &&
        /truncated: expected at least \d+ header bytes, file has 30/.test(e.message),
    );
  });
  test('bad magic', () => {
    const p = put(new TextEncoder().encode('PK\u0003\u0004 not numpy at all'));
    assert.throws(
      () => readNpy(p),
      (e: Error) => e.message.startsWith(`${p}: magic:`),
    );
  });
  test('unsupported dtype', () => {
    const bytes = buildNpy({ version: 1, descr: '<f8', fortran: false, shape: [1], values: [1] });
    const text = new TextDecoder('latin1').decode(bytes).replace("'<f8'", "'<U1'");
    const p = put(Uint8Array.from(text, (c) => c.charCodeAt(0)));
    assert.throws(
      () => readNpy(p),
      (e: Error) => e.message.startsWith(`${p}: descr: unsupported dtype '<U1'`),
    );
  });
});

describe('npy writer', () => {
  test('round trip of every kind, v1 header aligned to 64 bytes', async () => {
    const arrays = [
      new Float64Array([1.5, -0, 1e300]),
      new Float32Array([0.25, -3]),
      new Int32Array([-7, 9]),
      new BigInt64Array([-3n, 1n << 50n]),
      new BigUint64Array([3n]),
      new Uint8Array([0, 255]),
      new Int16Array([-300]),
      new Uint16Array([60000]),
      new Uint32Array([4e9]),
      new Int8Array([-1]),
    ];
    for (const a of arrays) {
      const p = join(dir, `w${counter++}.npy`);
      await writeNpy(p, a);
      const back = readNpy(p);
      assert.deepEqual(
        Array.from(back.data as ArrayLike<number>),
        Array.from(a as ArrayLike<number>),
      );
      assert.equal(readNpyHeader(p).dataOffset % 64, 0);
    }
  });
  test('2-D Fortran write keeps shape and order', async () => {
    const p = join(dir, 'fort.npy');
    await writeNpy(p, new Float64Array([1, 4, 2, 5, 3, 6]), { shape: [2, 3], order: 'F' });
    const back = readNpy(p);
    assert.deepEqual([back.shape, back.order], [[2, 3], 'F']);
  });
  test('stream writer with rows unknown until the end: the header gets the rows appended', () => {
    const p = join(dir, 'growing.npy');
    const w = new NpyStreamWriter(p, 'i4', [null, 3]);
    w.append(new Int32Array([1, 2, 3, 4, 5, 6]));
    w.append(new Int32Array([7, 8, 9]));
    w.close();
    const back = readNpy(p);
    assert.deepEqual(back.shape, [3, 3]);
    assert.deepEqual(Array.from(back.data as Int32Array), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const bytes = readFileSync(p);
    assert.equal((10 + bytes.readUInt16LE(8)) % 64, 0, 'header padded to a multiple of 64');
  });
  test('stream writer refuses a short write', () => {
    const p = join(dir, 'short.npy');
    const w = new NpyStreamWriter(p, 'f8', [3]);
    w.append(new Float64Array([1, 2]));
    assert.throws(() => w.close(), /wrote 2 elements, header says 3/);
  });
});

describe('user-fixable npy problems are one line naming the file (issue 25)', () => {
  test('a Phy folder whose spike_times.npy has a bad header: the CLI prints one line, exit 2', () => {
    const phy = join(dir, 'phy-bad-header');
    mkdirSync(phy);
    const bad = new Uint8Array([
      ...[0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 16, 0],
      ...new TextEncoder().encode('{garbage}      \n'),
    ]);
    writeFileSync(join(phy, 'spike_times.npy'), bad);
    writeFileSync(join(phy, 'spike_clusters.npy'), bad);
    writeFileSync(join(phy, 'params.py'), 'sample_rate = 30000.0\n');
    const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;
    const r = spawnSync(process.execPath, [cli, 'spikes', 'inspect', phy, '--json'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      `neurobridge: ${join(phy, 'spike_times.npy')}: header: expected a dict with 'descr', 'fortran_order' and 'shape', got "{garbage}"\n`,
    );
  });

  test('writeNpy with a shape that does not fit the data is a UsageError naming the field', async () => {
    await assert.rejects(
      writeNpy(join(dir, 'x.npy'), new Float32Array(6), { shape: [4, 2] }),
      (e: Error) =>
        e instanceof UsageError &&
        /^writeNpy: shape: \(4, 2\) does not match the data's 6 elements$/.test(e.message),
    );
  });
});
