/**
 * Property-based robustness of the spike readers (fast-check): a valid small fixture is
 * mutated at random (truncated at a random offset, bytes flipped or overwritten, npy headers
 * with random values, random text lines and cells) and read again. Every outcome must be
 * either a sane read (finite, non-negative, sorted times; unit indices in range; counts
 * consistent) or an InputError naming the file (or the folder holding it): never another
 * error type, never a hang. Runs are bounded so the whole file takes a few seconds.
 *
 * Set FC_SEED to replay a failure (fast-check prints the seed and the shrunk case), and
 * FC_RUNS_SCALE to multiply the number of runs.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { InputError } from '../../src/core/errors.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { setH5TimeLimit } from '../../src/io/spikes/h5-isolate.js';
import { readSpikes, type SpikeTrains } from '../../src/io/spikes/index.js';
import { writeH5 } from '../helpers/h5.js';

const root = mkdtempSync(join(tmpdir(), 'nb-prop-'));
// A damaged HDF5 file can loop forever in the library; it is stopped at the time limit
// (an InputError), kept short here so such a case costs little.
setH5TimeLimit(2000);
after(() => {
  setH5TimeLimit(undefined);
  rmSync(root, { recursive: true, force: true });
});
const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : undefined;
/** FC_RUNS_SCALE=10 for a longer hunt than the default bounded run. */
const scale = Number(process.env.FC_RUNS_SCALE ?? 1);
const runs = (numRuns: number) => ({
  numRuns: Math.round(numRuns * scale),
  ...(seed !== undefined ? { seed } : {}),
});

/** Asserts a session read from a file is internally consistent. */
function assertSane(st: SpikeTrains): void {
  const n = st.times.length;
  assert.equal(st.unitIndex.length, n, 'one unit index per spike');
  for (let k = 1; k < st.unitIds.length; k++) {
    assert.ok(st.unitIds[k] > st.unitIds[k - 1], 'unit ids ascending and unique');
  }
  for (let i = 0; i < n; i++) {
    const t = st.times[i];
    assert.ok(Number.isFinite(t) && t >= 0, `spike ${i} at ${t}`);
    if (i > 0) assert.ok(t >= st.times[i - 1], `sorted at ${i}`);
    assert.ok(st.unitIndex[i] >= 0 && st.unitIndex[i] < st.unitIds.length, 'unit index range');
  }
  assert.ok(Number.isFinite(st.durationS) && st.durationS >= (n > 0 ? st.times[n - 1] : 0));
  if (st.sampleRateHz !== undefined) {
    assert.ok(Number.isFinite(st.sampleRateHz) && st.sampleRateHz > 0, 'sample rate');
  }
}

/** Runs a read: a sane result or an InputError mentioning `where`; anything else fails. */
async function readsOrRefuses(where: string, read: () => Promise<unknown>): Promise<void> {
  let result: unknown;
  try {
    result = await read();
  } catch (e) {
    if (!(e instanceof InputError)) {
      throw new Error(`expected an InputError naming ${where}, got ${(e as Error)?.stack ?? e}`);
    }
    assert.ok(e.message.includes(where), `'${e.message}' should name ${where}`);
    assert.ok(!/[\n\r]/.test(e.message), `one line: ${JSON.stringify(e.message)}`);
    assert.ok(e.message.length < 1000, `short: ${e.message.length} characters`);
    return;
  }
  if (result && typeof result === 'object' && 'unitIds' in result) {
    assertSane(result as SpikeTrains);
  }
}

// ---- mutations -------------------------------------------------------------------------

type ByteMutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'write'; at: number; bytes: Uint8Array };

/** Positions favour the first 128 bytes (headers), where a flip does the most damage. */
const position = fc.oneof(fc.nat({ max: 127 }), fc.nat({ max: 1 << 16 }));

const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({
    kind: fc.constant('flip' as const),
    at: position,
    mask: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('write' as const),
    at: position,
    bytes: fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 8 }),
      fc.constantFrom(
        Uint8Array.of(0xff, 0xff, 0xff, 0xff),
        Uint8Array.of(0, 0, 0, 0),
        Uint8Array.of(0xff, 0xff, 0xff, 0x7f),
      ),
    ),
  }),
);

function mutateBytes(bytes: Uint8Array, muts: ByteMutation[]): Uint8Array {
  let out = Uint8Array.from(bytes);
  for (const m of muts) {
    if (out.length === 0) break;
    const at = m.at % (out.length + (m.kind === 'truncate' ? 1 : 0));
    if (m.kind === 'truncate') out = out.subarray(0, at);
    else if (m.kind === 'flip') out[at] ^= m.mask;
    else out.set(m.bytes.subarray(0, out.length - at), at);
  }
  return out;
}

