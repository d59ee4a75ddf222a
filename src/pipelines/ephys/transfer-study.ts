/**
 * Mouse → human transfer, evaluated as in the paper: stratified k-fold cross-validation over
 * the human cells (× repeats); in each fold every strategy is trained on the same human
 * folds and the same 80/20 mouse split, so the comparison is paired. Strategies:
 * - the attention BiLSTM: human-only; mouse pretrain → head warm-up → fine-tune; joint
 *   two-head training then fine-tune (transfer-strategies.ts);
 * - the Gouwens sPCA + forest pipeline: human-only; fitted on mouse cells and applied to
 *   human cells unchanged (`rf-mouse-to-human`); fitted on mouse and human training cells
 *   pooled (`rf-joint`).
 * Each species is standardised with its own training statistics (their recordings differ
 * in scale); the two cohorts must share families and classes.
 */
import { UsageError } from '../../core/errors.js';
import {
  accuracy,
  confusionMatrix,
  correctedResampledTTest,
  macroF1,
  meanSd,
  pairedTTest,
  perClassF1,
  type TTestResult,
} from '../../stats/index.js';
import { stratifiedKFold, stratifiedSplit } from '../../stats/splits.js';
import {
  PAPER_BILSTM_TRAINING,
  predictFamilies,
  type BiLstmTrainOptions,
} from './bilstm-training.js';
import { classCounts, concatCohorts, subsetCohort, type EphysCohort } from './cohort.js';
import { fitForestPipeline, predictForestPipeline } from './forest.js';
import { fitStandardizer, standardize } from './qc.js';
import { toFamilySequences } from './sequences.js';
import { STRATEGIES, type StudyStrategy } from './strategy-names.js';
import { trainWithStrategy } from './transfer-strategies.js';

export interface StrategyScores {
  macroF1: { mean: number; sd: number };
  accuracy: { mean: number; sd: number };
  perClassF1: Record<string, { mean: number; sd: number }>;
  /** Macro-F1 of every fold, repeat-major (fold f of repeat r at r·k + f). */
  folds: number[];
  confusion: number[][];
}

/** A strategy against a baseline on the same folds. */
export interface Comparison {
  strategy: StudyStrategy;
  baseline: StudyStrategy;
  /** Mean over folds of strategy − baseline macro-F1. */
  difference: number;
  /** scipy's ttest_rel over folds (treats folds as independent: optimistic). */
  paired: TTestResult;
  /** Nadeau–Bengio corrected resampled t-test (accounts for overlapping training sets). */
  corrected: TTestResult;
}

export interface SpeciesTransferResult {
  classes: string[];
  humanCells: number;
  mouseCells: number;
  cellsPerClass: { mouse: Record<string, number>; human: Record<string, number> };
  families: { name: string; features: string[] }[];
  folds: number;
  repeats: number;
  strategies: Partial<Record<StudyStrategy, StrategyScores>>;
  comparisons: Comparison[];
}

function checkCompatible(mouse: EphysCohort, human: EphysCohort): string[] {
  const names = (c: EphysCohort) =>
    c.families.map((f) => `${f.name}:${f.features.length}`).join(', ');
  if (names(mouse) !== names(human))
    throw new UsageError(
      `the mouse and human cohorts must have the same families and widths (after QC); mouse: ${names(mouse)}; human: ${names(human)}`,
    );
  const classes = [...new Set(human.labels)].sort();
  const mouseClasses = [...new Set(mouse.labels)].sort();
  if (classes.join() !== mouseClasses.join())
    throw new UsageError(
      `aligned classes differ: human ${classes.join(', ')}; mouse ${mouseClasses.join(', ')}`,
    );
  return classes;
}

/** Which strategy each one is tested against: its model's human-only run (and BiLSTM vs forest). */
function comparisonsOf(strategies: readonly StudyStrategy[]): [StudyStrategy, StudyStrategy][] {
  const has = new Set(strategies);
  const pairs: [StudyStrategy, StudyStrategy][] = strategies.flatMap((s) => {
    const base = s.startsWith('rf-') ? 'rf-human-only' : 'human-only';
    return s !== base && has.has(base) ? [[s, base] as [StudyStrategy, StudyStrategy]] : [];
  });
  if (has.has('human-only') && has.has('rf-human-only'))
    pairs.push(['human-only', 'rf-human-only']);
  return pairs;
}

