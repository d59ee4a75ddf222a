/**
 * The baseline every cell-type classification is shown beside: multinomial logistic
 * regression (scikit-learn's defaults: L2, C = 1) on log1p(counts per 10,000) of the genes
 * both corpora express through the shared vocabulary, z-scored with the training cells'
 * statistics. Strong on cross-species transfer, cheap, and what a reviewer asks for first.
 * With `features: 'rank-value'` the same model reads what the encoder reads instead (each
 * gene's position in the cell's rank-value tokens): the gap between the two separates what
 * the encoding discards from what the encoder fails to learn.
 */
import { fitMultinomialLogistic } from '../../../stats/multinomial-logistic.js';
import { fitStandardScaler } from '../../../stats/scaler.js';
import { UsageError } from '../../../core/errors.js';
import type { TokenCorpus } from '../corpus/corpus-files.js';
import {
  logCp10k,
  rankValueRows,
  tokensExpressedInAll,
  type TokenExpression,
} from '../corpus/expression.js';

export const LINEAR_FEATURES = ['log-cp10k', 'rank-value'] as const;
export type LinearFeatures = (typeof LINEAR_FEATURES)[number];

export interface LinearBaselineOptions {
  /** Inverse L2 strength (scikit-learn's C); default 1. */
  C?: number;
  /** Test cells to predict (default: all). */
  testCells?: number[];
  /** Feature rows: log1p CP10k of the counts (default) or the rank-value positions. */
  features?: LinearFeatures;
  /** The tokenized corpora, which `features: 'rank-value'` reads. */
  corpora?: { train: TokenCorpus; test: TokenCorpus };
  /** A weight per training cell, in `trainCells` order (e.g. stats' groupEvenWeights). */
  sampleWeights?: ArrayLike<number>;
}

export interface LinearBaselineResult {
  /** Predicted class of every test cell. */
  predicted: string[];
  /** Genes (tokens) used as features. */
  genes: number;
  fit: { iterations: number; converged: boolean };
}

export function linearBaseline(
  train: TokenExpression,
  trainCells: number[],
  trainLabels: string[],
  test: TokenExpression,
  o: LinearBaselineOptions = {},
): LinearBaselineResult {
  const tokens = tokensExpressedInAll([train, test]);
  const testCells = o.testCells ?? Array.from({ length: test.totals.length }, (_, i) => i);
  const corpora = o.corpora;
  if (o.features === 'rank-value' && !corpora)
    throw new UsageError('option `corpora`: rank-value features need the tokenized corpora');
  const rows =
    o.features === 'rank-value'
      ? (which: 'train' | 'test', cells: number[]) => rankValueRows(corpora![which], cells, tokens)
      : (which: 'train' | 'test', cells: number[]) =>
          logCp10k(which === 'train' ? train : test, cells, tokens);
  const x = rows('train', trainCells);
  const scaler = fitStandardScaler(x, tokens.length);
  const model = fitMultinomialLogistic(scaler.transform(x), trainLabels, {
    C: o.C ?? 1,
    sampleWeight: o.sampleWeights,
  });
  const predicted = model.predict(scaler.transform(rows('test', testCells)));
  return { predicted, genes: tokens.length, fit: model.fit };
}
