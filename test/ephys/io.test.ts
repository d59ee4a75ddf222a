import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFeatureTable } from '../../src/io/ephys/feature-table.js';
import { readFeatureVectors, writeFeatureVectors } from '../../src/io/ephys/ipfx.js';
import { readLabels } from '../../src/io/ephys/labels.js';
import { writeNpy } from '../../src/io/npy.js';
import { cohortFromTable } from '../../src/pipelines/ephys/cohort.js';
import { fitStandardizer, qualityControl, standardize } from '../../src/pipelines/ephys/qc.js';
import { alignLabels, DEFAULT_CLASS_MAP } from '../../src/pipelines/ephys/species-map.js';

const fixture = (name: string) =>
  new URL(`../../../test/fixtures/ephys/${name}`, import.meta.url).pathname;

test('real human IPFX table (Lee, Dalley et al. 2023): values, labels, QC counts as computed independently', () => {
  const table = readFeatureTable(fixture('human_ephys_fx.csv'), { idColumn: 'specimen_id' });
  assert.equal(table.ids.length, 80);
  assert.equal(table.features.length, 93);
  const at = (id: string, f: string) =>
    table.values[table.ids.indexOf(id)][table.features.indexOf(f)];
  assert.equal(at('567737682', 'tau'), 0.035360139);
  assert.equal(at('591342863', 'input_resistance'), 405.9896469);
  const raw = readLabels(fixture('human_metadata.csv'), {
    idColumn: 'specimen_id',
    labelColumn: 'Revised_subclass_label',
  });
  const counts: Record<string, number> = {};
  for (const l of raw.labels.values()) counts[l] = (counts[l] ?? 0) + 1;
  assert.deepEqual(counts, { PVALB: 31, VIP: 29, 'LAMP5/PAX6/Other': 14, SST: 6 });
  // The header 'Transcriptomic_type ' carries a trailing space; names are matched trimmed.
  readLabels(fixture('human_metadata.csv'), {
    idColumn: 'specimen_id',
    labelColumn: 'Transcriptomic_type',
  });
  const { labels } = alignLabels(raw, DEFAULT_CLASS_MAP);
  const { cohort } = cohortFromTable('human', table, labels);
  assert.deepEqual([...new Set(cohort.labels)].sort(), ['Lamp5', 'Pvalb', 'Sst', 'Vip']);
  const qc = qualityControl(cohort);
  assert.equal(qc.report.droppedFeatures.length, 16);
  assert.equal(qc.report.cellsKept, 72);
});

test('real mouse M1 table (Scala et al. 2021): empty id header, tab-separated metadata, ids matched alphanumerically, unknown classes dropped and counted', () => {
  const table = readFeatureTable(fixture('mouse_ephys_values.csv'));
  assert.equal(table.ids[0], '20180918sample1');
  assert.equal(table.values[0][table.features.indexOf('AP amp CV')], -1.2754576343879536);
  const raw = readLabels(fixture('mouse_metadata.csv'), {
    idColumn: 'Cell',
    labelColumn: 'RNA family',
  });
  assert.throws(
    () => alignLabels(raw, DEFAULT_CLASS_MAP),
    /line \d+, column 'RNA family'.*unknown class '(IT|CT)'/,
  );
  const { labels, dropped } = alignLabels(raw, DEFAULT_CLASS_MAP, 'drop');
  assert.deepEqual(dropped, { IT: 10, CT: 1 });
  assert.throws(() => cohortFromTable('mouse', table, labels), /try option `idMatch` alphanumeric/);
  const { cohort } = cohortFromTable('mouse', table, labels, {
    idMatch: 'alphanumeric',
    grouping: 'single',
  });
  const counts: Record<string, number> = {};
  for (const l of cohort.labels) counts[l] = (counts[l] ?? 0) + 1;
  assert.deepEqual(counts, { Pvalb: 50, Sst: 13, Vip: 4, Lamp5: 2 }, 'Sncg counts as Vip');
});

