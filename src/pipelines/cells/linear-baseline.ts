/**
 * The baseline every cell-type classification is shown beside: multinomial logistic
 * regression (scikit-learn's defaults: L2, C = 1) on log1p(counts per 10,000) of the genes
 * both corpora express through the shared vocabulary, z-scored with the training cells'
 * statistics. Strong on cross-species transfer, cheap, and what a reviewer asks for first.
 */
import { fitMultinomialLogistic } from '../../stats/multinomial-logistic.js';
import { fitStandardScaler } from '../../stats/scaler.js';
import { logCp10k, tokensExpressedInAll, type TokenExpression } from './expression.js';

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
  o: { C?: number; /** Test cells to predict (default: all). */ testCells?: number[] } = {},
): LinearBaselineResult {
  const tokens = tokensExpressedInAll([train, test]);
  const x = logCp10k(train, trainCells, tokens);
  const scaler = fitStandardScaler(x, tokens.length);
  const model = fitMultinomialLogistic(scaler.transform(x), trainLabels, { C: o.C ?? 1 });
  const testCells = o.testCells ?? Array.from({ length: test.totals.length }, (_, i) => i);
  const predicted = model.predict(scaler.transform(logCp10k(test, testCells, tokens)));
  return { predicted, genes: tokens.length, fit: model.fit };
}
