/**
 * IPFX's own published assertions (tests/test_spike_detector.py, test_spike_features.py,
 * test_ephys_extractor.py) on its real test traces, copied to test/fixtures/icephys_ipfx
 * (see PROVENANCE.md there): every index must match IPFX sample for sample.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { unzipSync, strFromU8 } from 'fflate';
import { bessel4, calculateDvdt, filtfilt } from '../../src/pipelines/ephys/extract/time-series.js';
import {
  detectPutativeSpikes,
  filterPutativeSpikes,
  findClippedSpikes,
  findDownstrokeIndexes,
  findPeakIndexes,
  findTroughIndexes,
  findUpstrokeIndexes,
  refineThresholdIndexes,
} from '../../src/pipelines/ephys/extract/spike-detector.js';
import { extractSpikes, findWidths } from '../../src/pipelines/ephys/extract/spike-features.js';

const fixture = (name: string) =>
  new URL(`../../../test/fixtures/icephys_ipfx/${name}`, import.meta.url).pathname;

/** The 2-column (t [s], v [mV]) text file inside one of IPFX's zips. */
export function readIpfxTrace(name: string): { t: Float64Array; v: Float64Array } {
  const files = unzipSync(readFileSync(fixture(`${name}.txt.zip`)));
  const text = strFromU8(files[`${name}.txt`]);
  const rows = text
    .trim()
    .split(/\r?\n/)
    .map((l) => l.trim().split(/\s+/).map(Number));
  return { t: Float64Array.from(rows, (r) => r[0]), v: Float64Array.from(rows, (r) => r[1]) };
}

const expected = JSON.parse(
  readFileSync(fixture('upstream_expected_from_ipfx_tests.json'), 'utf8'),
);

test("Bessel filter and filtfilt equal scipy's bessel(4, 0.4) and filtfilt (values printed by scipy 1.17.1)", () => {
  const { b, a } = bessel4(0.4);
  const scipyB = [
    0.039277641267493425, 0.1571105650699737, 0.23566584760496057, 0.1571105650699737,
    0.039277641267493425,
  ];
  const scipyA = [
    1.0, -0.7005030554063658, 0.4278977562758012, -0.11296969427337678, 0.014017253683834972,
  ];
  b.forEach((x, k) => assert.ok(Math.abs(x - scipyB[k]) < 1e-13, `b[${k}] ${x}`));
  a.forEach((x, k) => assert.ok(Math.abs(x - scipyA[k]) < 1e-13, `a[${k}] ${x}`));
  const x = Array.from({ length: 40 }, (_, k) => Math.sin(k * 0.7) + k * 0.1);
  const y = filtfilt(b, a, x);
  const head = [
    5.647107041290012e-7, 0.5378881539354096, 0.8698309046573534, 0.8867417716826502,
    0.6276986330591569,
  ];
  const tail = [4.15916846867176, 4.517474637463221, 4.727345974297947];
  head.forEach((v, k) => assert.ok(Math.abs(y[k] - v) < 1e-12, `y[${k}]`));
  tail.forEach((v, k) => assert.ok(Math.abs(y[37 + k] - v) < 1e-12, `y[${37 + k}]`));
});

