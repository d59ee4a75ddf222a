/**
 * Seeded, stratified partitions of labelled samples for cross-validation: k folds (each
 * class spread over the folds as evenly as its count allows, as scikit-learn's
 * StratifiedKFold) and fractional splits such as 60 / 20 / 20 train / val / test.
 */
import { UsageError } from '../core/errors.js';
import { Rng } from '../core/random.js';
import type { Label } from './classification.js';

/** Sample indices of each class, in first-appearance order of the classes, shuffled. */
function shuffledByClass(y: ArrayLike<Label>, rng: Rng): number[][] {
  const byClass = new Map<Label, number[]>();
  for (let i = 0; i < y.length; i++) {
    const list = byClass.get(y[i]);
    if (list) list.push(i);
    else byClass.set(y[i], [i]);
  }
  return [...byClass.values()].map((idx) => rng.permutation(idx.length).map((k) => idx[k]));
}

export interface Fold {
  train: number[];
  test: number[];
}

/** k stratified folds; every sample is in exactly one test set. */
export function stratifiedKFold(y: ArrayLike<Label>, k: number, seed = 0): Fold[] {
  if (!Number.isInteger(k) || k < 2)
    throw new UsageError(`stratifiedKFold: k must be ≥ 2, got ${k}`);
  if (y.length < k)
    throw new UsageError(`stratifiedKFold: ${y.length} samples cannot fill ${k} folds`);
  const rng = new Rng(seed);
  const testSets: number[][] = Array.from({ length: k }, () => []);
  // Deal each class round-robin, continuing where the previous class stopped, so fold sizes
  // differ by at most one overall as well as per class.
  let next = 0;
  for (const idx of shuffledByClass(y, rng)) {
    for (const i of idx) {
      testSets[next].push(i);
      next = (next + 1) % k;
    }
  }
  return testSets.map((test, f) => ({
    test: test.sort((a, b) => a - b),
    train: testSets.flatMap((t, g) => (g === f ? [] : t)).sort((a, b) => a - b),
  }));
}

/**
 * Splits samples by class into parts of the given fractions (summing to 1), e.g.
 * [0.6, 0.2, 0.2]; per class, part sizes are rounded and the remainder goes to the first part.
 */
export function stratifiedSplit(y: ArrayLike<Label>, fractions: number[], seed = 0): number[][] {
  const sum = fractions.reduce((a, b) => a + b, 0);
  if (fractions.some((f) => f < 0) || Math.abs(sum - 1) > 1e-9)
    throw new UsageError(`stratifiedSplit: fractions must be ≥ 0 and sum to 1, got ${fractions}`);
  const parts: number[][] = fractions.map(() => []);
  for (const idx of shuffledByClass(y, new Rng(seed))) {
    const sizes = fractions.map((f) => Math.round(f * idx.length));
    sizes[0] += idx.length - sizes.reduce((a, b) => a + b, 0);
    let at = 0;
    sizes.forEach((size, p) => {
      parts[p].push(...idx.slice(at, at + size));
      at += size;
    });
  }
  return parts.map((p) => p.sort((a, b) => a - b));
}
