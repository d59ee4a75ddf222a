/**
 * The current-clamp reader and the extraction end to end: the real NWB 2.0b ramp file
 * (IPFX's test data), closed forms on sweeps of the AdEx model neuron written as current NWB,
 * the CLI on both, and malformed files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCurrentClampSweeps } from '../../src/io/ephys/nwb-icephys.js';
import { readFeatureVectors, IPFX_FAMILIES } from '../../src/io/ephys/ipfx.js';
import { extractCell } from '../../src/pipelines/ephys/extract/extract-cell.js';
import { stimulusEpoch } from '../../src/pipelines/ephys/extract/stimulus.js';
import {
  adexRheobase,
  DEFAULT_ADEX,
  protocolSweeps,
  simulateAdex,
  writeIcephysNwb,
} from '../../src/sim/icephys.js';
import { writeH5 } from '../helpers/h5.js';

const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;
const ramp = new URL('../../../test/fixtures/icephys_ipfx/2018_03_20_0005.nwb', import.meta.url)
  .pathname;
const dir = mkdtempSync(join(tmpdir(), 'nb-ephys-extract-'));

function run(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
}

test('reader: the NWB 2.0b ramp file through its sweep_table, scaled to mV and pA', async () => {
  const [s, ...rest] = await readCurrentClampSweeps(ramp);
  assert.equal(rest.length, 0);
  assert.equal(s.sweepNumber, 0);
  assert.equal(s.samplingRateHz, 50000);
  assert.equal(s.voltageMv.length, 900000);
  assert.equal(s.stimulusDescription, 'RAMP1');
  assert.equal(s.responsePath, '/acquisition/index_0');
  assert.equal(s.stimulusPath, '/stimulus/presentation/index_0');
  const i = s.stimulusPa!;
  // PROVENANCE: a 50 pA test pulse near 0.38 s, then a 25 pA/s ramp from 1.396 s to 9.396 s.
  assert.ok(Math.abs(i[Math.round(0.385 * 50000)] - 50) < 1e-3);
  const slope = ((i[Math.round(9 * 50000)] - i[Math.round(2 * 50000)]) / 7) as number;
  assert.ok(Math.abs(slope - 25) < 1e-3, `ramp slope ${slope} pA/s`);
  assert.ok(s.voltageMv[0] > -90 && s.voltageMv[0] < -50, 'resting potential in mV');
  const epoch = stimulusEpoch(
    Float64Array.from(i, (_, k) => k / 50000),
    i,
  );
  assert.ok(!('reason' in epoch));
  if (!('reason' in epoch)) {
    assert.equal(epoch.protocol, 'ramp');
    assert.ok(epoch.testPulse);
    assert.ok(Math.abs(epoch.start - 1.396) < 0.001, `ramp start ${epoch.start}`);
  }
});

test('AdEx integrator: a subthreshold step follows the RC closed form V = E_L − I R (1 − e^(−t/τ))', () => {
  const p = DEFAULT_ADEX;
  const i = new Float64Array(20000).fill(-50);
  const v = simulateAdex(p, i, 50000);
  const R = 1 / p.gL; // GΩ = mV/pA
  const tau = p.c / p.gL; // ms
  for (const k of [50, 500, 2000, 19999]) {
    const tMs = ((k + 1) / 50000) * 1000;
    const want = p.eL + -50 * R * (1 - Math.exp(-tMs / tau));
    // The exponential current at ≤ −72 mV (g_L Δ_T e^(−11) < 2e-4 pA) moves V by < 1e-4 mV.
    assert.ok(Math.abs(v[k] - want) < 1e-4, `sample ${k}: ${v[k]} vs ${want}`);
  }
});

let simFile = '';
test('closed forms on simulated long squares: τ = C/g_L, R = 1/g_L, no sag, rheobase within one step above I_rh', async () => {
  simFile = await writeIcephysNwb(join(dir, 'sim.nwb'), [
    ...protocolSweeps('long_square', DEFAULT_ADEX, { stepPa: 20 }),
    ...protocolSweeps('short_square', DEFAULT_ADEX, { firstSweep: 100 }),
    ...protocolSweeps('ramp', DEFAULT_ADEX, { firstSweep: 200 }),
  ]);
  const sweeps = await readCurrentClampSweeps(simFile);
  assert.equal(sweeps.length, 19 + 4 + 1);
  assert.deepEqual(
    sweeps.slice(0, 2).map((s) => s.sweepNumber),
    [0, 1],
  );
  const cell = extractCell('sim', simFile, sweeps);
  assert.deepEqual(cell.excluded, []);
  const r = cell.record;
  const tau = DEFAULT_ADEX.c / DEFAULT_ADEX.gL / 1000; // s
  const ri = 1000 / DEFAULT_ADEX.gL; // MΩ
  assert.ok(Math.abs(r.tau - tau) / tau < 1e-3, `tau ${r.tau} vs ${tau}`);
  assert.ok(Math.abs(r.input_resistance - ri) / ri < 1e-3, `Ri ${r.input_resistance} vs ${ri}`);
  assert.ok(Math.abs(r.sag) < 1e-6, `sag ${r.sag}`);
  assert.ok(Math.abs(r.v_baseline - DEFAULT_ADEX.eL) < 1e-3);
  const irh = adexRheobase(DEFAULT_ADEX);
  assert.ok(
    r.rheobase_i > irh && r.rheobase_i <= irh + 20,
    `rheobase ${r.rheobase_i} vs I_rh ${irh}`,
  );
  // The ramp crosses I_rh before its first spike; the short squares fire at their common amplitude.
  assert.ok(r.threshold_i_ramp > irh, `ramp threshold current ${r.threshold_i_ramp}`);
  assert.equal(r.threshold_i_short_square, 1700);
  // f–I: rates grow with the step above rheobase.
  const rates = cell.longSquare!.sweeps.filter((s) => s.stim_amp > 0).map((s) => s.avg_rate!);
  assert.ok(rates.every((x, k) => k === 0 || x >= rates[k - 1]));
  assert.ok(r.fi_fit_slope > 0);
});

test('--stimulus-window replaces detection from the stimulus trace', () => {
  const t = Float64Array.from({ length: 1000 }, (_, k) => k / 1000);
  // A pre-pulse running straight into the step: detection takes the pre-pulse's onset.
  const i = Float64Array.from(t, (x) => (x >= 0.1 && x < 0.2 ? -20 : x >= 0.2 && x < 0.7 ? 50 : 0));
  const found = stimulusEpoch(t, i);
  assert.ok(
    !('reason' in found) && Math.abs(found.start - 0.1) < 1e-9,
    'detection starts at the pre-pulse',
  );
  const given = stimulusEpoch(t, i, { start: 0.2, end: 0.7 });
  assert.ok(!('reason' in given));
  if (!('reason' in given)) {
    assert.equal(given.source, 'window');
    assert.equal(given.amplitudePa, 50);
    assert.equal(given.protocol, 'long_square');
  }
});

test('CLI end to end: the real ramp file and the simulated protocols → features.csv, sweeps.json, feature vectors, report', async () => {
  const out = join(dir, 'out');
  const r = run(['ephys', 'extract', ramp, simFile, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const csv = readFileSync(join(out, 'features.csv'), 'utf8').trim().split('\n');
  const header = csv[0].split(',');
  assert.equal(header[0], 'specimen_id');
  for (const c of [
    'rheobase_i',
    'fi_fit_slope',
    'threshold_v_rheo',
    'sag',
    'tau',
    'input_resistance',
    'threshold_v_ramp',
  ])
    assert.ok(header.includes(c), c);
  assert.deepEqual(
    csv.slice(1).map((l) => l.split(',')[0]),
    ['2018_03_20_0005', 'sim'],
  );
  const sweeps = JSON.parse(readFileSync(join(out, 'sweeps.json'), 'utf8'));
  const real = sweeps.sweeps.filter((s: { cell: string }) => s.cell === '2018_03_20_0005');
  assert.equal(real.length, 1);
  assert.ok(real[0].spikes.length > 10);
  for (const s of real[0].spikes) {
    assert.ok(s.threshold_v < s.peak_v && s.threshold_t < s.peak_t);
    // Independent of the detector: the stimulus at threshold is the 25 pA/s ramp from its start.
    if (s.threshold_t < 9.39)
      assert.ok(
        Math.abs(s.threshold_i - 25 * (s.threshold_t - 1.39626)) < 0.05,
        `${s.threshold_t} ${s.threshold_i}`,
      );
  }
  const fv = await readFeatureVectors(join(out, 'features_fv.h5'));
  assert.deepEqual(fv.ids, ['sim']);
  assert.deepEqual(fv.families.map((f) => f.name).sort(), [...IPFX_FAMILIES].sort());
  const width = (n: string) => fv.families.find((f) => f.name === n)!.width;
  // 1 s step ± 0.2 s in 10 ms bins × 5 amplitudes; 6 suprathreshold steps × 50 ms / 20 ms bins; 3 × 250-sample APs.
  assert.equal(width('step_subthresh'), 5 * 140);
  assert.equal(width('psth'), 6 * 20);
  assert.equal(width('inst_freq'), 6 * 50);
  assert.equal(width('first_ap_v'), 750);
  assert.equal(width('isi_shape'), 100);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(html, /f–I curve/);
  assert.match(html, /Subthreshold fits/);
  assert.ok(statSync(join(out, 'report.html')).size > 100_000);
});

/** The command fails with one line (no stack) matching `pattern`. */
function failsWith(args: string[], pattern: RegExp): void {
  const r = run(args);
  assert.notEqual(r.status, 0);
  const lines = r.stderr.trimEnd().split('\n');
  assert.ok(!lines.some((l) => /^\s+at /.test(l)), r.stderr);
  assert.match(lines[lines.length - 1], pattern);
}

