/**
 * Regression tests for bad inputs found by a fuzz run of `neurobridge spikes inspect` and
 * `spikes prepare`: every one must end in an InputError naming the file (and the field),
 * quickly and without allocating memory sized by an untrusted header.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { readNpy, readNpyHeader, writeNpy } from '../../src/io/npy.js';
import { setH5TimeLimit } from '../../src/io/spikes/h5-isolate.js';
import {
  detectFormat,
  labelCounts,
  readSpikes,
  spikeInputFiles,
  SPIKE_FORMAT_REGISTRY,
  SPIKE_FORMATS,
  type SpikeTrains,
} from '../../src/io/spikes/index.js';
import { binSpikes } from '../../src/pipelines/spikes/data/binning.js';
import { parseManifest } from '../../src/pipelines/spikes/data/manifest.js';
import { buildNpy } from '../fixtures/npy/build.js';
import { writeH5 } from '../helpers/h5.js';

const root = mkdtempSync(join(tmpdir(), 'nb-inputs-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name = 'd') => {
  const d = join(root, `${name}${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

/** An InputError whose message starts with `file: field:` and matches `re`. */
function inputError(file: string, field: string | undefined, re: RegExp = /./) {
  return (e: Error) => {
    assert.ok(e instanceof InputError, `expected an InputError, got ${e.stack}`);
    const prefix = field === undefined ? `${file}: ` : `${file}: ${field}: `;
    assert.ok(e.message.startsWith(prefix), `'${e.message}' should start with '${prefix}'`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    return true;
  };
}

async function phyFolder(): Promise<string> {
  const d = fresh('phy');
  await writeNpy(join(d, 'spike_times.npy'), new BigUint64Array([30n, 60n, 90n]));
  await writeNpy(join(d, 'spike_clusters.npy'), new Int32Array([1, 2, 1]));
  writeFileSync(join(d, 'params.py'), 'sample_rate = 30000.0\n');
  return d;
}

async function alfFolder(): Promise<string> {
  const d = fresh('alf');
  await writeNpy(join(d, 'spikes.times.npy'), new Float64Array([0.1, 0.2, 0.3]));
  await writeNpy(join(d, 'spikes.clusters.npy'), new Int32Array([0, 1, 0]));
  return d;
}

describe('registry', () => {
  test('one descriptor per format; names, detection and input files come from it', async () => {
    assert.deepEqual(
      SPIKE_FORMATS,
      SPIKE_FORMAT_REGISTRY.map((d) => d.name),
    );
    assert.deepEqual(SPIKE_FORMATS, [
      'alf',
      'phy',
      'nwb',
      'circus',
      'maxwell',
      'mea-h5',
      'axion',
      'csv',
    ]);
    const d = await phyFolder();
    assert.equal(await detectFormat(d), 'phy');
    assert.deepEqual(spikeInputFiles(d, 'phy'), [
      join(d, 'params.py'),
      join(d, 'spike_clusters.npy'),
      join(d, 'spike_times.npy'),
    ]);
  });
});

describe('a folder or a dangling link where a file is expected', () => {
  test('Phy spike_times.npy is a folder', async () => {
    const d = await phyFolder();
    rmSync(join(d, 'spike_times.npy'));
    mkdirSync(join(d, 'spike_times.npy'));
    await assert.rejects(
      readSpikes(d, { format: 'phy' }),
      inputError(join(d, 'spike_times.npy'), undefined, /is a folder; expected a file/),
    );
    assert.throws(
      () => spikeInputFiles(d, 'phy'),
      inputError(join(d, 'spike_times.npy'), undefined, /folder/),
    );
  });

  test('Phy params.py is a folder or a dangling link', async () => {
    const d = await phyFolder();
    rmSync(join(d, 'params.py'));
    mkdirSync(join(d, 'params.py'));
    await assert.rejects(
      readSpikes(d),
      inputError(join(d, 'params.py'), 'sample_rate', /is a folder/),
    );
    rmSync(join(d, 'params.py'), { recursive: true });
    symlinkSync(join(d, 'nowhere.py'), join(d, 'params.py'));
    await assert.rejects(
      readSpikes(d),
      inputError(join(d, 'params.py'), 'sample_rate', /symbolic link .* does not exist/),
    );
  });

  test('Phy cluster_group.tsv is a folder or a dangling link', async () => {
    const d = await phyFolder();
    mkdirSync(join(d, 'cluster_group.tsv'));
    await assert.rejects(
      readSpikes(d),
      inputError(join(d, 'cluster_group.tsv'), 'labels', /is a folder/),
    );
    rmSync(join(d, 'cluster_group.tsv'), { recursive: true });
    symlinkSync(join(d, 'gone.tsv'), join(d, 'cluster_group.tsv'));
    await assert.rejects(
      readSpikes(d),
      inputError(join(d, 'cluster_group.tsv'), 'labels', /does not exist/),
    );
    // The cache key lists it too: an error naming it, not ENOENT from hashing.
    assert.throws(
      () => spikeInputFiles(d, 'phy'),
      inputError(join(d, 'cluster_group.tsv'), undefined, /does not exist/),
    );
  });

  test('ALF spikes.times.npy is a dangling link', async () => {
    const d = await alfFolder();
    rmSync(join(d, 'spikes.times.npy'));
    symlinkSync(join(d, 'elsewhere.npy'), join(d, 'spikes.times.npy'));
    await assert.rejects(
      readSpikes(d, { format: 'alf' }),
      inputError(join(d, 'spikes.times.npy'), undefined, /does not exist; expected a file/),
    );
  });

  test('CSV path is a folder or a dangling link', async () => {
    const d = fresh('csvdir');
    const dir = join(d, 'spikes.csv');
    mkdirSync(dir);
    await assert.rejects(
      readSpikes(dir, { format: 'csv' }),
      inputError(dir, 'format', /is a folder, but format csv is .*; expected a file/),
    );
    const link = join(d, 'broken.csv');
    symlinkSync(join(d, 'missing.csv'), link);
    await assert.rejects(readSpikes(link), inputError(link, 'path', /symbolic link/));
    await assert.rejects(
      readSpikes(join(d, 'absent.csv')),
      inputError(join(d, 'absent.csv'), 'path', /not found/),
    );
  });

  test('--format alf given an .nwb file; --format nwb given a folder', async () => {
    const d = fresh('nwb');
    const p = await writeH5(join(d, 's.nwb'), (f) => {
      f.create_group('units');
    });
    await assert.rejects(
      readSpikes(p, { format: 'alf' }),
      inputError(
        p,
        'format',
        /is a file, but format alf is an ALF probe folder .*expected a folder/,
      ),
    );
    await assert.rejects(
      readSpikes(d, { format: 'nwb' }),
      inputError(d, 'format', /is a folder, but format nwb .*expected a file/),
    );
  });
});

/** A v1 header for `dict` (padded), followed by `data` bytes. */
function npyWith(dict: string, data: Uint8Array, version: 1 | 2 = 1, headerLen?: number) {
  const prefix = version === 1 ? 10 : 12;
  let text = dict;
  while ((prefix + text.length + 1) % 64 !== 0) text += ' ';
  text += '\n';
  const out = new Uint8Array(prefix + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, headerLen ?? text.length, true);
  else v.setUint32(8, headerLen ?? text.length, true);
  out.set(new TextEncoder().encode(text), prefix);
  out.set(data, prefix + text.length);
  return out;
}

describe('npy headers are checked against the file before allocating', () => {
  test('v2 header_len 0xFFFFFFFF', () => {
    const p = join(fresh('npy'), 'x.npy');
    writeFileSync(
      p,
      npyWith(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
        new Uint8Array(8),
        2,
        0xffffffff,
      ),
    );
    const t = Date.now();
    assert.throws(
      () => readNpy(p),
      inputError(p, 'header', /truncated: expected at least 4294967307 header bytes/),
    );
    assert.throws(() => readNpyHeader(p), inputError(p, 'header'));
    assert.ok(Date.now() - t < 1000);
  });

  test('an extra ALF clusters.*.npy declaring 2^32 or 1e9 rows', async () => {
    for (const rows of [2 ** 32, 1e9]) {
      const d = await alfFolder();
      const p = join(d, 'clusters.depths.npy');
      writeFileSync(
        p,
        npyWith(
          `{'descr': '<f8', 'fortran_order': False, 'shape': (${rows},), }`,
          new Uint8Array(16),
        ),
      );
      await assert.rejects(
        readSpikes(d),
        inputError(
          p,
          'data',
          new RegExp(`shape \\(${rows}\\) of f8 needs ${rows * 8} data bytes, file has 16`),
        ),
      );
    }
  });

  test('a clusters table with zero-size rows cannot declare 2^40 clusters', async () => {
    const d = await alfFolder();
    const p = join(d, 'clusters.waveforms.npy');
    writeFileSync(
      p,
      npyWith(
        `{'descr': '<f8', 'fortran_order': False, 'shape': (${2 ** 40}, 0), }`,
        new Uint8Array(0),
      ),
    );
    await assert.rejects(readSpikes(d), inputError(p, 'shape', /expected at most 16777216/));
  });

  test('hex, negative and huge shapes; flipped header bytes', () => {
    const d = fresh('npyshape');
    for (const [i, shape] of ['(0x10,)', '(-1,)', '(1e3,)', '(99999999999999999999,)'].entries()) {
      const p = join(d, `s${i}.npy`);
      writeFileSync(
        p,
        npyWith(`{'descr': '<f8', 'fortran_order': False, 'shape': ${shape}, }`, new Uint8Array(8)),
      );
      assert.throws(() => readNpy(p), inputError(p, 'shape'));
    }
    const good = buildNpy({ version: 1, descr: '<f8', fortran: false, shape: [2], values: [1, 2] });
    for (let i = 0; i < 64; i++) {
      const bytes = Uint8Array.from(good);
      bytes[i] ^= 0xff;
      const p = join(d, `flip${i}.npy`);
      writeFileSync(p, bytes);
      try {
        const a = readNpy(p);
        assert.ok(a.data.length <= 2);
      } catch (e) {
        inputError(p, undefined)(e as Error);
      }
    }
  });

  test('wrong dtypes for spike times: strings, booleans', async () => {
    const d = await alfFolder();
    const p = join(d, 'spikes.times.npy');
    writeFileSync(
      p,
      npyWith("{'descr': '<U4', 'fortran_order': False, 'shape': (3,), }", new Uint8Array(48)),
    );
    await assert.rejects(readSpikes(d), inputError(p, 'descr', /unsupported dtype '<U4'/));
    await writeNpy(p, new Uint8Array([1, 0, 1]), { kind: 'b1' });
    await assert.rejects(readSpikes(d), inputError(p, 'descr', /booleans; expected numbers/));
  });

  test('Fortran-ordered 2-D arrays: read in row order, refused as spike vectors', async () => {
    const d = fresh('fortran');
    const p = join(d, 'm.npy');
    writeFileSync(
      p,
      buildNpy({
        version: 1,
        descr: '<i4',
        fortran: true,
        shape: [2, 3, 2],
        values: [0, 6, 2, 8, 4, 10, 1, 7, 3, 9, 5, 11],
      }),
    );
    assert.deepEqual(
      Array.from(readNpy(p).data as Int32Array),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    );
    const alf = await alfFolder();
    const t = join(alf, 'spikes.times.npy');
    writeFileSync(
      t,
      buildNpy({
        version: 1,
        descr: '<f8',
        fortran: true,
        shape: [3, 2],
        values: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
      }),
    );
    await assert.rejects(readSpikes(alf), inputError(t, 'shape', /\(3, 2\); expected a 1-D array/));
    // (n, 1) is how Kilosort writes spike_times.npy: the same in either order.
    writeFileSync(
      t,
      buildNpy({ version: 1, descr: '<f8', fortran: true, shape: [3, 1], values: [0.1, 0.2, 0.3] }),
    );
    assert.deepEqual(Array.from((await readSpikes(alf)).times), [0.1, 0.2, 0.3]);
  });

  test('truncated at every offset', () => {
    const d = fresh('trunc');
    const good = buildNpy({
      version: 2,
      descr: '>i8',
      fortran: false,
      shape: [3],
      values: [1, 2, 3],
    });
    for (let cut = 0; cut < good.length; cut++) {
      const p = join(d, `t${cut}.npy`);
      writeFileSync(p, good.subarray(0, cut));
      assert.throws(() => readNpy(p), inputError(p, undefined));
    }
  });
});

describe('values', () => {
  test('Phy sample_rate 1e999, 0, -5, nan, 0x10 are refused; a finite rate is read', async () => {
    const d = await phyFolder();
    const params = join(d, 'params.py');
    for (const bad of ['1e999', '0', '-5', 'nan', 'inf', '0x10', '3e4e4']) {
      writeFileSync(params, `dat_path = 'x.dat'\nsample_rate = ${bad}\n`);
      await assert.rejects(
        readSpikes(d),
        inputError(params, 'sample_rate', /expected a finite positive number of Hz/),
      );
    }
    writeFileSync(params, 'sample_rate = 3e4  # Hz\n');
    assert.equal((await readSpikes(d)).sampleRateHz, 30000);
  });

  test('a sample rate option of Infinity or NaN is refused', async () => {
    const d = await phyFolder();
    for (const fs of [Infinity, NaN, -1]) {
      await assert.rejects(
        readSpikes(d, { sampleRateHz: fs }),
        inputError(d, 'sample rate', /expected a finite positive number/),
      );
    }
  });

  test('negative, NaN and unsorted times: refused in ALF/Phy, sorted in CSV', async () => {
    const d = await alfFolder();
    const p = join(d, 'spikes.times.npy');
    for (const [times, re] of [
      [[0.1, -0.2, 0.3], /negative time/],
      [[0.1, NaN, 0.3], /expected a finite number/],
      [[0.3, 0.2, 0.1], /not sorted/],
    ] as [number[], RegExp][]) {
      await writeNpy(p, Float64Array.from(times));
      await assert.rejects(readSpikes(d), inputError(p, 'spikes.times', re));
    }
    const c = join(fresh('csv'), 's.csv');
    writeFileSync(c, 'unit,time\n1,0.3\n2,0.1\n1,0.2\n');
    assert.deepEqual(Array.from((await readSpikes(c)).times), [0.1, 0.2, 0.3]);
    writeFileSync(c, 'unit,time\n1,-0.3\n');
    await assert.rejects(readSpikes(c), inputError(c, 'time', /negative time/));
  });

  test('NWB spike_times of strings (or h5py booleans, an enum) are refused', async () => {
    const p = await writeH5(join(fresh('nwb'), 's.nwb'), (f) => {
      f.create_group('units');
      f.create_dataset({ name: 'units/spike_times', data: ['0.1', '0.2'] });
      f.create_dataset({ name: 'units/spike_times_index', data: new Int32Array([2]) });
      f.create_dataset({ name: 'units/id', data: new Int32Array([0]) });
    });
    await assert.rejects(
      readSpikes(p),
      inputError(p, '/units/spike_times', /holds string values; expected integers or floats/),
    );
  });

  test('CSV: 0x10 is not 16; ragged rows; BOM and CRLF; non-UTF-8 bytes', async () => {
    const d = fresh('csv');
    const p = join(d, 's.csv');
    writeFileSync(p, 'unit,time\n1,0x10\n');
    await assert.rejects(
      readSpikes(p),
      inputError(p, 'row 2, column time', /expected a number, got '0x10'/),
    );
    writeFileSync(p, 'unit,time\n0x1,1\n');
    await assert.rejects(readSpikes(p), inputError(p, 'row 2, column unit', /integer unit id/));
    writeFileSync(p, 'unit,time\n1,0.5\n2\n');
    await assert.rejects(readSpikes(p), inputError(p, 'row 3, column time', /got ''/));
    writeFileSync(p, '\uFEFFunit,time\r\n1,0.5\r\n2,0.25\r\n');
    assert.deepEqual(Array.from((await readSpikes(p)).times), [0.25, 0.5]);
    writeFileSync(
      p,
      Buffer.concat([
        Buffer.from('unit,time,note\n1,0.5,caf'),
        Buffer.from([0xe9]),
        Buffer.from('\n'),
      ]),
    );
    assert.deepEqual(Array.from((await readSpikes(p)).times), [0.5]);
    writeFileSync(
      p,
      Buffer.concat([Buffer.from('unit,time\n1,0.'), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]),
    );
    await assert.rejects(readSpikes(p), inputError(p, 'row 2, column time', /expected a number/));
  });

  test('a 20 MB field is not echoed in full', async () => {
    const p = join(fresh('big'), 's.csv');
    writeFileSync(p, `unit,time\n1,${'9'.repeat(10)}x${'y'.repeat(20e6)}\n`);
    await assert.rejects(readSpikes(p), (e: Error) => {
      inputError(p, 'row 2, column time')(e);
      assert.ok(e.message.length < 300, `${e.message.length} characters`);
      return true;
    });
  });

  test('a bad id in cluster_group.tsv is reported against cluster_group.tsv', async () => {
    const d = await phyFolder();
    const p = join(d, 'cluster_group.tsv');
    for (const bad of ['abc', '1.5', '0x2', '99999999999']) {
      writeFileSync(p, `cluster_id\tgroup\n1\tgood\n${bad}\tmua\n`);
      await assert.rejects(
        readSpikes(d),
        inputError(p, 'row 3, column cluster_id', /expected an integer cluster id/),
      );
    }
  });

  test('labels named constructor and __proto__ are counted like any other', async () => {
    const d = await phyFolder();
    writeFileSync(
      join(d, 'cluster_group.tsv'),
      'cluster_id\tgroup\n1\tconstructor\n2\t__proto__\n3\t__proto__\n',
    );
    const st = await readSpikes(d);
    const counts = labelCounts(st)!;
    assert.deepEqual(
      [...counts],
      [
        ['constructor', 1],
        ['__proto__', 2],
      ],
    );
    assert.equal(JSON.stringify(Object.fromEntries(counts)), '{"constructor":1,"__proto__":2}');
    const kept = await readSpikes(d, { labels: ['__proto__'] });
    assert.deepEqual(Array.from(kept.unitIds), [2, 3]);
  });
});

describe('manifests', () => {
  const ds = (extra = '') => `datasets:\n  - {id: a, domain: in_vivo, path: data${extra}}\n`;

  test('JSON with a UTF-8 BOM is accepted', () => {
    const m = parseManifest(
      '\uFEFF{"datasets": [{"id": "a", "domain": "in_vivo", "path": "d"}]}',
      join(root, 'm.json'),
    );
    assert.equal(m.datasets[0].id, 'a');
  });

  test('billion laughs and deep nesting are refused quickly, on one line', () => {
    const f = join(root, 'm.yaml');
    const laughs =
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' +
      'bcdefghi'
        .split('')
        .map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)
        .join('\n') +
      '\n' +
      ds();
    let t = Date.now();
    assert.throws(
      () => parseManifest(laughs, f),
      inputError(f, undefined, /not valid YAML: .*alias/i),
    );
    assert.ok(Date.now() - t < 2000);
    t = Date.now();
    assert.throws(
      () => parseManifest(`x: ${'['.repeat(5000)}${']'.repeat(5000)}\n${ds()}`, f),
      inputError(f, undefined, /not valid YAML: nested too deeply/),
    );
    assert.ok(Date.now() - t < 2000);
  });

  test('a YAML syntax error is one line', () => {
    const f = join(root, 'm.yaml');
    assert.throws(
      () => parseManifest('a: b: c\n', f),
      inputError(f, undefined, /^[^\n]*at line 1, column 4$/),
    );
  });

  test('bin_ms bounds: 1e-300, 1e-5, 1e300 are refused with the allowed range', () => {
    const f = join(root, 'm.yaml');
    for (const [bin, re] of [
      ['1e-300', /expected 0.01 ms ≤ bin_ms ≤ the window length \(600000 ms\)/],
      ['1e300', /expected 0.01 ms ≤ bin_ms ≤ the window length/],
      ['0.01', /60000000 bins × 128 units = 7680000000 raster cells; expected at most 2147483647/],
    ] as [string, RegExp][]) {
      assert.throws(
        () =>
          parseManifest(`datasets:\n  - {id: a, domain: in_vivo, path: p, bin_ms: ${bin}}\n`, f),
        inputError(f, 'datasets[0].bin_ms', re),
      );
    }
    assert.throws(
      () => parseManifest(`defaults: {bin_ms: 1e-5}\n${ds()}`, f),
      inputError(f, 'defaults.bin_ms', /expected 0.01 ms/),
    );
    assert.equal(parseManifest(`defaults: {bin_ms: 0.1}\n${ds()}`, f).datasets[0].binS, 0.0001);
  });
});

