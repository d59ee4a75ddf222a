/**
 * A cohort of patch-clamped cells: ids, labels, and features grouped into families (IPFX
 * feature vectors such as `psth` or `first_ap_v`, or groups of scalar features by protocol).
 * The family is the BiLSTM's time step and sparse PCA's unit; `flat` serves the forest.
 */
import { InputError } from '../../core/errors.js';
import type { FeatureTable } from '../../io/ephys/feature-table.js';
import type { FeatureVectors } from '../../io/ephys/ipfx.js';
import { idKey, type IdMatch, type LabelTable } from '../../io/ephys/labels.js';

export interface Family {
  name: string;
  /** Column names (scalar tables) or `name[k]` (feature vectors). */
  features: string[];
  /** Per cell, `features.length` values (NaN = missing). */
  values: Float64Array[];
}

export interface EphysCohort {
  species: string;
  ids: string[];
  /** Per cell, its class (after species alignment, when applied). */
  labels: string[];
  families: Family[];
}

/** Family of an IPFX scalar feature by its protocol suffix or subthreshold name. */
export function defaultFamilyOf(feature: string): string {
  const suffixes: [RegExp, string][] = [
    [/_ramp$/, 'ramp'],
    [/_short_square$/, 'short_square'],
    [/_chirp$/, 'chirp'],
    [/_rheo$/, 'long_square_rheobase'],
    [/_hero$/, 'long_square_hero'],
    [/(_mean|_max|_adapt_ratio|_5spike|^adapt_)/, 'spike_train_adaptation'],
    [
      /(^sag|^v_baseline$|^vm_for_sag$|^input_resistance$|^tau$|^rheobase_i$|^fi_fit_slope$|_depol$)/i,
      'subthreshold',
    ],
  ];
  for (const [re, family] of suffixes) if (re.test(feature)) return family;
  return 'other';
}

export type Grouping = 'ipfx' | 'per-feature' | 'single' | Record<string, string[]>;

/** Joins a feature table with its labels (cells without a label are dropped and counted). */
export function cohortFromTable(
  species: string,
  table: FeatureTable,
  labels: LabelTable,
  o: { grouping?: Grouping; idMatch?: IdMatch } = {},
): { cohort: EphysCohort; unlabeled: number } {
  const match = o.idMatch ?? 'exact';
  const byKey = new Map([...labels.labels].map(([id, label]) => [idKey(id, match), label]));
  const rows: number[] = [];
  table.ids.forEach((id, r) => {
    if (byKey.has(idKey(id, match))) rows.push(r);
  });
  if (rows.length === 0)
    throw new InputError(
      labels.path,
      labels.column,
      `no cell id of ${table.path} is found here (ids like '${table.ids[0]}' vs '${[...labels.labels.keys()][0]}'; try option \`idMatch\` alphanumeric)`,
    );
  const groups = groupFeatures(table, o.grouping ?? 'ipfx');
  const families: Family[] = groups.map(([name, columns]) => ({
    name,
    features: columns.map((c) => table.features[c]),
    values: rows.map((r) => Float64Array.from(columns, (c) => table.values[r][c])),
  }));
  return {
    cohort: {
      species,
      ids: rows.map((r) => table.ids[r]),
      labels: rows.map((r) => byKey.get(idKey(table.ids[r], match))!),
      families,
    },
    unlabeled: table.ids.length - rows.length,
  };
}

function groupFeatures(table: FeatureTable, grouping: Grouping): [string, number[]][] {
  const all = table.features.map((_, c) => c);
  if (grouping === 'single') return [['features', all]];
  if (grouping === 'per-feature') return all.map((c) => [table.features[c], [c]]);
  if (grouping === 'ipfx') {
    const groups = new Map<string, number[]>();
    for (const c of all) {
      const f = defaultFamilyOf(table.features[c]);
      groups.set(f, [...(groups.get(f) ?? []), c]);
    }
    return [...groups];
  }
  return Object.entries(grouping).map(([name, features]) => [
    name,
    features.map((f) => {
      const c = table.features.indexOf(f);
      if (c < 0)
        throw new InputError(
          table.path,
          f,
          `grouping names feature '${f}', which the table does not have`,
        );
      return c;
    }),
  ]);
}

/** Joins IPFX feature vectors with labels: each vector family is one family of the cohort. */
export function cohortFromVectors(
  species: string,
  fv: FeatureVectors,
  labels: LabelTable,
  o: { idMatch?: IdMatch } = {},
): { cohort: EphysCohort; unlabeled: number } {
  const match = o.idMatch ?? 'exact';
  const byKey = new Map([...labels.labels].map(([id, label]) => [idKey(id, match), label]));
  const rows = fv.ids.flatMap((id, r) => (byKey.has(idKey(id, match)) ? [r] : []));
  if (rows.length === 0)
    throw new InputError(labels.path, labels.column, `no cell id of ${fv.path} is found here`);
  return {
    cohort: {
      species,
      ids: rows.map((r) => fv.ids[r]),
      labels: rows.map((r) => byKey.get(idKey(fv.ids[r], match))!),
      families: fv.families.map((f) => ({
        name: f.name,
        features: Array.from({ length: f.width }, (_, k) => `${f.name}[${k}]`),
        values: rows.map((r) => f.values[r]),
      })),
    },
    unlabeled: fv.ids.length - rows.length,
  };
}

/** Cells `rows` of a cohort. */
export function subsetCohort(c: EphysCohort, rows: number[]): EphysCohort {
  return {
    species: c.species,
    ids: rows.map((r) => c.ids[r]),
    labels: rows.map((r) => c.labels[r]),
    families: c.families.map((f) => ({ ...f, values: rows.map((r) => f.values[r]) })),
  };
}

/** Every family's values side by side: one row per cell. */
export function flatFeatures(c: EphysCohort): number[][] {
  return c.ids.map((_, i) => c.families.flatMap((f) => Array.from(f.values[i])));
}

/** The cells of `a` then those of `b` (same families and features, in the same order). */
export function concatCohorts(a: EphysCohort, b: EphysCohort): EphysCohort {
  return {
    species: `${a.species}+${b.species}`,
    ids: [...a.ids, ...b.ids],
    labels: [...a.labels, ...b.labels],
    families: a.families.map((f, j) => ({ ...f, values: [...f.values, ...b.families[j].values] })),
  };
}

/** Cells per class. */
export function classCounts(labels: string[]): Record<string, number> {
  const n: Record<string, number> = {};
  for (const l of labels) n[l] = (n[l] ?? 0) + 1;
  return n;
}
