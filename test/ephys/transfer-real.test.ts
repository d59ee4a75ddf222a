/**
 * The real-format mouse → human path on cuts of the shared tables (test/fixtures/ephys, see
 * PROVENANCE.md): cohort files with excluded columns and cells, labels from a metadata table
 * far larger than the feature table, the shared-feature intersection with joint QC, the
 * species shift, and the forest strategies of `ephys transfer` on the same human folds.
 * Expected counts come from Python's csv module (PROVENANCE.md says how), not from neurobridge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCohortSpec } from '../../src/pipelines/ephys/cohort-spec.js';
import { classCounts } from '../../src/pipelines/ephys/cohort.js';
import { joinCohort } from '../../src/pipelines/ephys/load.js';
import { onSharedFeatures } from '../../src/pipelines/ephys/shared-features.js';
import { speciesShift } from '../../src/pipelines/ephys/species-shift.js';
import { runSpeciesTransfer } from '../../src/pipelines/ephys/transfer-study.js';

const fixture = (name: string) =>
  new URL(`../../../test/fixtures/ephys/${name}`, import.meta.url).pathname;

async function pair() {
  const mouse = await joinCohort(readCohortSpec(fixture('mouse-ipfx.yaml')));
  const human = await joinCohort(readCohortSpec(fixture('human-ipfx.yaml')));
  return { mouse, human, shared: onSharedFeatures(mouse.cohort, human.cohort) };
}

test('real mouse L1 cohort: QC columns and failed cells excluded, labels joined from the 2020-07-11 metadata, Sncg/Serpinf1 → Vip', async () => {
  const { mouse } = await pair();
  assert.equal(mouse.excludedCells, 3, 'failed_qc True');
  // 2 cells have an empty T-type Label, 2 are not in the metadata at all.
  assert.equal(mouse.unlabeled, 4);
  assert.deepEqual(classCounts(mouse.cohort.labels), { Lamp5: 12, Vip: 11, Sst: 9, Pvalb: 4 });
  const names = mouse.cohort.families.flatMap((f) => f.features);
  assert.equal(names.length, 94, '113 columns − id − 18 QC columns');
  assert.ok(!names.some((n) => n.endsWith('_qc') || n.startsWith('failed_')));
  // The metadata also holds Meis2 and L2/3 cells, which have no features: no error.
  assert.deepEqual(mouse.droppedClasses, {});
});

test('shared features: the intersection is computed and reported, and a feature too sparse in either species leaves both', async () => {
  const { shared } = await pair();
  const f = shared.features;
  assert.equal(f.onlyMouse.length, 12);
  assert.deepEqual([...f.onlyHuman].sort(), [
    'adapt_max',
    'fast_trough_deltav_short_square',
    'fast_trough_v_adapt_ratio',
    'isi_cv_max',
    'isi_norm_sq_var_hero',
    'isi_norm_sq_var_max',
    'isi_norm_sq_var_mean',
    'postap_slope_short_square',
    'trough_deltav_hero',
    'trough_deltav_ramp',
    'trough_deltav_rheo',
  ]);
  assert.deepEqual(f.droppedForMissing.map((d) => d.feature).sort(), [
    '3db_freq_chirp',
    'adp_v_last_rheo',
    'first_isi_inv_rheo',
    'low_freq_impedance_chirp',
    'mean_isi_rheo',
    'peak_freq_chirp',
    'peak_impedance_chirp',
    'peak_ratio_chirp',
    'phase_low_chirp',
    'phase_peak_chirp',
    'sag_area_depol',
    'sag_depol',
    'sag_peak_t_depol',
    'sag_tau',
    'sync_freq_chirp',
    'total_inductive_phase_chirp',
  ]);
  const used = f.families.flatMap((g) => g.features);
  assert.equal(used.length, 66, '82 shared − 16 sparse');
  // Both cohorts carry the same features in the same order (the BiLSTM reads by position).
  for (const c of [shared.mouse, shared.human])
    assert.deepEqual(
      c.families.flatMap((g) => g.features),
      used,
    );
  assert.deepEqual(classCounts(shared.mouse.labels), { Lamp5: 10, Vip: 11, Sst: 8, Pvalb: 3 });
  assert.deepEqual(classCounts(shared.human.labels), { Vip: 25, Lamp5: 13, Pvalb: 28, Sst: 6 });
  assert.equal(shared.qc.mouse.droppedCells, 4);
  assert.equal(shared.qc.human.droppedCells, 8);
});

test('species shift: (mouse mean − human mean) / human sd per feature, as computed in Python', async () => {
  const { shared } = await pair();
  const shift = speciesShift(shared.mouse, shared.human, 8);
  const d = (name: string) =>
    shift.features.find((f) => f.feature === name)!.standardizedDifference;
  assert.ok(Math.abs(d('tau') - 0.2027771071810407) < 1e-9);
  assert.ok(Math.abs(d('upstroke_downstroke_ratio_rheo') - 0.7355789091897367) < 1e-9);
  // Classes with ≥ 8 cells in both species: Lamp5 (10 / 13) and Vip (11 / 25); Sst has 6 human cells.
  assert.deepEqual(
    shift.groups.map((g) => [g.name, g.mouseCells, g.humanCells]),
    [
      ['all cells', 32, 72],
      ['Lamp5', 10, 13],
      ['Vip', 11, 25],
    ],
  );
  // Human boxes are in their own sd units: the median of all human cells' z is their median.
  const all = shift.groups[0];
  const k = shift.features.findIndex((f) => f.feature === 'tau');
  assert.ok(all.human[k][0] < all.human[k][2] && all.human[k][2] < all.human[k][4]);
});

test('forest strategies run on the same human folds: every human cell is tested once per repeat by each', async () => {
  const { shared } = await pair();
  const r = runSpeciesTransfer(shared.mouse, shared.human, {
    folds: 3,
    repeats: 2,
    trees: 25,
    strategies: ['rf-human-only', 'rf-mouse-to-human', 'rf-joint'],
  });
  const perClass = classCounts(shared.human.labels);
  for (const s of ['rf-human-only', 'rf-mouse-to-human', 'rf-joint'] as const) {
    const score = r.strategies[s]!;
    assert.equal(score.folds.length, 6);
    r.classes.forEach((c, i) =>
      assert.equal(
        score.confusion[i].reduce((a, b) => a + b, 0),
        2 * perClass[c],
        `${s}: ${c} row of the confusion`,
      ),
    );
  }
  assert.deepEqual(
    r.comparisons.map((c) => [c.strategy, c.baseline]),
    [
      ['rf-mouse-to-human', 'rf-human-only'],
      ['rf-joint', 'rf-human-only'],
    ],
  );
  const base = r.strategies['rf-human-only']!.folds;
  const joint = r.strategies['rf-joint']!.folds;
  const diff = joint.reduce((s, v, i) => s + v - base[i], 0) / joint.length;
  assert.ok(Math.abs(r.comparisons[1].difference - diff) < 1e-12);
  // The corrected test can only be less significant than the plain paired one.
  for (const c of r.comparisons) assert.ok(c.corrected.p >= c.paired.p);
  assert.deepEqual(r.cellsPerClass.mouse, classCounts(shared.mouse.labels));
});

test('ephys transfer CLI on the real-format fixtures: transfer.json with the features used and the shift, report with the per-species plot', () => {
  const out = mkdtempSync(join(tmpdir(), 'nb-transfer-real-'));
  const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;
  const run = spawnSync(
    process.execPath,
    [
      cli,
      'ephys',
      'transfer',
      fixture('mouse-ipfx.yaml'),
      fixture('human-ipfx.yaml'),
      '--strategies',
      'rf-human-only,rf-mouse-to-human',
      '--folds',
      '3',
      '--trees',
      '20',
      '--out',
      out,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /shared features: 82 \(not used: 12 mouse-only, 11 human-only/);
  assert.match(
    run.stderr,
    /16 dropped for missing values \(sag_depol, .*\); 66 used in 6 families/,
  );
  assert.match(run.stderr, /mouse: 32 cells after QC .*3 excluded by exclude_cells_where/);
  const json = JSON.parse(readFileSync(join(out, 'transfer.json'), 'utf8'));
  assert.equal(json.sharedFeatures.droppedForMissing.length, 16);
  assert.equal(json.shift.features.length, 66);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(html, /Species shift per feature/);
  assert.match(html, /\(value − human mean\) \/ human sd/);
});
