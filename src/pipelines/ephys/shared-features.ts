/**
 * Two species' cohorts put on one feature space for transfer. Only features both cohorts have
 * (same name in the same family) are kept, in the human cohort's order, because the BiLSTM
 * reads a family's features by position. QC's missing-value rule then runs on both at once: a
 * feature too sparse in either species is dropped from both before any cell is dropped for
 * a missing value, so neither species loses cells over a feature the other cannot use.
 */
import { UsageError } from '../../core/errors.js';
import type { EphysCohort } from './cohort.js';
import { qualityControl, type QcReport } from './qc.js';

export interface SharedFeatures {
  /** Families and features used by both cohorts after QC, in order. */
  families: { name: string; features: string[] }[];
  onlyMouse: string[];
  onlyHuman: string[];
  /** Shared features dropped because too many cells of either species miss them. */
  droppedForMissing: { feature: string; family: string; mouse: number; human: number }[];
}

type Layout = { name: string; features: string[] }[];

const familyOf = (c: EphysCohort) =>
  new Map(c.families.flatMap((f) => f.features.map((n): [string, string] => [n, f.name])));

/** The cohort's values of the features `layout` names, family by family, in that order. */
export function selectFeatures(c: EphysCohort, layout: Layout): EphysCohort {
  return {
    ...c,
    families: layout.map((want) => {
      const have = c.families.find((f) => f.name === want.name);
      const at = want.features.map((n) => have?.features.indexOf(n) ?? -1);
      if (!have || at.includes(-1))
        throw new UsageError(
          `${c.species} cohort has no feature ${want.features[at.indexOf(-1)] ?? ''} in family ${want.name}`,
        );
      return {
        name: want.name,
        features: want.features,
        values: have.values.map((v) => Float64Array.from(at, (k) => v[k])),
      };
    }),
  };
}

function missingFraction(c: EphysCohort, family: string, feature: string): number {
  const f = c.families.find((g) => g.name === family)!;
  const k = f.features.indexOf(feature);
  return f.values.filter((v) => Number.isNaN(v[k])).length / Math.max(1, f.values.length);
}

/**
 * Restricts both cohorts (labelled, not yet QC'd) to their shared features and applies QC;
 * `maxMissing` per species as in each cohort file (default 0.1).
 */
export function onSharedFeatures(
  mouse: EphysCohort,
  human: EphysCohort,
  maxMissing: { mouse?: number; human?: number } = {},
): {
  mouse: EphysCohort;
  human: EphysCohort;
  qc: { mouse: QcReport; human: QcReport };
  features: SharedFeatures;
} {
  const inMouse = familyOf(mouse);
  const inHuman = familyOf(human);
  const shared: Layout = human.families
    .map((f) => ({ name: f.name, features: f.features.filter((n) => inMouse.get(n) === f.name) }))
    .filter((f) => f.features.length > 0);
  const onlyMouse = [...inMouse.keys()].filter((n) => inHuman.get(n) !== inMouse.get(n));
  const onlyHuman = [...inHuman.keys()].filter((n) => inMouse.get(n) !== inHuman.get(n));
  if (shared.length === 0)
    throw new UsageError(
      `the mouse and human cohorts share no feature name within a family (mouse e.g. ${onlyMouse.slice(0, 3).join(', ')}; human e.g. ${onlyHuman.slice(0, 3).join(', ')})`,
    );
  const limit = { mouse: maxMissing.mouse ?? 0.1, human: maxMissing.human ?? 0.1 };
  const droppedForMissing = shared.flatMap((f) =>
    f.features.flatMap((feature) => {
      const m = missingFraction(mouse, f.name, feature);
      const h = missingFraction(human, f.name, feature);
      return m > limit.mouse || h > limit.human
        ? [{ feature, family: f.name, mouse: m, human: h }]
        : [];
    }),
  );
  const sparse = new Set(droppedForMissing.map((d) => d.feature));
  const kept = shared
    .map((f) => ({ name: f.name, features: f.features.filter((n) => !sparse.has(n)) }))
    .filter((f) => f.features.length > 0);
  const keptFamilies = new Set(kept.map((f) => f.name));
  const qcOf = (c: EphysCohort, species: 'mouse' | 'human') => {
    // Every kept feature is below both limits, so this pass only drops cells.
    const { cohort, report } = qualityControl(selectFeatures(c, kept), { maxMissingFraction: 1 });
    return {
      cohort,
      report: {
        ...report,
        droppedFeatures: droppedForMissing.map((d) => ({
          family: d.family,
          feature: d.feature,
          missingFraction: d[species],
        })),
        droppedFamilies: shared.filter((f) => !keptFamilies.has(f.name)).map((f) => f.name),
      },
    };
  };
  const m = qcOf(mouse, 'mouse');
  const h = qcOf(human, 'human');
  return {
    mouse: m.cohort,
    human: h.cohort,
    qc: { mouse: m.report, human: h.report },
    features: { families: kept, onlyMouse, onlyHuman, droppedForMissing },
  };
}