describe('a window may end at the recording end', () => {
  const splits = { train: 0.5, val: 0.25, test: 0.25 };
  const opts = (startS: number, lengthS: number) => ({
    startS,
    lengthS,
    binS: 0.001,
    units: { rule: 'top-rate' as const, n: 2 },
    splits,
  });

  test('no stored length: up to the last spike rounded up to the bin, with a note', async () => {
    const p = join(fresh('csv'), 's.csv');
    writeFileSync(p, 'unit,time\n1,0.2\n2,9.5003\n');
    const st: SpikeTrains = await readSpikes(p);
    assert.equal(st.durationFrom, 'last-spike');
    const b = binSpikes(st, opts(0, 9.501));
    assert.equal(b.meta.bins, 9501);
    assert.match(
      b.meta.note!,
      /csv data store no recording length: .*last spike \(9.5003 s\) rounded up to the 1 ms bin, 9.501 s/,
    );
    assert.equal(binSpikes(st, opts(0, 9)).meta.note, undefined);
    assert.throws(
      () => binSpikes(st, opts(0, 9.502), p, 'x.'),
      inputError(
        p,
        'x.window',
        /runs past the end .*rounded up to the 1 ms bin, ends it at 9.501 s/,
      ),
    );
  });

  test('a stored length (MEA /recordingtime) is the limit', async () => {
    const p = await writeH5(join(fresh('mea'), 'm.h5'), (f) => {
      f.create_dataset({ name: 'spikes', data: new Float64Array([1, 2, 3]) });
      f.create_dataset({ name: 'sCount', data: new Int32Array([2, 1]) });
      f.create_dataset({ name: 'recordingtime', data: new Float64Array([0, 10]) });
    });
    const st = await readSpikes(p);
    assert.equal(st.durationFrom, 'recording');
    const b = binSpikes(st, opts(0, 10));
    assert.deepEqual([b.meta.bins, b.meta.note], [10000, undefined]);
    assert.throws(() => binSpikes(st, opts(0, 10.001)), inputError(p, 'window', /10.000 s long$/));
  });
});