const byteMutations = fc.array(byteMutation, { minLength: 1, maxLength: 3 });

/** Cells a fuzzer likes: hex, non-finite, negative, huge, quotes, BOMs, prototype names. */
const nastyCell = fc.oneof(
  fc.constantFrom(
    '0x10',
    'NaN',
    'nan',
    'Infinity',
    '1e999',
    '-1',
    '-0',
    '',
    ' ',
    '1.5',
    '0.25',
    '3',
    'abc',
    '"',
    '""',
    '"a,b"',
    'A1_11',
    'B2_7',
    'Ref',
    'constructor',
    '__proto__',
    '\uFEFF',
    '2147483648',
    '-2147483649',
    '1e-300',
    '00012',
    'good',
    'mua',
  ),
  fc.string({ maxLength: 12 }),
);

type TextMutation =
  | { kind: 'replace' | 'insert'; line: number; cells: string[]; sep: string }
  | { kind: 'delete'; line: number }
  | { kind: 'cell'; line: number; cell: number; value: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'bom' | 'crlf' };

const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('replace' as const, 'insert' as const),
    line: fc.nat({ max: 20 }),
    cells: fc.array(nastyCell, { minLength: 0, maxLength: 6 }),
    sep: fc.constantFrom(',', '\t', ';', ' '),
  }),
  fc.record({ kind: fc.constant('delete' as const), line: fc.nat({ max: 20 }) }),
  fc.record({
    kind: fc.constant('cell' as const),
    line: fc.nat({ max: 20 }),
    cell: fc.nat({ max: 6 }),
    value: nastyCell,
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat({ max: 400 }) }),
  fc.record({ kind: fc.constantFrom('bom' as const, 'crlf' as const) }),
);

function mutateText(text: string, muts: TextMutation[]): string {
  let lines = text.split('\n');
  for (const m of muts) {
    const i = 'line' in m ? m.line % (lines.length + 1) : 0;
    if (m.kind === 'replace') lines[i] = m.cells.join(m.sep);
    else if (m.kind === 'insert') lines.splice(i, 0, m.cells.join(m.sep));
    else if (m.kind === 'delete') lines.splice(i, 1);
    else if (m.kind === 'cell') {
      const sep = (lines[i] ?? '').includes('\t') ? '\t' : ',';
      const cells = (lines[i] ?? '').split(sep);
      cells[m.cell % (cells.length + 1)] = m.value;
      lines[i] = cells.join(sep);
    } else if (m.kind === 'truncate') lines = lines.join('\n').slice(0, m.at).split('\n');
    else if (m.kind === 'bom') lines[0] = `\uFEFF${lines[0] ?? ''}`;
    else lines = lines.map((l) => `${l}\r`);
  }
  return lines.join('\n');
}

const textMutations = fc.array(textMutation, { minLength: 1, maxLength: 4 });

// ---- npy headers with random values -------------------------------------------------------

interface HeaderSpec {
  version: number;
  descr: string;
  fortran: string;
  shape: number[];
  headerLen?: number;
  dataBytes: number;
}

const headerSpec: fc.Arbitrary<HeaderSpec> = fc.record({
  version: fc.constantFrom(1, 2, 3, 0, 4, 255),
  descr: fc.oneof(
    fc.constantFrom(
      '<f8',
      '>f8',
      '<i8',
      '<u8',
      '|b1',
      '<i4',
      '|u1',
      '<f4',
      '<U4',
      '|O',
      '<f2',
      '<c16',
      'f8',
      '<M8',
    ),
    fc.string({ maxLength: 5 }),
  ),
  fortran: fc.constantFrom('True', 'False', 'true', '1', ''),
  shape: fc.array(
    fc.oneof(fc.nat({ max: 6 }), fc.constantFrom(2 ** 31, 2 ** 32, 1e9, 2 ** 53, 2 ** 60)),
    { maxLength: 3 },
  ),
  headerLen: fc.option(fc.oneof(fc.nat({ max: 300 }), fc.constant(0xffffffff)), { nil: undefined }),
  dataBytes: fc.nat({ max: 64 }),
});