test('spike_test_pair: putative spikes, peaks, upstrokes, thresholds, troughs, downstrokes, widths and clipping as IPFX asserts', () => {
  const e = expected.spike_test_pair;
  const { t, v } = readIpfxTrace('spike_test_pair');
  const part = { t: t.subarray(0, 3000), v: v.subarray(0, 3000) };
  const dvPart = calculateDvdt(part.v, part.t, 10);
  assert.deepEqual(
    detectPutativeSpikes(part.t, dvPart),
    e['detect_putative_spikes(v[:3000], t[:3000]) [defaults dv_cutoff=20 V/s, 10 kHz Bessel]'],
  );
  const dvdt = calculateDvdt(v, t, 10);
  const spikes = detectPutativeSpikes(t, dvdt);
  assert.deepEqual(spikes, e['detect_putative_spikes(v, t)']);
  const peaks = findPeakIndexes(v, t, spikes);
  assert.deepEqual(peaks, e['find_peak_indexes(v, t, spikes=[728,3386])']);
  assert.deepEqual(
    filterPutativeSpikes(v, dvdt, spikes, peaks),
    e['filter_putative_spikes(v, t, [728,3386], [812,3478]) keeps both'],
  );
  const upstrokes = findUpstrokeIndexes(dvdt, spikes, peaks);
  assert.deepEqual(
    upstrokes,
    e['find_upstroke_indexes(v, t, spikes=[728,3386], peaks=[812,3478])'],
  );
  assert.deepEqual(
    refineThresholdIndexes(dvdt, upstrokes),
    e['refine_threshold_indexes(v, t, upstrokes=[778,3440]) [thresh_frac=0.05]'],
  );
  assert.deepEqual(
    refineThresholdIndexes(dvdt, upstrokes, -5),
    e[
      'refine_threshold_indexes(v, t, upstrokes=[778,3440], thresh_frac=-5.0) (target never met -> start of search interval)'
    ],
  );
  const thresholds = [725, 3382];
  const troughs = findTroughIndexes(v, t, thresholds, peaks, [false, false]);
  assert.deepEqual(troughs, e['find_trough_indexes(v, t, spikes=[725,3382], peaks=[812,3478])']);
  const cut = findTroughIndexes(v.subarray(0, 3478), t.subarray(0, 3478), thresholds, peaks, [
    false,
    true,
  ]);
  assert.ok(Number.isNaN(cut[1]), 'last trough is NaN when clipped');
  assert.deepEqual(
    findDownstrokeIndexes(dvdt, peaks, troughs, [false, false]),
    e['find_downstroke_indexes(v, t, peaks=[812,3478], troughs=[1089,3741])'],
  );
  assert.throws(
    () => findDownstrokeIndexes(dvdt, peaks, [...troughs, 4000], [false, false]),
    /more troughs than peaks/,
  );
  const widths = findWidths(v, t, thresholds, peaks, troughs);
  const want = e['find_widths(v, t, spikes=[725,3382], peaks=[812,3478], troughs=[1089,3741]) [s]'];
  widths.forEach((w, k) =>
    assert.ok(Math.abs(w - want[k]) < 1e-9, `width ${k}: ${w} vs ${want[k]}`),
  );
  assert.deepEqual(
    findClippedSpikes(v, thresholds, peaks, 3550, 1),
    e['find_clipped_spikes(v, t, [725,3382], [812,3478], end_index=3550, tol=1)'],
  );
  assert.deepEqual(
    findClippedSpikes(v, thresholds, peaks, 3600, 1),
    e['find_clipped_spikes(v, t, [725,3382], [812,3478], end_index=3600, tol=1)'],
  );
});

test('spike_test_var_dt and spike_test_high_init_dvdt: thresholds of the full extractor as IPFX asserts', () => {
  const varDt = readIpfxTrace('spike_test_var_dt');
  assert.deepEqual(
    extractSpikes(varDt.t, varDt.v, null).map((s) => s.threshold_index),
    expected.spike_test_var_dt['SpikeFeatureExtractor().process(t, v, i=None) threshold_index'],
  );
  const high = readIpfxTrace('spike_test_high_init_dvdt');
  assert.deepEqual(
    extractSpikes(high.t, high.v, null).map((s) => s.threshold_index),
    expected.spike_test_high_init_dvdt[
      'SpikeFeatureExtractor().process(t, v, i=None) threshold_index'
    ],
  );
});

test('the full extractor on spike_test_pair: two spikes, widths from fast troughs, ratios finite', () => {
  const { t, v } = readIpfxTrace('spike_test_pair');
  const spikes = extractSpikes(t, v, null);
  assert.deepEqual(
    spikes.map((s) => [
      s.threshold_index,
      s.peak_index,
      s.trough_index,
      s.upstroke_index,
      s.downstroke_index,
    ]),
    [
      [725, 812, 1089, 778, 862],
      [3382, 3478, 3741, 3440, 3532],
    ],
  );
  for (const s of spikes) {
    assert.ok(s.upstroke > 20 && s.downstroke < 0 && s.upstroke_downstroke_ratio > 0);
    assert.ok(s.width > 0 && s.width < 0.002);
  }
});