test('malformed NWB files: missing dataset, wrong unit, truncated file → one line naming the file and HDF5 path', async () => {
  const series = (
    f: Parameters<Parameters<typeof writeH5>[1]>[0],
    unit: string,
    withData: boolean,
  ) => {
    const g = f.create_group('acquisition/s0');
    g.create_attribute('neurodata_type', 'CurrentClampSeries');
    if (withData)
      g.create_dataset({ name: 'data', data: new Float32Array([1, 2, 3]) }).create_attribute(
        'unit',
        unit,
      );
    g.create_dataset({ name: 'starting_time', data: 0 }).create_attribute('rate', 1000);
  };
  const missing = await writeH5(join(dir, 'missing.nwb'), (f) => {
    f.create_group('acquisition');
    series(f, 'volts', false);
  });
  failsWith(
    ['ephys', 'extract', missing, '--out', join(dir, 'o1')],
    /missing\.nwb: \/?acquisition\/s0\/data: missing dataset/,
  );
  const unit = await writeH5(join(dir, 'unit.nwb'), (f) => {
    f.create_group('acquisition');
    series(f, 'degrees', true);
  });
  failsWith(
    ['ephys', 'extract', unit, '--out', join(dir, 'o2')],
    /unit\.nwb: \/acquisition\/s0\/data@unit: is "degrees"; expected volts/,
  );
  const truncated = join(dir, 'truncated.nwb');
  copyFileSync(ramp, truncated);
  truncateSync(truncated, 600_000);
  failsWith(
    ['ephys', 'extract', truncated, '--out', join(dir, 'o3')],
    /truncated\.nwb: .*(cannot be read|HDF5)/,
  );
  failsWith(
    ['ephys', 'extract', ramp, '--out', join(dir, 'o4'), '--stimulus-window', '2:1'],
    /--stimulus-window.*START:END/,
  );
});
