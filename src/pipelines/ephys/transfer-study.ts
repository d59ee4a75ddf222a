/**
 * Mouse → human transfer of the attention BiLSTM, evaluated as in the paper: stratified
 * k-fold cross-validation over the human cells (× repeats); in each fold every strategy
 * (human-only; mouse pretrain → head warm-up → fine-tune; joint two-head training then
 * fine-tune) is trained on the same human folds and the same 80/20 mouse split, so the
 * comparison is paired. Each species is standardised with its own training statistics
 * (their recordings differ in scale); the two cohorts must share families and classes.
 */
import { UsageError } from '../../core/errors.js';
import {
  accuracy,
  confusionMatrix,
  macroF1,
  meanSd,
  pairedTTest,
  type TTestResult,
} from '../../stats/index.js';
import { stratifiedKFold, stratifiedSplit } from '../../stats/splits.js';
import {
  PAPER_BILSTM_TRAINING,
  predictFamilies,
  type BiLstmTrainOptions,
} from './bilstm-training.js';
import { subsetCohort, type EphysCohort } from './cohort.js';
import { fitStandardizer, standardize } from './qc.js';
import { toFamilySequences } from './sequences.js';
import { trainWithStrategy, type TransferStrategy } from './transfer-strategies.js';

export const STRATEGIES: TransferStrategy[] = ['human-only', 'pretrain-finetune', 'joint'];

export interface StrategyScores {
  macroF1: { mean: number; sd: number };
  accuracy: { mean: number; sd: number };
  folds: number[];
  confusion: number[][];
}

export interface SpeciesTransferResult {
  classes: string[];
  humanCells: number;
  mouseCells: number;
  strategies: Record<TransferStrategy, StrategyScores>;
  /** Paired t-tests of fold macro-F1 against human-only. */
  versusHumanOnly: Partial<Record<TransferStrategy, TTestResult>>;
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

export function runSpeciesTransfer(
  mouse: EphysCohort,
  human: EphysCohort,
  o: {
    folds?: number;
    repeats?: number;
    seed?: number;
    strategies?: TransferStrategy[];
    training?: Partial<BiLstmTrainOptions>;
    hidden?: number;
    onFold?: (done: number, total: number) => void;
  } = {},
): SpeciesTransferResult {
  const classes = checkCompatible(mouse, human);
  const strategies = o.strategies ?? STRATEGIES;
  const k = o.folds ?? 5;
  const repeats = o.repeats ?? 1;
  const training = { ...PAPER_BILSTM_TRAINING, ...o.training };
  const mouseScale = fitStandardizer(mouse);
  const mouseSeq = (rows: number[]) =>
    toFamilySequences(standardize(subsetCohort(mouse, rows), mouseScale), classes);
  const scores = Object.fromEntries(
    strategies.map((s) => [
      s,
      {
        f1: [] as number[],
        acc: [] as number[],
        confusion: classes.map(() => classes.map(() => 0)),
      },
    ]),
  );
  let done = 0;
  for (let r = 0; r < repeats; r++) {
    const seed = (o.seed ?? 0) * 1000 + r;
    const [mouseTrain, mouseVal] = stratifiedSplit(mouse.labels, [0.8, 0.2], seed);
    for (const [f, fold] of stratifiedKFold(human.labels, k, seed).entries()) {
      const train = subsetCohort(human, fold.train);
      const test = subsetCohort(human, fold.test);
      const humanScale = fitStandardizer(train);
      const [fit, val] = stratifiedSplit(train.labels, [0.8, 0.2], seed + f);
      const humanSeq = (c: EphysCohort) => toFamilySequences(standardize(c, humanScale), classes);
      const data = {
        mouseTrain: mouseSeq(mouseTrain),
        mouseVal: mouseSeq(mouseVal),
        humanTrain: humanSeq(subsetCohort(train, fit)),
        humanVal: humanSeq(subsetCohort(train, val)),
        classes: classes.length,
      };
      const testSeq = humanSeq(test);
      for (const s of strategies) {
        const model = trainWithStrategy(s, data, { ...training, seed: seed * 31 + f }, o.hidden);
        const predicted = Array.from(predictFamilies(model, testSeq).predicted, (c) => classes[c]);
        model.dispose();
        scores[s].f1.push(macroF1(test.labels, predicted));
        scores[s].acc.push(accuracy(test.labels, predicted));
        confusionMatrix(test.labels, predicted, classes).counts.forEach((row, a) =>
          row.forEach((v, b) => (scores[s].confusion[a][b] += v)),
        );
        o.onFold?.(++done, repeats * k * strategies.length);
      }
    }
  }
  const result: SpeciesTransferResult = {
    classes,
    humanCells: human.ids.length,
    mouseCells: mouse.ids.length,
    strategies: {} as SpeciesTransferResult['strategies'],
    versusHumanOnly: {},
  };
  for (const s of strategies) {
    result.strategies[s] = {
      macroF1: meanSd(scores[s].f1),
      accuracy: meanSd(scores[s].acc),
      folds: scores[s].f1,
      confusion: scores[s].confusion,
    };
    if (s !== 'human-only' && scores['human-only'] && scores[s].f1.length > 1)
      result.versusHumanOnly[s] = pairedTTest(scores[s].f1, scores['human-only'].f1);
  }
  return result;
}