test('malformed tables name the file, the line and the column', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-ephys-io-'));
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'id,a,b\nc1,1,2\nc2,3,fast\n');
  assert.throws(
    () => readFeatureTable(bad),
    /bad\.csv: line 3, column 'b': expected a number or an empty field, got 'fast'/,
  );
  writeFileSync(bad, 'id,a,b\nc1,1,2\nc2,3\n');
  assert.throws(() => readFeatureTable(bad), /bad\.csv.*line 3/);
  writeFileSync(bad, 'id,a\nc1,1\nc1,2\n');
  assert.throws(() => readFeatureTable(bad), /cell id 'c1' repeats line 2/);
  const meta = join(dir, 'meta.csv');
  writeFileSync(meta, 'id,subclass\nc1,Pvalb\nc2,Chandelier\n');
  assert.throws(
    () => readLabels(meta, { idColumn: 'id', labelColumn: 'T-type Label' }),
    /meta\.csv: T-type Label: no label column named 'T-type Label'; the columns are: 'id', 'subclass'/,
  );
  assert.throws(
    () =>
      alignLabels(readLabels(meta, { idColumn: 'id', labelColumn: 'subclass' }), DEFAULT_CLASS_MAP),
    /meta\.csv: line 3, column 'subclass': unknown class 'Chandelier'/,
  );
});

test('QC rules and training-only standardisation (closed form)', () => {
  const table = {
    path: 'x',
    ids: ['a', 'b', 'c', 'd', 'e'],
    features: ['tau', 'sag', 'width_rheo'],
    values: [
      [1, 0.1, NaN],
      [2, 0.2, NaN],
      [3, NaN, 1],
      [4, 0.4, 2],
      [5, 0.5, 3],
    ].map((r) => Float64Array.from(r)),
  };
  const labels = {
    path: 'm',
    column: 'c',
    labels: new Map(table.ids.map((id) => [id, 'Sst'])),
    lines: new Map(),
  };
  const { cohort } = cohortFromTable('mouse', table, labels);
  // With a 30 % limit: width_rheo misses 2/5 → dropped; sag misses 1/5 → kept, so cell c goes.
  const { cohort: kept, report } = qualityControl(cohort, { maxMissingFraction: 0.3 });
  assert.deepEqual(
    report.droppedFeatures.map((f) => f.feature),
    ['width_rheo'],
  );
  assert.equal(report.droppedCells, 1);
  assert.deepEqual(kept.ids, ['a', 'b', 'd', 'e']);
  const s = fitStandardizer(kept);
  const z = standardize(kept, s);
  // tau over a, b, d, e = 1, 2, 4, 5: mean 3, sample sd √(10/3).
  const sub = z.families.find((f) => f.features.includes('tau'))!;
  const k = sub.features.indexOf('tau');
  assert.ok(Math.abs(sub.values[0][k] - (1 - 3) / Math.sqrt(10 / 3)) < 1e-12);
  // A constant feature gets sd 1, not a division by zero.
  const constant = {
    ...kept,
    families: kept.families.map((f) => ({ ...f, values: f.values.map((v) => v.map(() => 7)) })),
  };
  assert.ok(
    fitStandardizer(constant)
      .sd.flat()
      .every((v) => v === 1),
  );
});

test('IPFX feature vectors: HDF5 and .npy-folder layouts read back the same cells', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-ipfx-'));
  const fv = {
    ids: ['601', '602', '603'],
    families: [
      {
        name: 'first_ap_v',
        width: 4,
        values: [0, 1, 2].map((i) => Float64Array.from([i, i + 0.5, -i, 7])),
      },
      { name: 'psth', width: 2, values: [0, 1, 2].map((i) => Float64Array.from([10 * i, 1])) },
    ],
  };
  await writeFeatureVectors(join(dir, 'fv.h5'), fv);
  const h5 = await readFeatureVectors(join(dir, 'fv.h5'));
  assert.deepEqual(h5.ids, fv.ids);
  assert.deepEqual(
    h5.families.map((f) => [f.name, f.width]),
    [
      ['first_ap_v', 4],
      ['psth', 2],
    ],
  );
  assert.deepEqual(Array.from(h5.families[0].values[2]), [2, 2.5, -2, 7]);
  const npyDir = join(dir, 'npy');
  mkdirSync(npyDir);
  writeFileSync(join(npyDir, 'ids.txt'), '601\n602\n603\n');
  for (const f of fv.families) {
    const flat = new Float64Array(3 * f.width);
    f.values.forEach((v, i) => flat.set(v, i * f.width));
    await writeNpy(join(npyDir, `fv_${f.name}.npy`), flat, { shape: [3, f.width] });
  }
  const npy = await readFeatureVectors(npyDir);
  assert.deepEqual(
    npy.families.map((f) => f.values.map((v) => Array.from(v))),
    h5.families.map((f) => f.values.map((v) => Array.from(v))),
  );
  writeFileSync(join(npyDir, 'ids.txt'), '601\n602\n');
  await assert.rejects(readFeatureVectors(npyDir), /has 3 rows but there are 2 ids/);
});
