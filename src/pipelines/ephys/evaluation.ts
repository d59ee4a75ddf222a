/**
 * Cross-validated scores of an ephys classifier: stratified k folds × repeats (human cells,
 * as in the paper) or repeated stratified train/test splits; macro-F1, accuracy, per-class
 * F1 and the confusion matrix summed over folds, mean ± sd over folds.
 */
import { accuracy, confusionMatrix, macroF1, meanSd, perClassF1 } from '../../stats/index.js';
import { stratifiedKFold } from '../../stats/splits.js';
import { subsetCohort, type EphysCohort } from './cohort.js';

/** Trains on the first cohort and predicts the labels of the second. */
export type FitPredict = (train: EphysCohort, test: EphysCohort, seed: number) => string[];

export interface CvResult {
  folds: { repeat: number; fold: number; macroF1: number; accuracy: number }[];
  macroF1: { mean: number; sd: number };
  accuracy: { mean: number; sd: number };
  perClassF1: Record<string, { mean: number; sd: number }>;
  classes: string[];
  /** Summed over folds of every repeat: rows true class, columns predicted. */
  confusion: number[][];
}

export function crossValidate(
  cohort: EphysCohort,
  fitPredict: FitPredict,
  o: {
    folds?: number;
    repeats?: number;
    seed?: number;
    onFold?: (done: number, total: number) => void;
  } = {},
): CvResult {
  const k = o.folds ?? 5;
  const repeats = o.repeats ?? 1;
  const classes = [...new Set(cohort.labels)].sort();
  const confusion = classes.map(() => classes.map(() => 0));
  const folds: CvResult['folds'] = [];
  const perClass: Record<string, number[]> = Object.fromEntries(classes.map((c) => [c, []]));
  for (let r = 0; r < repeats; r++) {
    const split = stratifiedKFold(cohort.labels, k, (o.seed ?? 0) * 1000 + r);
    split.forEach((f, i) => {
      const test = subsetCohort(cohort, f.test);
      const predicted = fitPredict(
        subsetCohort(cohort, f.train),
        test,
        (o.seed ?? 0) * 1000 + r * k + i,
      );
      folds.push({
        repeat: r,
        fold: i,
        macroF1: macroF1(test.labels, predicted),
        accuracy: accuracy(test.labels, predicted),
      });
      const cm = confusionMatrix(test.labels, predicted, classes);
      cm.counts.forEach((row, a) => row.forEach((v, b) => (confusion[a][b] += v)));
      const pc = perClassF1(test.labels, predicted, classes);
      classes.forEach((c, ci) => perClass[c].push(pc.f1[ci]));
      o.onFold?.(folds.length, repeats * k);
    });
  }
  return {
    folds,
    macroF1: meanSd(folds.map((f) => f.macroF1)),
    accuracy: meanSd(folds.map((f) => f.accuracy)),
    perClassF1: Object.fromEntries(classes.map((c) => [c, meanSd(perClass[c])])),
    classes,
    confusion,
  };
}
