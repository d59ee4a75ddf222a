import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import h5wasm from 'h5wasm/node';
import { writeH5 } from '../helpers/h5.js';
import { writeNpy } from '../../src/io/npy.js';
import {
  detectFormat,
  readSpikes,
  sortByTimeThenUnit,
  type SpikeTrains,
} from '../../src/io/spikes/index.js';

const root = mkdtempSync(join(tmpdir(), 'nb-spk-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name = 'd') => {
  const d = join(root, `${name}${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

/** [unit id, time] pairs of a session, in canonical order. */
const pairs = (st: SpikeTrains) =>
  Array.from(st.times, (t, i) => [st.unitIds[st.unitIndex[i]], t] as [number, number]);

const h5 = writeH5;

describe('ALF', () => {
  test('reads times, clusters, labels and the spontaneous period', async () => {
    const d = fresh('alf');
    await writeNpy(join(d, 'spikes.times.npy'), new Float64Array([0.1, 0.1, 0.5, 2]));
    await writeNpy(join(d, '_ibl_spikes.clusters.npy'), new BigInt64Array([3n, 1n, 3n, 0n]));
    await writeNpy(join(d, 'clusters.label.npy'), new Float64Array([1, 0.33, 0, 1]));
    writeFileSync(
      join(d, '_ibl_passivePeriods.intervalsTable.csv'),
      ',passiveProtocol,spontaneousActivity,RFM,taskReplay\nstart,3000.1,3010.5,3620.2,3950\nstop,3950.7,3610.5,3920.9,3950.7\n',
    );
    assert.equal(await detectFormat(d), 'alf');
    const st = await readSpikes(d);
    assert.deepEqual(Array.from(st.unitIds), [0, 1, 2, 3]); // clusters.label has 4 rows
    // Ties are put in unit order: unit 1 before unit 3 at 0.1 s.
    assert.deepEqual(pairs(st), [
      [1, 0.1],
      [3, 0.1],
      [3, 0.5],
      [0, 2],
    ]);
    assert.deepEqual(st.spontaneousS, [3010.5, 3610.5]);
    assert.equal(st.labels?.get(3), '1');
    assert.equal(st.durationS, 2);
    const good = await readSpikes(d, { labels: ['1'] });
    assert.deepEqual(Array.from(good.unitIds), [0, 3]);
    assert.equal(good.times.length, 3);
  });

  test('string-typed cluster tables are skipped; other clusters.* give the cluster count', async () => {
    const d = fresh('alfstr');
    await writeNpy(join(d, 'spikes.times.npy'), new Float64Array([0.1, 0.2]));
    await writeNpy(join(d, 'spikes.clusters.npy'), new Uint32Array([0, 2]));
    await writeNpy(join(d, 'clusters.depths.npy'), new Float64Array([10, 20, 30, 40, 50]));
    // A '<U4' label array (numpy strings), hand-made: the reader must not fail on it.
    const hdr = "{'descr': '<U4', 'fortran_order': False, 'shape': (5,), }";
    const pad = ' '.repeat(64 - ((10 + hdr.length + 1) % 64)) + '\n';
    const head = Buffer.concat([
      Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]),
      Buffer.alloc(2),
      Buffer.from(hdr + pad, 'latin1'),
    ]);
    head.writeUInt16LE(hdr.length + pad.length, 8);
    writeFileSync(join(d, 'clusters.label.npy'), Buffer.concat([head, Buffer.alloc(80)]));
    const st = await readSpikes(d);
    assert.equal(st.labels, undefined);
    assert.deepEqual(Array.from(st.unitIds), [0, 1, 2, 3, 4]);
  });

  test('errors: different lengths, unsorted, negative, NaN', async () => {
    const bad: [number[], number[], RegExp][] = [
      [[0.1, 0.2, 0.3], [1, 2], /differ in length \(3 times, 2 cluster ids\)/],
      [[0.1, 0.3, 0.2], [1, 2, 1], /not sorted: spike 2 at 0.2 s comes after 0.3 s/],
      [[-0.1, 0.3], [1, 2], /spike 0 has negative time -0.1/],
      [[0.1, NaN], [1, 2], /spike 1 has time NaN; expected a finite number/],
    ];
    for (const [t, c, re] of bad) {
      const d = fresh('alfbad');
      await writeNpy(join(d, 'spikes.times.npy'), Float64Array.from(t));
      await writeNpy(join(d, 'spikes.clusters.npy'), Int32Array.from(c));
      await assert.rejects(
        readSpikes(d),
        (e: Error) => e.message.startsWith(join(d, 'spikes.times.npy')) && re.test(e.message),
      );
    }
  });
});

describe('Kilosort/Phy', () => {
  test('samples to seconds with params.py; keep good units', async () => {
    const d = fresh('phy');
    await writeNpy(join(d, 'spike_times.npy'), new BigUint64Array([30n, 60n, 90n, 30000n]));
    await writeNpy(join(d, 'spike_clusters.npy'), new Int32Array([5, 7, 5, 9]));
    writeFileSync(join(d, 'params.py'), "dat_path = 'x.dat'\nsample_rate = 30000.0\n");
    writeFileSync(join(d, 'cluster_group.tsv'), 'cluster_id\tgroup\n5\tgood\n7\tmua\n9\tgood\n');
    const st = await readSpikes(d);
    assert.deepEqual(pairs(st), [
      [5, 0.001],
      [7, 0.002],
      [5, 0.003],
      [9, 1],
    ]);
    assert.equal(st.sampleRateHz, 30000);
    const good = await readSpikes(d, { labels: ['good'] });
    assert.deepEqual(Array.from(good.unitIds), [5, 9]);
    assert.deepEqual(Array.from(good.times), [0.001, 0.003, 1]);
  });

  test('cluster_info.tsv labels and missing sample rate', async () => {
    const d = fresh('phy');
    await writeNpy(join(d, 'spike_times.npy'), new BigInt64Array([1n, 2n]));
    await writeNpy(join(d, 'spike_clusters.npy'), new Uint32Array([0, 1]));
    writeFileSync(
      join(d, 'cluster_info.tsv'),
      'cluster_id\tAmplitude\tKSLabel\tgroup\n0\t3\tgood\t\n1\t4\tmua\tnoise\n',
    );
    await assert.rejects(readSpikes(d), (e: Error) =>
      e.message.startsWith(`${join(d, 'params.py')}: sample_rate: missing sample rate`),
    );
    const st = await readSpikes(d, { sampleRateHz: 1000 });
    assert.deepEqual(
      [...st.labels!.entries()],
      [
        [0, 'good'],
        [1, 'noise'],
      ],
    );
    assert.deepEqual(Array.from(st.times), [0.001, 0.002]);
  });
});

describe('NWB, SpyKING CIRCUS, MaxWell (HDF5)', () => {
  test('NWB /units ragged spike times', async () => {
    const p = join(fresh('nwb'), 'x.nwb');
    await h5(p, (f) => {
      const u = f.create_group('units');
      u.create_dataset({ name: 'id', data: new Int32Array([10, 20, 30]) });
      u.create_dataset({ name: 'spike_times', data: new Float64Array([0.5, 1.5, 0.2, 3]) });
      u.create_dataset({ name: 'spike_times_index', data: new BigUint64Array([2n, 2n, 4n]) });
    });
    const st = await readSpikes(p);
    assert.equal(st.provenance.format, 'nwb');
    assert.deepEqual(Array.from(st.unitIds), [10, 20, 30]); // unit 20 never fires but is declared
    assert.deepEqual(pairs(st), [
      [30, 0.2],
      [10, 0.5],
      [10, 1.5],
      [30, 3],
    ]);
  });

  test('NWB with unsorted unit times and a bad index is rejected', async () => {
    const p = join(fresh('nwb'), 'bad.nwb');
    await h5(p, (f) => {
      const u = f.create_group('units');
      u.create_dataset({ name: 'id', data: new Int32Array([1]) });
      u.create_dataset({ name: 'spike_times', data: new Float64Array([2, 1]) });
      u.create_dataset({ name: 'spike_times_index', data: new Int32Array([2]) });
    });
    await assert.rejects(
      readSpikes(p),
      /bad.nwb: \/units\/spike_times: spike times of unit 1 not sorted/,
    );
    const q = join(fresh('nwb'), 'bad2.nwb');
    await h5(q, (f) => {
      const u = f.create_group('units');
      u.create_dataset({ name: 'id', data: new Int32Array([1]) });
      u.create_dataset({ name: 'spike_times', data: new Float64Array([1, 2]) });
      u.create_dataset({ name: 'spike_times_index', data: new Int32Array([1]) });
    });
    await assert.rejects(
      readSpikes(q),
      /bad2.nwb: \/units\/spike_times_index: last offset is 1, but \/units\/spike_times has 2/,
    );
  });

  test('SpyKING CIRCUS temp_N with params file; missing rate is an error', async () => {
    const d = fresh('circus');
    const p = join(d, 'rec.result.hdf5');
    await h5(p, (f) => {
      const g = f.create_group('spiketimes');
      g.create_dataset({ name: 'temp_0', data: new Uint32Array([20000, 40000]) });
      g.create_dataset({ name: 'temp_3', data: new Uint32Array([10000]) });
    });
    await assert.rejects(readSpikes(p), (e: Error) =>
      e.message.startsWith(`${p}: sampling_rate: missing sample rate`),
    );
    writeFileSync(
      join(d, 'rec.params'),
      '[data]\nfile_format = raw_binary\nsampling_rate = 20000\n',
    );
    const st = await readSpikes(p);
    assert.deepEqual(pairs(st), [
      [3, 0.5],
      [0, 1],
      [0, 2],
    ]);
    const forced = await readSpikes(p, { sampleRateHz: 10000 });
    assert.deepEqual(Array.from(forced.times), [1, 2, 4]);
  });

  test('MaxWell legacy /proc0/spikeTimes and new /recordings layout', async () => {
    const legacy = join(fresh('mxw'), 'old.raw.h5');
    const rows = new Map<string, unknown>([
      ['frameno', new BigInt64Array([1000n, 1020n, 3000n])],
      ['channel', new Int32Array([7, 3, 7])],
      ['amplitude', new Float32Array([-30, -25, -40])],
    ]);
    await h5(legacy, (f) => {
      f.create_group('proc0');
      f.get('proc0')!;
      (f.get('proc0') as InstanceType<typeof h5wasm.Group>).create_dataset({
        name: 'spikeTimes',
        data: rows,
      });
    });
    assert.equal(await detectFormat(legacy), 'maxwell');
    const a = await readSpikes(legacy);
    assert.deepEqual(pairs(a), [
      [7, 0],
      [3, 0.001],
      [7, 0.1],
    ]);
    assert.equal(a.sampleRateHz, 20000);
    const modern = join(fresh('mxw'), 'new.raw.h5');
    await h5(modern, (f) => {
      const w = f
        .create_group('recordings/rec0000/well000'.split('/')[0])
        .create_group('rec0000')
        .create_group('well000');
      w.create_dataset({ name: 'spikes', data: rows });
      w.create_group('settings').create_dataset({
        name: 'sampling',
        data: new Float64Array([10000]),
      });
      w.create_dataset({ name: 'start_frame', data: new BigInt64Array([500n]) });
    });
    const b = await readSpikes(modern);
    assert.deepEqual(pairs(b), [
      [7, 0.05],
      [3, 0.052],
      [7, 0.25],
    ]);
  });
});

describe('CSV/TSV', () => {
  test('time units by column name or option', async () => {
    const d = fresh('csv');
    writeFileSync(join(d, 'a.csv'), 'unit,time_ms\n2,5\n1,1.5\n');
    assert.deepEqual(pairs(await readSpikes(join(d, 'a.csv'))), [
      [1, 0.0015],
      [2, 0.005],
    ]);
    writeFileSync(join(d, 'b.tsv'), 'cluster\tsample\n4\t300\n');
    await assert.rejects(
      readSpikes(join(d, 'b.tsv')),
      /b.tsv: sample: times are in samples but no sample rate/,
    );
    assert.deepEqual(pairs(await readSpikes(join(d, 'b.tsv'), { sampleRateHz: 3000 })), [[4, 0.1]]);
    writeFileSync(join(d, 'c.csv'), 'unit,time\n1,abc\n');
    await assert.rejects(
      readSpikes(join(d, 'c.csv')),
      /c.csv: row 2, column time: expected a number, got 'abc'/,
    );
    writeFileSync(join(d, 'e.csv'), 'neuron,when\n1,2\n');
    await assert.rejects(readSpikes(join(d, 'e.csv')), /e.csv: header: expected a unit column/);
  });

  test('unknown format and undetectable paths', async () => {
    const d = fresh('none');
    await assert.rejects(readSpikes(d), /cannot tell the format/);
    await assert.rejects(
      readSpikes(d, { format: 'xyz' }),
      /format: unknown format 'xyz'; expected one of alf, phy/,
    );
  });
});

describe('canonical ordering', () => {
  test('run merge and fallback sort agree with a brute-force sort (ties by unit)', () => {
    let s = 11;
    const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    for (const [n, runs] of [
      [0, 1],
      [1, 1],
      [1000, 7],
      [5000, 300],
      [140000, 70000],
    ]) {
      const t = new Float64Array(n);
      const u = new Int32Array(n);
      const per = Math.ceil(n / runs);
      for (let i = 0; i < n; i++) {
        u[i] = Math.floor(i / per);
        t[i] = (i % per === 0 ? 0 : t[i - 1]) + Math.round(rand() * 10) / 4; // many ties
      }
      const [a, b] = sortByTimeThenUnit(t, u);
      const idx = Array.from({ length: n }, (_, i) => i).sort((x, y) => t[x] - t[y] || u[x] - u[y]);
      assert.ok(
        idx.every((j, i) => a[i] === t[j] && b[i] === u[j]),
        `n=${n} runs=${runs}`,
      );
    }
  });
});