function npyFromSpec(h: HeaderSpec): Uint8Array {
  const shape = h.shape.length === 1 ? `(${h.shape[0]},)` : `(${h.shape.join(', ')})`;
  let dict = `{'descr': '${h.descr}', 'fortran_order': ${h.fortran}, 'shape': ${shape}, }`;
  const prefix = h.version === 1 ? 10 : 12;
  while ((prefix + dict.length + 1) % 64 !== 0) dict += ' ';
  dict += '\n';
  const head = new TextEncoder().encode(dict);
  const out = new Uint8Array(prefix + head.length + h.dataBytes);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, h.version & 255, 0]);
  const v = new DataView(out.buffer);
  if (h.version === 1) v.setUint16(8, (h.headerLen ?? head.length) & 0xffff, true);
  else v.setUint32(8, h.headerLen ?? head.length, true);
  out.set(head, prefix);
  for (let i = prefix + head.length; i < out.length; i++) out[i] = (i * 37) & 255;
  return out;
}

// ---- fixtures ------------------------------------------------------------------------------

let k = 0;
const scratch = (name: string) => {
  const d = join(root, `${name}-${k++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

/** Copies a folder's files (small fixtures) into a fresh scratch folder. */
function copyFolder(files: Record<string, Uint8Array>, name: string): string {
  const d = scratch(name);
  for (const [f, bytes] of Object.entries(files)) writeFileSync(join(d, f), bytes);
  return d;
}

const fixtures: Record<string, Record<string, Uint8Array>> = {};

before(async () => {
  const alf = scratch('alf-src');
  await writeNpy(join(alf, 'spikes.times.npy'), new Float64Array([0.1, 0.1, 0.5, 2, 2.25]));
  await writeNpy(join(alf, 'spikes.clusters.npy'), new BigInt64Array([3n, 1n, 3n, 0n, 1n]));
  await writeNpy(join(alf, 'clusters.label.npy'), new Float64Array([1, 0.33, 0, 1]));
  await writeNpy(join(alf, 'clusters.depths.npy'), new Float64Array([10, 20, 30, 40, 50]));
  fixtures.alf = Object.fromEntries(
    ['spikes.times.npy', 'spikes.clusters.npy', 'clusters.label.npy', 'clusters.depths.npy'].map(
      (f) => [f, readFileSync(join(alf, f))],
    ),
  );
  const phy = scratch('phy-src');
  await writeNpy(join(phy, 'spike_times.npy'), new BigUint64Array([30n, 60n, 90n, 30000n]));
  await writeNpy(join(phy, 'spike_clusters.npy'), new Int32Array([5, 7, 5, 9]));
  fixtures.phy = {
    'spike_times.npy': readFileSync(join(phy, 'spike_times.npy')),
    'spike_clusters.npy': readFileSync(join(phy, 'spike_clusters.npy')),
    'params.py': Buffer.from("dat_path = 'x.dat'\nn_channels_dat = 32\nsample_rate = 30000.0\n"),
    'cluster_group.tsv': Buffer.from('cluster_id\tgroup\n5\tgood\n7\tmua\n9\tgood\n'),
  };
  const mea = scratch('mea-src');
  await writeH5(join(mea, 'm.h5'), (f) => {
    f.create_dataset({ name: 'spikes', data: new Float64Array([0.5, 1.25, 3, 0.75, 2.5]) });
    f.create_dataset({ name: 'sCount', data: new Int32Array([3, 0, 2]) });
    f.create_dataset({ name: 'names', data: ['ch_11a', 'ch_12a', 'ch_13a'] });
    f.create_dataset({ name: 'recordingtime', data: new Float64Array([0, 10]) });
  });
  fixtures.mea = { 'm.h5': readFileSync(join(mea, 'm.h5')) };
  const nwb = scratch('nwb-src');
  await writeH5(join(nwb, 'x.nwb'), (f) => {
    const u = f.create_group('units');
    u.create_dataset({ name: 'id', data: new Int32Array([10, 20, 30]) });
    u.create_dataset({ name: 'spike_times', data: new Float64Array([0.5, 1.5, 0.2, 3]) });
    u.create_dataset({ name: 'spike_times_index', data: new BigUint64Array([2n, 2n, 4n]) });
  });
  fixtures.nwb = { 'x.nwb': readFileSync(join(nwb, 'x.nwb')) };
});

const CSV = 'unit,time_s,amplitude\n2,0.5,3\n1,0.25,4\n2,1.75,1\n3,0.125,2\n';
const AXION =
  'Investigator,Jo,Time (s),Electrode,Amplitude(mV)\r\n' +
  'Sampling Frequency,20000 Hz,0.5,A1_12,0.1\r\n,,0.25,A1_21,0.1\r\n,,0.5,A1_12,0.2\r\n' +
  ',,1.5,A1_33,0.1\r\n,,,,\r\nWell Information,,,,\r\nWell,A1,A2,A3,\r\n';

// ---- properties ----------------------------------------------------------------------------

describe('readers survive random damage (fast-check)', () => {
  test('npy: random header values and byte mutations', async () => {
    const d = scratch('npy');
    const p = join(d, 'a.npy');
    const valid = fc.constant(null).map(() =>
      npyFromSpec({
        version: 1,
        descr: '<f8',
        fortran: 'False',
        shape: [3],
        dataBytes: 24,
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          headerSpec.map(npyFromSpec),
          fc.tuple(valid, byteMutations).map(([b, m]) => mutateBytes(b, m)),
        ),
        async (bytes) => {
          writeFileSync(p, bytes);
          await readsOrRefuses(p, async () => {
            const a = readNpy(p);
            assert.equal(
              a.data.length,
              a.shape.reduce((x, y) => x * y, 1),
            );
            return a;
          });
        },
      ),
      runs(150),
    );
  });

  test('ALF: byte mutations and random headers in any of its files', async () => {
    const names = Object.keys(fixtures.alf);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names),
        fc.oneof(
          byteMutations.map((m) => (b: Uint8Array) => mutateBytes(b, m)),
          headerSpec.map((h) => () => npyFromSpec(h)),
        ),
        async (name, mutate) => {
          const d = copyFolder(fixtures.alf, 'alf');
          writeFileSync(join(d, name), mutate(fixtures.alf[name]));
          await readsOrRefuses(d, () => readSpikes(d, { format: 'alf' }));
        },
      ),
      runs(80),
    );
  });

  test('Phy: byte mutations of the npy files, text mutations of params.py and labels', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(fc.constantFrom('spike_times.npy', 'spike_clusters.npy'), byteMutations),
          fc.tuple(fc.constantFrom('params.py', 'cluster_group.tsv'), textMutations),
        ),
        fc.boolean(),
        async ([name, muts], goodOnly) => {
          const d = copyFolder(fixtures.phy, 'phy');
          const src = fixtures.phy[name];
          const out = name.endsWith('.npy')
            ? mutateBytes(src, muts as ByteMutation[])
            : Buffer.from(mutateText(Buffer.from(src).toString('utf8'), muts as TextMutation[]));
          writeFileSync(join(d, name), out);
          await readsOrRefuses(d, () => readSpikes(d, goodOnly ? { labels: ['good'] } : {}));
        },
      ),
      runs(80),
    );
  });

  test('CSV: random lines, cells, truncation, BOM and CRLF', async () => {
    const d = scratch('csv');
    const p = join(d, 's.csv');
    await fc.assert(
      fc.asyncProperty(textMutations, async (muts) => {
        writeFileSync(p, mutateText(CSV, muts));
        await readsOrRefuses(p, () => readSpikes(p, { format: 'csv' }));
      }),
      runs(100),
    );
  });

  test('Axion spike_list.csv: random lines, cells, truncation, BOM and CRLF', async () => {
    const d = scratch('axion');
    const p = join(d, 'plate_spike_list.csv');
    await fc.assert(
      fc.asyncProperty(
        textMutations,
        fc.constantFrom(undefined, 'A1', 'B2'),
        async (muts, well) => {
          writeFileSync(p, mutateText(AXION, muts));
          await readsOrRefuses(p, () => readSpikes(p, { format: 'axion', well }));
        },
      ),
      runs(100),
    );
  });

  test('MEA HDF5 spike list: byte mutations', async () => {
    const d = scratch('mea');
    const p = join(d, 'm.h5');
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            byteMutation,
            // Anywhere in the (small) file, not just the superblock.
            fc.record({
              kind: fc.constant('flip' as const),
              at: fc.nat({ max: fixtures.mea['m.h5'].length - 1 }),
              mask: fc.integer({ min: 1, max: 255 }),
            }),
          ),
          { minLength: 1, maxLength: 3 },
        ),
        async (muts) => {
          writeFileSync(p, mutateBytes(fixtures.mea['m.h5'], muts));
          await readsOrRefuses(p, () => readSpikes(p, { format: 'mea-h5' }));
        },
      ),
      runs(60),
    );
  });

  test('NWB units table: byte mutations', async () => {
    const d = scratch('nwb');
    const p = join(d, 'x.nwb');
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            kind: fc.constant('flip' as const),
            at: fc.nat({ max: fixtures.nwb['x.nwb'].length - 1 }),
            mask: fc.integer({ min: 1, max: 255 }),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        async (muts) => {
          writeFileSync(p, mutateBytes(fixtures.nwb['x.nwb'], muts));
          await readsOrRefuses(p, () => readSpikes(p));
        },
      ),
      runs(40),
    );
  });
});