describe('HDF5 datasets larger than their file', () => {
  test('an MEA /spikes resized to 1e9 values (never written) is refused before reading', async () => {
    const p = await writeH5(join(fresh('meabig'), 'm.h5'), (f) => {
      f.create_dataset({
        name: 'spikes',
        data: new Float64Array([1, 2]),
        maxshape: [null],
        chunks: [2],
      });
      (f.get('spikes') as unknown as { resize(shape: number[]): void }).resize([1e9]);
      f.create_dataset({ name: 'sCount', data: new Int32Array([2]) });
    });
    const t = Date.now();
    await assert.rejects(
      readSpikes(p),
      inputError(
        p,
        '/spikes',
        /declares 8000000000 bytes of data, impossible in a file of \d+ bytes/,
      ),
    );
    assert.ok(Date.now() - t < 2000);
  });
});

describe('an HDF5 file that sends the library into an endless loop', () => {
  test('a damaged global heap (vlen /names) is stopped at the time limit', async () => {
    const p = await writeH5(join(fresh('mealoop'), 'm.h5'), (f) => {
      f.create_dataset({ name: 'spikes', data: new Float64Array([0.5, 1.25, 3]) });
      f.create_dataset({ name: 'sCount', data: new Int32Array([2, 1]) });
      f.create_dataset({ name: 'names', data: ['ch_11a', 'ch_12a'] });
    });
    // Found by the property test: the size of the first object of the global heap
    // collection ("GCOL" + 24 bytes) set to 248 makes reading /names loop forever.
    const bytes = readFileSync(p);
    const gcol = bytes.indexOf('GCOL');
    assert.ok(gcol > 0);
    bytes[gcol + 24] = 0xf8;
    writeFileSync(p, bytes);
    setH5TimeLimit(1500);
    try {
      const t = Date.now();
      await assert.rejects(
        readSpikes(p),
        inputError(
          p,
          undefined,
          /took longer than 1.5 s and was stopped; the file is probably damaged|corrupted HDF5 global heap/,
        ),
      );
      assert.ok(Date.now() - t < 5000);
      // The reader is restarted: the next file reads normally.
      const ok = await writeH5(join(fresh('meaok'), 'm.h5'), (f) => {
        f.create_dataset({ name: 'spikes', data: new Float64Array([0.5]) });
        f.create_dataset({ name: 'sCount', data: new Int32Array([1]) });
      });
      assert.deepEqual(Array.from((await readSpikes(ok)).times), [0.5]);
    } finally {
      setH5TimeLimit(undefined);
    }
  });
});

describe('a named pipe (FIFO) given as a file', () => {
  test('is refused at once by the table, npy, HDF5 and count-matrix readers, not read forever', async () => {
    const { execFileSync } = await import('node:child_process');
    const { readCounts } = await import('../../src/io/cells/index.js');
    const dir = fresh('fifo');
    const t = Date.now();
    for (const name of ['s.csv', 'spikes.npy', 's.nwb', 'c.h5ad']) {
      const p = join(dir, name);
      execFileSync('mkfifo', [p]);
      const read =
        name === 'c.h5ad'
          ? () => readCounts(p)
          : name === 'spikes.npy'
            ? async () => readNpy(p)
            : () => readSpikes(p);
      await assert.rejects(
        read(),
        (e: Error) =>
          e instanceof InputError &&
          e.message.startsWith(p) &&
          /not a regular file/.test(e.message),
      );
    }
    assert.ok(Date.now() - t < 5000, 'no read blocked on the pipe');
  });
});
