/**
 * Quality control and standardisation before any model sees the features. Rules, in order:
 * 1. a feature missing in more than `maxMissingFraction` of the cells is dropped (it would
 *    otherwise remove most cells in rule 2);
 * 2. a cell still missing any value is dropped (no imputation);
 * 3. a family left with no features is dropped.
 * Z-scoring uses training-split statistics only (stats/scaler.ts: a near-constant feature is only centred).
 */
import { fitStandardScaler } from '../../stats/scaler.js';
import type { EphysCohort, Family } from './cohort.js';

export interface QcReport {
  droppedFeatures: { family: string; feature: string; missingFraction: number }[];
  droppedCells: number;
  droppedFamilies: string[];
  cellsKept: number;
}

export function qualityControl(
  c: EphysCohort,
  o: { maxMissingFraction?: number } = {},
): { cohort: EphysCohort; report: QcReport } {
  const maxMissing = o.maxMissingFraction ?? 0.1;
  const n = c.ids.length;
  const droppedFeatures: QcReport['droppedFeatures'] = [];
  let families: Family[] = c.families.map((f) => {
    const keep: number[] = [];
    f.features.forEach((name, k) => {
      const missing = f.values.filter((v) => Number.isNaN(v[k])).length / Math.max(1, n);
      if (missing > maxMissing)
        droppedFeatures.push({ family: f.name, feature: name, missingFraction: missing });
      else keep.push(k);
    });
    return {
      name: f.name,
      features: keep.map((k) => f.features[k]),
      values: f.values.map((v) => Float64Array.from(keep, (k) => v[k])),
    };
  });
  const droppedFamilies = families.filter((f) => f.features.length === 0).map((f) => f.name);
  families = families.filter((f) => f.features.length > 0);
  const rows = c.ids.flatMap((_, i) =>
    families.every((f) => f.values[i].every((v) => !Number.isNaN(v))) ? [i] : [],
  );
  return {
    cohort: {
      species: c.species,
      ids: rows.map((i) => c.ids[i]),
      labels: rows.map((i) => c.labels[i]),
      families: families.map((f) => ({ ...f, values: rows.map((i) => f.values[i]) })),
    },
    report: {
      droppedFeatures,
      droppedCells: n - rows.length,
      droppedFamilies,
      cellsKept: rows.length,
    },
  };
}

export interface Standardizer {
  /** Per family, per feature. */
  mean: number[][];
  sd: number[][];
}

/** Per-family z-scores fitted on the training cells (see stats/scaler.ts for the rule). */
export function fitStandardizer(train: EphysCohort): Standardizer {
  const scalers = train.families.map((f) => fitStandardScaler(f.values, f.features.length));
  return { mean: scalers.map((s) => s.mean), sd: scalers.map((s) => s.scale) };
}

export function standardize(c: EphysCohort, s: Standardizer): EphysCohort {
  return {
    ...c,
    families: c.families.map((f, j) => ({
      ...f,
      values: f.values.map((v) => Float64Array.from(v, (x, k) => (x - s.mean[j][k]) / s.sd[j][k])),
    })),
  };
}
