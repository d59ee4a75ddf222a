/**
 * How far apart the two species' feature distributions are, for the transfer report. Every
 * value is put in units of the human cells' spread, z = (x − human mean) / human sd, so one
 * axis serves features of any unit and the human cells sit at mean 0, sd 1; a mouse box away
 * from 0 is the shift a transferred model has to cross. Per class too, since the cohorts'
 * class mixes differ (a shift of all cells can be composition alone).
 */
import { meanSd, quantileSorted } from '../../stats/hypothesis-tests.js';
import type { EphysCohort } from './cohort.js';

/** 5th, 25th, 50th, 75th and 95th percentiles. */
export type Box = [number, number, number, number, number];

export interface SpeciesShift {
  features: {
    feature: string;
    family: string;
    mouse: { mean: number; sd: number };
    human: { mean: number; sd: number };
    /** (mouse mean − human mean) / human sd. */
    standardizedDifference: number;
  }[];
  /** All cells, then each class with at least `minCells` cells in both species. */
  groups: { name: string; mouseCells: number; humanCells: number; mouse: Box[]; human: Box[] }[];
}

function column(c: EphysCohort, j: number, k: number, rows?: number[]): number[] {
  const values = c.families[j].values;
  return (rows ?? values.map((_, i) => i)).map((i) => values[i][k]);
}

function box(xs: number[]): Box {
  const s = Float64Array.from(xs).sort();
  return [0.05, 0.25, 0.5, 0.75, 0.95].map((q) => quantileSorted(s, q)) as Box;
}

/** The two cohorts must have the same families and features (onSharedFeatures). */
export function speciesShift(mouse: EphysCohort, human: EphysCohort, minCells = 10): SpeciesShift {
  const slots = human.families.flatMap((f, j) =>
    f.features.map((feature, k) => ({ f, j, k, feature })),
  );
  const scale = slots.map(({ j, k }) => {
    const { mean, sd } = meanSd(column(human, j, k));
    // A constant human feature is only centred (as stats/scaler.ts does).
    return { mean, sd: sd > 0 ? sd : 1 };
  });
  const features = slots.map(({ f, j, k, feature }, s) => {
    const m = meanSd(column(mouse, j, k));
    return {
      feature,
      family: f.name,
      mouse: m,
      human: scale[s],
      standardizedDifference: (m.mean - scale[s].mean) / scale[s].sd,
    };
  });
  const rowsOf = (c: EphysCohort, label?: string) =>
    c.labels.flatMap((l, i) => (label === undefined || l === label ? [i] : []));
  const group = (name: string, label?: string) => {
    const m = rowsOf(mouse, label);
    const h = rowsOf(human, label);
    const z = (c: EphysCohort, rows: number[]) =>
      slots.map(({ j, k }, s) =>
        box(column(c, j, k, rows).map((x) => (x - scale[s].mean) / scale[s].sd)),
      );
    return {
      name,
      mouseCells: m.length,
      humanCells: h.length,
      mouse: z(mouse, m),
      human: z(human, h),
    };
  };
  const classes = [...new Set(human.labels)]
    .sort()
    .filter((c) => rowsOf(mouse, c).length >= minCells && rowsOf(human, c).length >= minCells);
  return { features, groups: [group('all cells'), ...classes.map((c) => group(c, c))] };
}
