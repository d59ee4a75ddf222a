/**
 * One cohort from files: features (a scalar CSV/TSV table, an IPFX `.h5`, or a folder of
 * `.npy` vectors) joined with a labels table, classes aligned across species, then QC.
 */
import { existsSync, statSync } from 'node:fs';
import { InputError } from '../../core/errors.js';
import { readJsonFile } from '../../core/json.js';
import { readFeatureTable } from '../../io/ephys/feature-table.js';
import { readFeatureVectors } from '../../io/ephys/ipfx.js';
import { labelsOf, readLabels, type IdMatch } from '../../io/ephys/labels.js';
import { cohortFromTable, cohortFromVectors, type EphysCohort, type Grouping } from './cohort.js';
import { qualityControl, type QcReport } from './qc.js';
import { alignLabels, DEFAULT_CLASS_MAP, loadClassMap } from './species-map.js';

export interface CohortSpec {
  species: string;
  features: string;
  labels: string;
  idColumn: string;
  labelColumn: string;
  /** Feature-table id column (default: the first column). */
  featureIdColumn?: string;
  /** Feature-table columns left out, by name or `*` pattern (QC flags, dates, free text). */
  excludeColumns?: string[];
  /** Feature-table rows left out when a column holds one of the texts ({ failed_qc: ['True'] }). */
  excludeCellsWhere?: Record<string, string[]>;
  firstWord?: boolean;
  idMatch?: IdMatch;
  /** 'ipfx' | 'single' | 'per-feature' or a JSON/YAML file { family: [features] }. */
  grouping?: string;
  classMap?: string;
  dropUnknown?: boolean;
  maxMissingFraction?: number;
}

/** A joined cohort after QC (`cohort` holds the cells and features QC kept). */
export interface LoadedCohort extends JoinedCohort {
  qc: QcReport;
}

function grouping(spec: CohortSpec): Grouping {
  const g = spec.grouping ?? 'ipfx';
  if (g === 'ipfx' || g === 'single' || g === 'per-feature') return g;
  if (!existsSync(g))
    throw new InputError(
      g,
      undefined,
      'grouping: expected ipfx, single, per-feature or a JSON file { family: [features] }',
    );
  const parsed = readJsonFile(g, 'a grouping file { "family": ["feature", ...], ... }');
  if (!parsed || typeof parsed !== 'object' || Object.values(parsed).some((v) => !Array.isArray(v)))
    throw new InputError(g, undefined, 'expected { "family": ["feature", ...], ... }');
  return parsed as Record<string, string[]>;
}

/** Features joined with aligned labels, before QC (the species-pair loader QCs both together). */
export interface JoinedCohort {
  cohort: EphysCohort;
  unlabeled: number;
  droppedClasses: Record<string, number>;
  /** Cells left out by `exclude_cells_where`. */
  excludedCells: number;
  spec: CohortSpec;
}

export async function joinCohort(spec: CohortSpec): Promise<JoinedCohort> {
  const raw = readLabels(spec.labels, {
    idColumn: spec.idColumn,
    labelColumn: spec.labelColumn,
    firstWord: spec.firstWord,
  });
  const isVectors =
    existsSync(spec.features) &&
    (statSync(spec.features).isDirectory() || /\.(h5|hdf5)$/i.test(spec.features));
  const source = isVectors
    ? await readFeatureVectors(spec.features)
    : readFeatureTable(spec.features, {
        idColumn: spec.featureIdColumn,
        exclude: spec.excludeColumns,
        excludeRows: spec.excludeCellsWhere,
      });
  // Classes are aligned (and unknown ones reported) only for cells that have features.
  const idMatch = spec.idMatch ?? 'exact';
  const map = spec.classMap ? loadClassMap(spec.classMap) : DEFAULT_CLASS_MAP;
  const withFeatures = labelsOf(raw, source.ids, idMatch);
  if (withFeatures.labels.size === 0)
    throw new InputError(
      spec.labels,
      spec.idColumn,
      `no labelled cell id of ${spec.features} is found here (ids like '${source.ids[0]}' vs '${[...raw.labels.keys()][0]}'; check the id columns or set id_match: alphanumeric)`,
    );
  const { labels, dropped } = alignLabels(withFeatures, map, spec.dropUnknown ? 'drop' : 'error');
  const joined =
    'families' in source
      ? cohortFromVectors(spec.species, source, labels, { idMatch })
      : cohortFromTable(spec.species, source, labels, { grouping: grouping(spec), idMatch });
  const excludedCells = 'excludedRows' in source ? (source.excludedRows ?? 0) : 0;
  return { ...joined, droppedClasses: dropped, excludedCells, spec };
}

/**
 * Stops when QC left no cell, fewer than two classes to tell apart, or a feature whose values
 * overflow standardisation (a z-score needs the squared deviations in float64: values near
 * 1e300 would give an infinite SD and silently meaningless scores).
 */
export function checkTrainable(cohort: EphysCohort, spec: CohortSpec): void {
  checkScalable(cohort, spec);
  if (cohort.ids.length === 0)
    throw new InputError(
      spec.features,
      undefined,
      'no cell passed QC (every cell misses some feature)',
    );
  const classes = new Set(cohort.labels);
  if (classes.size < 2)
    throw new InputError(
      spec.labels,
      spec.labelColumn,
      `need at least 2 classes among the cells that passed QC to train a classifier, found ${classes.size}${classes.size ? ` (${[...classes].join(', ')})` : ''}`,
    );
}

export async function loadCohort(spec: CohortSpec): Promise<LoadedCohort> {
  const joined = await joinCohort(spec);
  const { cohort, report } = qualityControl(joined.cohort, {
    maxMissingFraction: spec.maxMissingFraction,
  });
  checkTrainable(cohort, spec);
  return { ...joined, cohort, qc: report };
}

/** Largest magnitude whose squared deviations from a mean still sum finitely over many cells. */
const MAX_FEATURE_MAGNITUDE = 1e150;

function checkScalable(cohort: EphysCohort, spec: CohortSpec): void {
  for (const family of cohort.families)
    family.features.forEach((feature, k) => {
      let largest = 0;
      for (const row of family.values)
        if (Number.isFinite(row[k])) largest = Math.max(largest, Math.abs(row[k]));
      if (largest > MAX_FEATURE_MAGNITUDE)
        throw new InputError(
          spec.features,
          feature,
          `values up to ${largest.toExponential(1)} overflow standardisation (their squares exceed float64); expected |value| ≤ ${MAX_FEATURE_MAGNITUDE.toExponential(0)} (check the units or the export)`,
        );
    });
}
