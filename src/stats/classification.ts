/**
 * Multi-class classification scores (confusion matrix, accuracy, per-class and macro F1) with
 * scikit-learn 1.2 semantics: default labels are the sorted union of true and predicted labels
 * (so classes that only appear in predictions count), and 0/0 precision, recall or F1 become
 * 0 (sklearn's default `zero_division="warn"`, minus the warning).
 */
import { UsageError } from '../core/errors.js';

export type Label = string | number;

export interface ConfusionMatrix {
  labels: Label[];
  /** counts[i][j]: samples with true label labels[i] predicted as labels[j]. */
  counts: number[][];
}

export interface PerClassScores {
  labels: Label[];
  precision: number[];
  recall: number[];
  f1: number[];
  /** Number of true samples of each label. */
  support: number[];
}

function checkPair(fn: string, yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>): void {
  if (yTrue.length !== yPred.length) {
    throw new UsageError(`${fn}: ${yTrue.length} true labels but ${yPred.length} predictions`);
  }
}

/** Sorted union of the labels seen, like sklearn `unique_labels`; refuses mixed types. */
function defaultLabels(fn: string, yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>): Label[] {
  const seen = new Set<Label>();
  for (let i = 0; i < yTrue.length; i++) seen.add(yTrue[i]);
  for (let i = 0; i < yPred.length; i++) seen.add(yPred[i]);
  const all = [...seen];
  const numbers = all.filter((v) => typeof v === 'number') as number[];
  if (numbers.length !== 0 && numbers.length !== all.length) {
    throw new UsageError(`${fn}: labels mix strings and numbers`);
  }
  if (numbers.some((v) => Number.isNaN(v))) throw new UsageError(`${fn}: a label is NaN`);
  return numbers.length
    ? numbers.sort((a, b) => a - b)
    : (all as string[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Confusion matrix over `labels` (default: sorted union of yTrue and yPred). As in sklearn,
 * samples whose true or predicted label is not in `labels` are ignored.
 */
export function confusionMatrix(
  yTrue: ArrayLike<Label>,
  yPred: ArrayLike<Label>,
  labels?: readonly Label[],
): ConfusionMatrix {
  checkPair('confusionMatrix', yTrue, yPred);
  const ls = labels ? [...labels] : defaultLabels('confusionMatrix', yTrue, yPred);
  if (ls.length === 0) throw new UsageError('confusionMatrix: no labels');
  const index = new Map<Label, number>();
  ls.forEach((l, i) => {
    if (index.has(l)) throw new UsageError(`confusionMatrix: label ${String(l)} given twice`);
    index.set(l, i);
  });
  const counts = ls.map(() => new Array<number>(ls.length).fill(0));
  for (let k = 0; k < yTrue.length; k++) {
    const i = index.get(yTrue[k]);
    const j = index.get(yPred[k]);
    if (i !== undefined && j !== undefined) counts[i][j]++;
  }
  return { labels: ls, counts };
}

/** Fraction of exact matches (sklearn `accuracy_score`). */
export function accuracy(yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>): number {
  checkPair('accuracy', yTrue, yPred);
  if (yTrue.length === 0) throw new UsageError('accuracy: no samples');
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hits++;
  return hits / yTrue.length;
}

/**
 * Precision, recall and F1 per label, computed the way sklearn does (F1 = 2PR/(P+R) from the
 * already-divided P and R). As in sklearn, the counts use every sample, also when `labels`
 * is a subset: a prediction of label c for a sample whose true label is outside `labels`
 * still lowers c's precision (unlike the confusion matrix, which drops that sample).
 */
export function perClassF1(
  yTrue: ArrayLike<Label>,
  yPred: ArrayLike<Label>,
  labels?: readonly Label[],
): PerClassScores {
  const { labels: ls } = confusionMatrix(yTrue, yPred, labels); // validates inputs and labels
  const index = new Map<Label, number>(ls.map((l, i) => [l, i]));
  const tp = new Array<number>(ls.length).fill(0);
  const trueSum = new Array<number>(ls.length).fill(0);
  const predSum = new Array<number>(ls.length).fill(0);
  for (let k = 0; k < yTrue.length; k++) {
    const i = index.get(yTrue[k]);
    const j = index.get(yPred[k]);
    if (i !== undefined) trueSum[i]++;
    if (j !== undefined) predSum[j]++;
    if (i !== undefined && i === j) tp[i]++;
  }
  const out: PerClassScores = { labels: ls, precision: [], recall: [], f1: [], support: trueSum };
  for (let c = 0; c < ls.length; c++) {
    const p = predSum[c] === 0 ? 0 : tp[c] / predSum[c];
    const r = trueSum[c] === 0 ? 0 : tp[c] / trueSum[c];
    const denom = p + r;
    out.precision.push(p);
    out.recall.push(r);
    out.f1.push(denom === 0 ? 0 : (2 * p * r) / denom);
  }
  return out;
}

/** Unweighted mean of per-label F1 (sklearn `f1_score(average="macro")`). */
export function macroF1(
  yTrue: ArrayLike<Label>,
  yPred: ArrayLike<Label>,
  labels?: readonly Label[],
): number {
  const { f1 } = perClassF1(yTrue, yPred, labels);
  let sum = 0;
  for (const v of f1) sum += v;
  return sum / f1.length;
}

/**
 * Balanced class weights, scikit-learn's `class_weight='balanced'`: n / (classes · count) for
 * each class index 0 … classes − 1 of `y`. A class absent from `y` gets 0 (scikit-learn
 * refuses it): as a training target it never occurs, so weighted losses never read it.
 */
export function balancedClassWeights(y: ArrayLike<number>, classes: number): Float64Array {
  const counts = new Float64Array(classes);
  for (let i = 0; i < y.length; i++) counts[y[i]]++;
  return counts.map((c) => (c ? y.length / (classes * c) : 0));
}

/**
 * Sample weights that even out training groups (e.g. donors, corpora) within each class:
 * every class keeps its total weight (its count), split equally among the groups that hold
 * it, and equally among a group's samples of it: w = n_class / (groups holding the class ·
 * n_group,class). Under these weights a sample's group says nothing about its class (among
 * the groups that hold the class), so a model cannot learn a class from traits of the group
 * that one group over-represents. With one group every weight is 1.
 */
export function groupEvenWeights(y: ArrayLike<Label>, groups: ArrayLike<Label>): Float64Array {
  if (y.length !== groups.length)
    throw new UsageError(`groupEvenWeights: ${y.length} labels but ${groups.length} groups`);
  const key = (i: number) => `${y[i]}\u0000${groups[i]}`;
  const perClass = new Map<Label, number>();
  const perCell = new Map<string, number>();
  const groupsOfClass = new Map<Label, Set<Label>>();
  for (let i = 0; i < y.length; i++) {
    perClass.set(y[i], (perClass.get(y[i]) ?? 0) + 1);
    perCell.set(key(i), (perCell.get(key(i)) ?? 0) + 1);
    if (!groupsOfClass.has(y[i])) groupsOfClass.set(y[i], new Set());
    groupsOfClass.get(y[i])!.add(groups[i]);
  }
  return Float64Array.from(
    { length: y.length },
    (_, i) => perClass.get(y[i])! / (groupsOfClass.get(y[i])!.size * perCell.get(key(i))!),
  );
}
