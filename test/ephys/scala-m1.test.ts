/**
 * The Scala et al. 2021 mouse M1 cohort for `ephys transfer` (examples/ephys-transfer/
 * mouse-m1-scala.yaml), on a cut of the shared files (test/fixtures/ephys, PROVENANCE.md):
 * prepare-scala-m1.mjs reproduces the committed feature table from the cut; the cohort loads
 * with labels from `RNA family` and all four GABAergic classes at ≥ 20 cells; and the name
 * mapping keeps exactly the features scala-m1-mapping.json says it keeps, all of which the
 * human IPFX table has. Expected counts and values come from Python's csv module.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCohortSpec } from '../../src/pipelines/ephys/cohort-spec.js';
import { classCounts } from '../../src/pipelines/ephys/cohort.js';
import { joinCohort, loadCohort } from '../../src/pipelines/ephys/load.js';
import { onSharedFeatures } from '../../src/pipelines/ephys/shared-features.js';

const repo = (path: string) => new URL(`../../../${path}`, import.meta.url).pathname;
const fixture = (name: string) => repo(`test/fixtures/ephys/${name}`);

interface Mapping {
  mapped: { mouse: string; human: string; transform: string }[];
  dropped: { mouse: string; why: string }[];
}
const mapping = JSON.parse(
  readFileSync(repo('examples/ephys-transfer/scala-m1-mapping.json'), 'utf8'),
) as Mapping;

test('prepare-scala-m1.mjs rewrites the cut of Cell_Features_M1.csv into the committed table, byte for byte', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'scala-m1-')), 'features.csv');
  const run = spawnSync(
    process.execPath,
    [
      repo('examples/ephys-transfer/prepare-scala-m1.mjs'),
      '--features',
      fixture('scala_m1_cell_features.csv'),
      '--metadata',
      fixture('scala_m1_metadata.csv'),
      '--out',
      out,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /90 cells × 11 features \(1 left out for an exclusion reason/);
  assert.equal(readFileSync(out, 'utf8'), readFileSync(fixture('scala_m1_ipfx.csv'), 'utf8'));
});

test('Scala M1 cohort: labels from RNA family, Sncg → Vip, non-GABAergic and low-quality cells dropped and counted, ≥ 20 cells per class', async () => {
  const loaded = await loadCohort(readCohortSpec(fixture('mouse-m1.yaml')));
  const counts = classCounts(loaded.cohort.labels);
  for (const c of ['Lamp5', 'Pvalb', 'Sst', 'Vip']) assert.ok(counts[c] >= 20, c);
  // 21 Lamp5, 21 Pvalb, 21 Sst, 21 Vip + 2 Sncg (the outside-M1 Sst cell is not in the table).
  assert.deepEqual(counts, { Lamp5: 21, Pvalb: 21, Sst: 21, Vip: 23 });
  assert.deepEqual(loaded.droppedClasses, { IT: 3, 'low quality': 1 });
  assert.equal(loaded.qc.droppedCells, 0, 'no mapped feature is missing in these cells');
});

test('the name mapping keeps what it says: every published column mapped or dropped once, the 11 mapped names all shared with the human table', async () => {
  const published = readFileSync(fixture('scala_m1_cell_features.csv'), 'utf8')
    .split('\n')[0]
    .split(',')
    .slice(2);
  const named = [...mapping.mapped.map((m) => m.mouse), ...mapping.dropped.map((d) => d.mouse)];
  assert.deepEqual([...named].sort(), [...published].sort());
  assert.equal(mapping.mapped.length, 11);
  assert.equal(mapping.dropped.length, 17);

  const mouse = await joinCohort(readCohortSpec(fixture('mouse-m1.yaml')));
  const human = await joinCohort(readCohortSpec(fixture('human-ipfx.yaml')));
  const kept = mapping.mapped.map((m) => m.human).sort();
  assert.deepEqual(mouse.cohort.families.flatMap((f) => f.features).sort(), kept);
  const shared = onSharedFeatures(mouse.cohort, human.cohort);
  assert.deepEqual(shared.features.families.flatMap((f) => f.features).sort(), kept);
  assert.deepEqual(shared.features.onlyMouse, []);
  assert.deepEqual(shared.features.droppedForMissing, []);
  assert.deepEqual(
    Object.fromEntries(shared.features.families.map((f) => [f.name, f.features.length])),
    { subthreshold: 5, long_square_rheobase: 6 },
  );

  // Units: ms → s and sag ratio → IPFX sag, on the first cell (20180918sample1: tau 17.502203622797712 ms,
  // sag ratio 1.16147138480376, AP width 1.0000000000000009 ms; Python gives the converted values).
  const at = (name: string) => {
    const f = mouse.cohort.families.find((g) => g.features.includes(name))!;
    return f.values[mouse.cohort.ids.indexOf('20180918sample1')][f.features.indexOf(name)];
  };
  assert.equal(at('tau'), 0.01750220362279771);
  assert.equal(at('sag'), 0.1390231278328411);
  assert.equal(at('width_suprathresh_rheo'), 0.0010000000000000009);
  assert.equal(at('threshold_v_rheo'), -33.32220762968063);
});
