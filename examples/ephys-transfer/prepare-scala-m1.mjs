#!/usr/bin/env node
/**
 * Writes the Scala et al. 2021 mouse M1 features under the human IPFX table's names, as
 * scala-m1-mapping.json says (mapped pairs with their unit conversion; every other column
 * dropped), for the cohort file mouse-m1-scala.yaml. No number is typed here: each value is
 * the published one, or its conversion (ms → s; sag ratio → IPFX sag).
 *
 *   node examples/ephys-transfer/prepare-scala-m1.mjs \
 *     [--features ../shared/data/scala2020_m1/Cell_Features_M1.csv] \
 *     [--metadata ../shared/data/scala2020_m1/mini-atlas-meta-data.csv] \
 *     [--out examples/ephys-transfer/scala-m1-ipfx.csv]
 *
 * Ids: `Cell_Features_M1.csv` names each cell by its recording file
 * (`…/09 18 2018 sample 1.mat`); the key is YYYY MM DD "sample" N (`20180918sample1`, the
 * sBNN rule), which is the metadata's `Cell` (`20180918_sample_1`) without underscores.
 * Cells whose metadata row gives an `Exclusion reasons` text (wrong region, RNA/firing
 * mismatch) are left out. Labels are not written here: the cohort file reads `RNA family`
 * from the metadata itself.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '../../../shared/data/scala2020_m1');

function args(argv) {
  const o = {
    features: resolve(shared, 'Cell_Features_M1.csv'),
    metadata: resolve(shared, 'mini-atlas-meta-data.csv'),
    mapping: resolve(here, 'scala-m1-mapping.json'),
    out: resolve(here, 'scala-m1-ipfx.csv'),
  };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in o) || argv[i + 1] === undefined) {
      console.error(
        `usage: prepare-scala-m1.mjs [--features f] [--metadata f] [--mapping f] [--out f]`,
      );
      process.exit(2);
    }
    o[key] = resolve(argv[i + 1]);
  }
  return o;
}

/** Rows of a delimited file without quoting (both source files have none; checked below). */
function readTable(path, delimiter) {
  const text = readFileSync(path, 'utf8');
  if (text.includes('"')) throw new Error(`${path}: quoted fields are not expected`);
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0].split(delimiter);
  const rows = lines.slice(1).map((l, k) => {
    const r = l.split(delimiter);
    if (r.length !== header.length)
      throw new Error(`${path}:${k + 2}: ${r.length} fields, header has ${header.length}`);
    return r;
  });
  return { header, rows };
}

/** `../M1/2018/sept/09 18 2018/09 18 2018 sample 1.mat` → `20180918sample1`. */
function cellKey(path) {
  const name = path
    .split('/')
    .pop()
    .replace(/\.mat$/, '');
  const m = /^(\d{2}) (\d{2}) (\d{4}) sample (\d+)$/.exec(name);
  if (!m) throw new Error(`unexpected recording name '${name}'`);
  return `${m[3]}${m[1]}${m[2]}sample${m[4]}`;
}

const TRANSFORMS = {
  identity: (text) => text,
  ms_to_s: (text) => String(Number(text) / 1000),
  sag_ratio_to_sag: (text) => String(1 - 1 / Number(text)),
};

function main() {
  const o = args(process.argv);
  const mapping = JSON.parse(readFileSync(o.mapping, 'utf8'));
  const features = readTable(o.features, ',');
  const metadata = readTable(o.metadata, '\t');

  // Every published column is either mapped or dropped, and named once.
  const published = features.header.slice(2); // unnamed all-zero column, `name sample`
  const named = [...mapping.mapped.map((m) => m.mouse), ...mapping.dropped.map((d) => d.mouse)];
  const unknown = named.filter((n) => !published.includes(n));
  const unnamed = published.filter((n) => !named.includes(n));
  if (unknown.length || unnamed.length || new Set(named).size !== named.length)
    throw new Error(
      `mapping does not cover ${o.features} exactly: unknown ${unknown.join('; ')}; not mentioned ${unnamed.join('; ')}`,
    );
  for (const m of mapping.mapped)
    if (!(m.transform in TRANSFORMS)) throw new Error(`unknown transform ${m.transform}`);

  const cell = metadata.header.indexOf('Cell');
  const reason = metadata.header.indexOf('Exclusion reasons');
  const excluded = new Map(
    metadata.rows.map((r) => [r[cell].replaceAll('_', ''), r[reason].trim()]),
  );
  const nameCol = features.header.indexOf('name sample');
  const cols = mapping.mapped.map((m) => features.header.indexOf(m.mouse));
  const out = [['cell', ...mapping.mapped.map((m) => m.human)].join(',')];
  let left = 0;
  let missingMeta = 0;
  for (const r of features.rows) {
    const key = cellKey(r[nameCol]);
    if (!excluded.has(key)) missingMeta++;
    if (excluded.get(key)) {
      left++;
      continue;
    }
    const values = mapping.mapped.map((m, j) => {
      const text = r[cols[j]].trim();
      return text === '' ? '' : TRANSFORMS[m.transform](text);
    });
    out.push([key, ...values].join(','));
  }
  writeFileSync(o.out, out.join('\n') + '\n');
  console.log(
    `${o.out}: ${out.length - 1} cells × ${mapping.mapped.length} features (${left} left out for an exclusion reason, ${missingMeta} without a metadata row; ${mapping.dropped.length} columns dropped)`,
  );
}

main();
