import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import h5wasm from 'h5wasm/node';
import { readSpikes, unitTimes } from '../../src/io/spikes/index.js';
import { simulateSpikes } from '../../src/sim/spikes.js';
import { writeSpikes } from '../../src/io/spikes/writers.js';

const root = mkdtempSync(join(tmpdir(), 'nb-sim-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('spike simulator', () => {
  test('is seeded and has ≥ 300 units', () => {
    const a = simulateSpikes({ kind: 'in_vivo', durationS: 5, seed: 3 });
    const b = simulateSpikes({ kind: 'in_vivo', durationS: 5, seed: 3 });
    const c = simulateSpikes({ kind: 'in_vivo', durationS: 5, seed: 4 });
    assert.ok(a.unitIds.length >= 300);
    assert.deepEqual(a.times, b.times);
    assert.deepEqual(a.unitIndex, b.unitIndex);
    assert.notDeepEqual(a.times, c.times);
  });

  test('in vivo: rates in 1–20 Hz (log-normal), refractory period respected', () => {
    const st = simulateSpikes({ kind: 'in_vivo', durationS: 60, seed: 1 });
    const rates = Array.from(st.unitIds, (_, k) => unitTimes(st, k).length / 60).sort(
      (x, y) => x - y,
    );
    assert.ok(rates[0] > 0.3 && rates[rates.length - 1] < 30, `rates ${rates[0]}..${rates.at(-1)}`);
    const median = rates[rates.length >> 1];
    assert.ok(median > 3 && median < 9, `median ${median}`);
    for (let k = 0; k < 20; k++) {
      const ts = unitTimes(st, k);
      for (let i = 1; i < ts.length; i++) assert.ok(ts[i] - ts[i - 1] >= 0.002 - 1e-12);
    }
  });

  test('in vitro: low background rates and synchronized network bursts', () => {
    const dur = 120;
    const st = simulateSpikes({ kind: 'in_vitro', durationS: dur, seed: 2 });
    const meanRate = st.times.length / st.unitIds.length / dur;
    assert.ok(meanRate > 0.3 && meanRate < 4, `mean rate ${meanRate}`);
    // Population count per 100 ms: bursts make the distribution extremely heavy-tailed.
    const counts = new Float64Array(dur * 10);
    for (const t of st.times) counts[Math.floor(t * 10)]++;
    const sorted = Array.from(counts).sort((x, y) => x - y);
    const median = sorted[sorted.length >> 1];
    const burstBins = sorted.filter((c) => c > 100).length;
    assert.ok(median < 30, `median ${median}`);
    assert.ok(burstBins >= 12, `burst bins ${burstBins}`);
  });
});

describe('writers round-trip through the readers', () => {
  const st = simulateSpikes({ kind: 'in_vivo', durationS: 4, seed: 9, units: 310 });

  test('ALF: identical ids and times', async () => {
    const back = await readSpikes(await writeSpikes('alf', join(root, 'alf'), st));
    assert.deepEqual(back.unitIds, st.unitIds);
    assert.deepEqual(back.times, st.times);
    assert.deepEqual(back.unitIndex, st.unitIndex);
  });

  test('NWB: identical ids and times, plausible NWB 2.x attributes', async () => {
    const path = await writeSpikes('nwb', join(root, 'nwb'), st);
    const back = await readSpikes(path);
    assert.deepEqual(back.unitIds, st.unitIds);
    assert.deepEqual(back.times, st.times);
    assert.deepEqual(back.unitIndex, st.unitIndex);
    await h5wasm.ready;
    const f = new h5wasm.File(path, 'r');
    try {
      assert.equal(f.attrs['neurodata_type'].value, 'NWBFile');
      assert.equal(f.attrs['namespace'].value, 'core');
      assert.match(String(f.attrs['nwb_version'].value), /^2\./);
      assert.equal(
        (f.get('units') as InstanceType<typeof h5wasm.Group>).attrs['neurodata_type'].value,
        'Units',
      );
      const idx = f.get('units/spike_times_index') as InstanceType<typeof h5wasm.Dataset>;
      assert.equal(idx.attrs['neurodata_type'].value, 'VectorIndex');
      assert.equal(idx.attrs['namespace'].value, 'hdmf-common');
      assert.ok(f.get('identifier') && f.get('session_start_time'));
    } finally {
      f.close();
    }
  });

  test('Phy: ids identical, times within half a sample', async () => {
    const dir = await writeSpikes('phy', join(root, 'phy'), st);
    assert.match(readFileSync(join(dir, 'params.py'), 'utf8'), /sample_rate = 30000.0/);
    const back = await readSpikes(dir);
    assert.deepEqual(back.unitIds, st.unitIds);
    assert.equal(back.times.length, st.times.length);
    // Rounding to samples can swap the order of near-simultaneous spikes: compare per unit.
    for (let k = 0; k < st.unitIds.length; k++) {
      const a = unitTimes(st, k);
      const b = unitTimes(back, k);
      assert.equal(a.length, b.length);
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 0.5 / 30000 + 1e-12);
    }
  });
});
