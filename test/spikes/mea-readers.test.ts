// In-vitro MEA spike lists: the sjemea/meaRtools HDF5 layout (`mea-h5`) and Axion AxIS
// spike_list.csv (`axion`), on real files (test/fixtures/spikes-mea, see its PROVENANCE.md)
// and on small hand-made bad files.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, describe, test } from 'node:test';
import { writeH5 } from '../helpers/h5.js';
import {
  detectFormat,
  readSpikes,
  unitTimes,
  type SpikeTrains,
} from '../../src/io/spikes/index.js';
import { prepareDataset } from '../../src/pipelines/spikes/data/cache.js';
import { parseManifest } from '../../src/pipelines/spikes/data/manifest.js';

const fixtures = new URL('../../../test/fixtures/spikes-mea/', import.meta.url).pathname;
const CULTURE = join(fixtures, 'C57_CTX_G2CEPHYS1_DIV14_TC01_A.h5');
const AXION = join(fixtures, 'exampleRecording_1012016_plate1_DIV3_spike_list.csv.gz');
// Larger real files, read when the shared data folder is on this machine.
const SHARED = '/work/shared/data/real_spikes';

const root = mkdtempSync(join(tmpdir(), 'nb-mea-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const tmp = (name: string) => join(root, `${n++}-${name}`);

/** Spikes per unit, by position in unitIds. */
function counts(st: SpikeTrains): Int32Array {
  const c = new Int32Array(st.unitIds.length);
  for (const u of st.unitIndex) c[u]++;
  return c;
}

/** Units firing at ≥ hz, rate = spikes / last-spike time (as the PROVENANCE tables count). */
function unitsAbove(c: ArrayLike<number>, lastS: number, hz: number): number {
  return Array.from(c).filter((k) => k / lastS >= hz).length;
}

const h5 = writeH5;

describe('MEA HDF5 spike list (mea-h5)', () => {
  test('real culture file: exact counts, first/last spike, per-unit spot checks', async () => {
    assert.equal(await detectFormat(CULTURE), 'mea-h5');
    const st = await readSpikes(CULTURE);
    assert.equal(st.provenance.format, 'mea-h5');
    assert.equal(st.unitIds.length, 41);
    assert.deepEqual(
      Array.from(st.unitIds),
      Array.from({ length: 41 }, (_, i) => i),
    );
    assert.equal(st.times.length, 41042);
    assert.equal(st.times[0], 1.27964);
    assert.equal(st.times[st.times.length - 1], 909.8914);
    // /recordingtime is [0, 911.2]; summary/duration (909) is rounded and below the last spike.
    assert.equal(st.durationS, 911.2);
    assert.deepEqual(st.provenance.recordingTimeS, [0, 911.2]);
    assert.equal(st.provenance.summaryDurationS, 909);
    assert.equal(st.provenance.array, 'MCS_8x8_200um');
    assert.deepEqual(st.provenance.meta, {
      DIV0: '2008-09-16',
      age: 14,
      genotype: 'wt',
      key: 'Charlesworth2014',
      region: 'ctx',
      species: 'mouse',
      strain: 'C57',
    });
    const c = counts(st);
    assert.equal(Math.max(...c), 4873);
    assert.equal(Math.min(...c), 1);
    assert.deepEqual(Array.from(c.subarray(0, 4)), [998, 2048, 58, 2349]); // /sCount order
    const last = st.times[st.times.length - 1];
    assert.equal(unitsAbove(c, last, 0.1), 33);
    assert.equal(unitsAbove(c, last, 1), 14);
    assert.deepEqual(
      [0, 1, 2].map((u) => st.unitNames?.get(u)),
      ['ch_12A_unit_0', 'ch_13A_unit_0', 'ch_14A_unit_0'],
    );
    // Unit 0's block, as stored, starts at 4.08452 s.
    assert.equal(unitTimes(st, 0)[0], 4.08452);
    for (let i = 1; i < st.times.length; i++) assert.ok(st.times[i] >= st.times[i - 1]);
  });

  const shared: [string, number, number, number, number, number, number, string][] = [
    // file, units, spikes, first, last, ≥0.1 Hz, ≥1 Hz, first name (PROVENANCE.md tables)
    [
      'culture_mea_sjemea/C57_CTX_G2CEPHYS1_DIV28_KN62_TC02_A.h5',
      59,
      380962,
      0.0324,
      911.18408,
      57,
      45,
      'ch_12A_unit_0',
    ],
    [
      'retina_mea_sjemea/Maccione2014_P11_m1r2_Spkts_bursts_filtered.h5',
      1152,
      664716,
      0.001688,
      1799.960789,
      1015,
      35,
      'Ch1.16',
    ],
    [
      'retina_mea_sjemea/Stafford2009_WT_37C_Dorsal_2008-10-11-0.h5',
      477,
      864412,
      0.5088,
      7197.26055,
      429,
      0,
      '2',
    ],
  ];
  for (const [file, units, spikes, first, last, r01, r1, name] of shared) {
    const p = join(SHARED, file);
    test(
      `shared ${file.split('/')[1]}`,
      { skip: !existsSync(p) && 'the shared data folder is not on this machine' },
      async () => {
        assert.equal(await detectFormat(p), 'mea-h5');
        const st = await readSpikes(p);
        assert.equal(st.unitIds.length, units);
        assert.equal(st.times.length, spikes);
        // PROVENANCE rounds to 6 decimals.
        assert.ok(Math.abs(st.times[0] - first) < 5e-7, `first ${st.times[0]}`);
        const t1 = st.times[st.times.length - 1];
        assert.ok(Math.abs(t1 - last) < 5e-7, `last ${t1}`);
        const c = counts(st);
        assert.equal(unitsAbove(c, t1, 0.1), r01);
        assert.equal(unitsAbove(c, t1, 1), r1);
        assert.equal(st.unitNames?.get(0), name);
      },
    );
  }

  test('times kept as stored (a segment starting at 3600 s), silent units kept, no names', async () => {
    const p = await h5(tmp('offset.h5'), (f) => {
      f.create_dataset({ name: 'spikes', data: new Float64Array([3600.5, 3602, 3600.5, 3601]) });
      f.create_dataset({ name: 'sCount', data: new Int32Array([2, 0, 2]) });
    });
    assert.equal(await detectFormat(p), 'mea-h5');
    const st = await readSpikes(p);
    assert.deepEqual(Array.from(st.unitIds), [0, 1, 2]);
    assert.deepEqual(Array.from(st.times), [3600.5, 3600.5, 3601, 3602]);
    assert.deepEqual(Array.from(st.unitIndex), [0, 2, 2, 0]);
    assert.equal(st.durationS, 3602);
    assert.equal(st.unitNames, undefined);
  });

  test('errors name the file and the dataset', async () => {
    const cases: [string, Float64Array, Int32Array, RegExp, string[]?][] = [
      [
        'sum.h5',
        new Float64Array([1, 2, 3]),
        new Int32Array([1, 1]),
        /sum.h5: \/sCount: counts sum to 2 but \/spikes holds 3 times; expected sum\(sCount\) = len\(spikes\)$/,
      ],
      [
        'neg.h5',
        new Float64Array([1, 2]),
        new Int32Array([3, -1]),
        /neg.h5: \/sCount: unit 1 \(b\) has count -1; expected a non-negative integer$/,
        ['a', 'b'],
      ],
      [
        'unsorted.h5',
        new Float64Array([1, 5, 2, 4, 3]),
        new Int32Array([2, 3]),
        /unsorted.h5: \/spikes: unit 1 \(ch_13\) is not sorted: spike 4 at 3 s comes after 4 s; expected each unit's block \(in \/sCount order\) ascending$/,
        ['ch_12', 'ch_13'],
      ],
      [
        'nan.h5',
        new Float64Array([1, NaN]),
        new Int32Array([1, 1]),
        /nan.h5: \/spikes: spike 1 \(unit 1\) has time NaN; expected a finite number of seconds$/,
      ],
      [
        'inf.h5',
        new Float64Array([Infinity]),
        new Int32Array([1]),
        /inf.h5: \/spikes: spike 0 \(unit 0\) has time Infinity/,
      ],
      [
        'names.h5',
        new Float64Array([1]),
        new Int32Array([1]),
        /names.h5: \/names: 2 names for 1 units in \/sCount; expected one name per unit$/,
        ['a', 'b'],
      ],
    ];
    for (const [name, spikes, sCount, re, names] of cases) {
      const p = await h5(tmp(name), (f) => {
        f.create_dataset({ name: 'spikes', data: spikes });
        f.create_dataset({ name: 'sCount', data: sCount });
        if (names) f.create_dataset({ name: 'names', data: names });
      });
      await assert.rejects(
        readSpikes(p),
        (e: Error) =>
          (e.name === 'InputError' && e.message.startsWith(p) && re.test(e.message)) ||
          assert.fail(e.message),
      );
    }
    // Forced format on a file without the layout: the missing dataset is named.
    const q = await h5(tmp('other.h5'), (f) => {
      f.create_dataset({ name: 'spikes', data: new Float64Array([1]) });
    });
    await assert.rejects(
      readSpikes(q, { format: 'mea-h5' }),
      /other.h5: sCount: missing dataset; expected it in this format/,
    );
    await assert.rejects(detectFormat(q), /cannot tell the format/);
  });
});

describe('Axion spike_list.csv (axion)', () => {
  test('real plate: detected; without a well, the error lists the wells and counts', async () => {
    assert.equal(await detectFormat(AXION), 'axion');
    await assert.rejects(readSpikes(AXION), (e: Error) => {
      assert.equal(e.name, 'InputError');
      assert.ok(e.message.startsWith(`${AXION}: well: 20 wells spiked`), e.message);
      assert.match(e.message, /among: B2 \(9436\), B3 \(7575\), .*D3 \(9639\), .*E7 \(4554\)$/);
      assert.equal(e.message.split('\n').length, 1);
      return true;
    });
    await assert.rejects(
      readSpikes(AXION, { well: 'A1' }),
      /: well: no spikes in well 'A1'; wells with spikes \(spike counts\): B2 \(9436\), /,
    );
  });

  test('real plate: every well together gives the PROVENANCE counts', async () => {
    const first = await readSpikes(AXION, { well: 'D3' });
    const wells = first.provenance.wells as Record<string, number>;
    assert.equal(Object.keys(wells).length, 20);
    assert.equal(
      Object.values(wells).reduce((a, b) => a + b, 0),
      100957,
    );
    let electrodes = 0;
    let ge01 = 0;
    let t0 = Infinity;
    let t1 = -Infinity;
    for (const w of Object.keys(wells)) {
      const st = await readSpikes(AXION, { well: w.toLowerCase(), format: 'axion' });
      assert.equal(st.provenance.well, w);
      assert.equal(st.times.length, wells[w]);
      electrodes += st.unitIds.length;
      ge01 += unitsAbove(counts(st), 57.67824, 0.1);
      t0 = Math.min(t0, st.times[0]);
      t1 = Math.max(t1, st.times[st.times.length - 1]);
      assert.equal(st.durationS, 57.67824); // the plate's last spike
    }
    assert.equal(electrodes, 269);
    assert.equal(ge01, 241);
    assert.equal(t0, 0.01048);
    assert.equal(t1, 57.67824);
  });

  test('real plate, well D3: electrodes as unit ids, names, rate and settings', async () => {
    const st = await readSpikes(AXION, { well: 'D3' });
    assert.deepEqual(
      Array.from(st.unitIds),
      [12, 13, 14, 21, 22, 23, 24, 31, 32, 33, 34, 41, 42, 43, 44], // D3_11 never spiked
    );
    assert.equal(st.times.length, 9639);
    assert.equal(st.times[0], 0.01048); // the file's first row: D3_31
    assert.equal(st.unitIds[st.unitIndex[0]], 31);
    assert.equal(st.unitNames?.get(31), 'D3_31');
    assert.equal(st.sampleRateHz, 12500);
    const meta = st.provenance.metadata as Record<string, string>;
    assert.equal(meta['Plate Type'], 'Maestro 48-Well (Transparent)');
    assert.equal(meta['Spike Count Interval'], '1 s');
    assert.equal(Object.keys(meta).length, 38); // Investigator + 37 rows
    assert.equal(st.provenance.footerRows, 0);
  });

  test('small files: one well needs no option; footer after the spikes; bad rows', async () => {
    const head = 'Investigator,Jo,Time (s),Electrode,Amplitude(mV)\r\n';
    const one = tmp('one_spike_list.csv');
    writeFileSync(
      one,
      head +
        'Sampling Frequency,20000 Hz,0.5,A1_12,0.1\r\n,,0.25,A1_21,0.1\r\n,,0.5,A1_12,0.2\r\n' +
        ',,,,\r\nWell Information,,,,\r\nWell,A1,A2,A3,\r\nTreatment,x,y,z,\r\n',
    );
    assert.equal(await detectFormat(one), 'axion');
    const st = await readSpikes(one);
    assert.deepEqual(Array.from(st.unitIds), [12, 21]);
    assert.deepEqual(Array.from(st.times), [0.25, 0.5, 0.5]);
    assert.equal(st.sampleRateHz, 20000);
    assert.equal(st.provenance.footerRows, 4);
    assert.deepEqual(st.provenance.metadata, {
      Investigator: 'Jo',
      'Sampling Frequency': '20000 Hz',
    });
    // Gzipped, same content.
    const gz = tmp('one_spike_list.csv.gz');
    writeFileSync(gz, gzipSync(Buffer.from(head + ',,0.5,B2_44,0.1\r\n')));
    assert.equal(await detectFormat(gz), 'axion');
    assert.deepEqual(Array.from((await readSpikes(gz)).unitIds), [44]);

    const bad: [string, RegExp][] = [
      [
        ',,0.5,A1_12,1\r\n,,abc,A1_12,1\r\n',
        /: line 3, column Time \(s\): expected a time in seconds ≥ 0, got 'abc'$/,
      ],
      [
        ',,-1,A1_12,1\r\n',
        /: line 2, column Time \(s\): expected a time in seconds ≥ 0, got '-1'$/,
      ],
      [
        ',,0.5,Ref,1\r\n',
        /: line 2, column Electrode: expected an electrode name like A1_11 \(well_electrode\), got 'Ref'$/,
      ],
    ];
    for (const [rows, re] of bad) {
      const p = tmp('bad_spike_list.csv');
      writeFileSync(p, head + rows);
      await assert.rejects(
        readSpikes(p),
        (e: Error) => e.message.startsWith(p) && re.test(e.message),
      );
    }
    const empty = tmp('empty_spike_list.csv');
    writeFileSync(empty, head);
    await assert.rejects(readSpikes(empty), /: well: no spike rows/);
  });

  test('other CSVs stay plain csv, gzipped or not', async () => {
    const p = tmp('units.csv.gz');
    writeFileSync(p, gzipSync(Buffer.from('unit,time_s\n3,0.5\n1,0.25\n')));
    assert.equal(await detectFormat(p), 'csv');
    const st = await readSpikes(p);
    assert.deepEqual(Array.from(st.unitIds), [1, 3]);
    const q = tmp('units.csv');
    writeFileSync(q, 'unit,time_s\n3,0.5\n');
    assert.equal(await detectFormat(q), 'csv');
  });

  test('manifest `well` reaches the reader and the cache key', async () => {
    const file = join(root, 'plate.yaml');
    const spec = (well?: string) =>
      parseManifest(
        JSON.stringify({
          datasets: [
            {
              id: 'plate',
              domain: 'in_vitro',
              path: AXION,
              ...(well ? { well } : {}),
              units: { rule: 'top-rate', n: 8 },
              window: { start_s: 0, length_s: 50 },
            },
          ],
        }),
        file,
      ).datasets[0];
    assert.equal(spec('D3').well, 'D3');
    const cache = tmp('cache');
    const d3 = await prepareDataset(spec('D3'), cache);
    assert.deepEqual([d3.binned.raster.bins, d3.binned.raster.units], [50000, 8]);
    const b2 = await prepareDataset(spec('B2'), cache);
    assert.notEqual(b2.key, d3.key);
    assert.equal(b2.cached, false);
    assert.equal((await prepareDataset(spec('D3'), cache)).cached, true);
    await assert.rejects(prepareDataset(spec(), cache), /: well: 20 wells spiked/);
  });
});