export function runSpeciesTransfer(
  mouse: EphysCohort,
  human: EphysCohort,
  o: {
    folds?: number;
    repeats?: number;
    seed?: number;
    strategies?: readonly StudyStrategy[];
    training?: Partial<BiLstmTrainOptions>;
    hidden?: number;
    trees?: number;
    onFold?: (done: number, total: number, strategy: StudyStrategy) => void;
  } = {},
): SpeciesTransferResult {
  const classes = checkCompatible(mouse, human);
  const strategies = o.strategies ?? STRATEGIES;
  const k = o.folds ?? 5;
  const repeats = o.repeats ?? 1;
  const trees = o.trees ?? 500;
  const training = { ...PAPER_BILSTM_TRAINING, ...o.training };
  const mouseZ = standardize(mouse, fitStandardizer(mouse));
  const mouseSeq = (rows: number[]) => toFamilySequences(subsetCohort(mouseZ, rows), classes);
  const scores = Object.fromEntries(
    strategies.map((s) => [
      s,
      {
        f1: [] as number[],
        acc: [] as number[],
        perClass: classes.map(() => [] as number[]),
        confusion: classes.map(() => classes.map(() => 0)),
      },
    ]),
  );
  let done = 0;
  for (let r = 0; r < repeats; r++) {
    const seed = (o.seed ?? 0) * 1000 + r;
    const [mouseTrain, mouseVal] = stratifiedSplit(mouse.labels, [0.8, 0.2], seed);
    // Fitted once per repeat: it never sees a human cell, so every fold can share it.
    let mouseForest: ReturnType<typeof fitForestPipeline> | undefined;
    for (const [f, fold] of stratifiedKFold(human.labels, k, seed).entries()) {
      const train = subsetCohort(human, fold.train);
      const test = subsetCohort(human, fold.test);
      const humanScale = fitStandardizer(train);
      const trainZ = standardize(train, humanScale);
      const testZ = standardize(test, humanScale);
      const [fit, val] = stratifiedSplit(train.labels, [0.8, 0.2], seed + f);
      const humanSeq = (c: EphysCohort) => toFamilySequences(c, classes);
      const data = {
        mouseTrain: mouseSeq(mouseTrain),
        mouseVal: mouseSeq(mouseVal),
        humanTrain: humanSeq(subsetCohort(trainZ, fit)),
        humanVal: humanSeq(subsetCohort(trainZ, val)),
        classes: classes.length,
      };
      const testSeq = humanSeq(testZ);
      const fitSeed = seed * 31 + f;
      for (const s of strategies) {
        let predicted: string[];
        if (s === 'rf-human-only')
          predicted = predictForestPipeline(
            fitForestPipeline(trainZ, { seed: fitSeed, trees }),
            testZ,
          );
        else if (s === 'rf-mouse-to-human') {
          mouseForest ??= fitForestPipeline(mouseZ, { seed, trees });
          predicted = predictForestPipeline(mouseForest, testZ);
        } else if (s === 'rf-joint')
          predicted = predictForestPipeline(
            fitForestPipeline(concatCohorts(mouseZ, trainZ), { seed: fitSeed, trees }),
            testZ,
          );
        else {
          const model = trainWithStrategy(s, data, { ...training, seed: fitSeed }, o.hidden);
          predicted = Array.from(predictFamilies(model, testSeq).predicted, (c) => classes[c]);
          model.dispose();
        }
        const score = scores[s];
        score.f1.push(macroF1(test.labels, predicted));
        score.acc.push(accuracy(test.labels, predicted));
        perClassF1(test.labels, predicted, classes).f1.forEach((v, c) => score.perClass[c].push(v));
        confusionMatrix(test.labels, predicted, classes).counts.forEach((row, a) =>
          row.forEach((v, b) => (score.confusion[a][b] += v)),
        );
        o.onFold?.(++done, repeats * k * strategies.length, s);
      }
    }
  }
  const result: SpeciesTransferResult = {
    classes,
    humanCells: human.ids.length,
    mouseCells: mouse.ids.length,
    cellsPerClass: { mouse: classCounts(mouse.labels), human: classCounts(human.labels) },
    families: human.families.map((f) => ({ name: f.name, features: f.features })),
    folds: k,
    repeats,
    strategies: {},
    comparisons: [],
  };
  for (const s of strategies)
    result.strategies[s] = {
      macroF1: meanSd(scores[s].f1),
      accuracy: meanSd(scores[s].acc),
      perClassF1: Object.fromEntries(classes.map((c, i) => [c, meanSd(scores[s].perClass[i])])),
      folds: scores[s].f1,
      confusion: scores[s].confusion,
    };
  if (repeats * k > 1)
    for (const [s, base] of comparisonsOf(strategies)) {
      const a = scores[s].f1;
      const b = scores[base].f1;
      result.comparisons.push({
        strategy: s,
        baseline: base,
        difference: meanSd(a.map((v, i) => v - b[i])).mean,
        paired: pairedTTest(a, b),
        // Each test fold is 1/k of the human cells, its training set the other (k − 1)/k.
        corrected: correctedResampledTTest(a, b, 1 / (k - 1)),
      });
    }
  return result;
}
