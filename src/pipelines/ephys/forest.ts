/**
 * The Gouwens et al. 2020 classifier: z-score every feature on the training cells, sparse
 * PCA per family (ZHT, fixed non-zeros), keep the components explaining ≥ 1 % (adjusted),
 * stack and z-score the scores, then a class-balanced random forest. Every statistic is
 * fitted on training cells only and stored, so new cells are projected, never refitted.
 */
import { fitSparsePca, SparsePca, type SparsePcaJson } from '../../stats/spca.js';
import { RandomForest, fitRandomForest, type ForestJson } from '../../stats/random-forest.js';
import { fitStandardScaler } from '../../stats/scaler.js';
import type { EphysCohort } from './cohort.js';
import { fitStandardizer, standardize, type Standardizer } from './qc.js';

export interface ForestPipelineOptions {
  trees?: number;
  seed?: number;
  /** Components per family: at most this many (default 7, Gouwens' largest). */
  maxComponents?: number;
  minAdjustedVariance?: number;
}

export interface ForestPipeline {
  standardizer: Standardizer;
  families: { name: string; spca: SparsePcaJson; keep: number[] }[];
  scoreMean: number[];
  scoreSd: number[];
  forest: ForestJson;
}

/** Components and non-zeros for a family of `width` features (a third of the features, at least 1, per component). */
export function spcaShape(
  width: number,
  maxComponents: number,
): { components: number; nonZero: number[] } {
  const components = Math.min(width, maxComponents);
  const k = Math.max(1, Math.ceil(width / 3));
  return { components, nonZero: Array<number>(components).fill(k) };
}

export function fitForestPipeline(
  train: EphysCohort,
  o: ForestPipelineOptions = {},
): ForestPipeline {
  const standardizer = fitStandardizer(train);
  const z = standardize(train, standardizer);
  const families = z.families.map((f) => {
    const data = f.values.map((v) => Array.from(v));
    const spca = fitSparsePca({ data }, spcaShape(f.features.length, o.maxComponents ?? 7));
    return {
      name: f.name,
      spca: spca.toJSON(),
      keep: spca.componentsAbove(o.minAdjustedVariance ?? 0.01),
    };
  });
  const raw = scores(z, families);
  const scaler = fitStandardScaler(raw, raw[0]?.length ?? 0);
  const { mean: scoreMean, scale: scoreSd } = scaler;
  const x = scaler.transform(raw).map((r) => Array.from(r));
  const forest = fitRandomForest(x, train.labels, {
    trees: o.trees ?? 500,
    balance: 'balanced-bootstrap',
    seed: o.seed ?? 0,
  });
  return { standardizer, families, scoreMean, scoreSd, forest: forest.toJSON() };
}

function scores(z: EphysCohort, families: ForestPipeline['families']): number[][] {
  const perFamily = families.map((fam, j) =>
    SparsePca.fromJSON(fam.spca)
      .transform(z.families[j].values.map((v) => Array.from(v)))
      .map((row) => fam.keep.map((c) => row[c])),
  );
  return z.ids.map((_, i) => perFamily.flatMap((f) => f[i]));
}

/** The stacked, z-scored sparse-PCA features the forest sees (also drawn in the report). */
export function forestInputs(p: ForestPipeline, c: EphysCohort): number[][] {
  return scores(standardize(c, p.standardizer), p.families).map((r) =>
    r.map((v, j) => (v - p.scoreMean[j]) / p.scoreSd[j]),
  );
}

export function predictForestPipeline(p: ForestPipeline, c: EphysCohort): string[] {
  return RandomForest.fromJSON(p.forest).predict(forestInputs(p, c)).map(String);
}
