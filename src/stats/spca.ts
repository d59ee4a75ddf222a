/**
 * Sparse PCA by the Zou–Hastie–Tibshirani (2006) algorithm with a fixed number of non-zero
 * loadings per component, as R elasticnet's `spca(type = "Gram", sparse = "varnum")` and
 * its Python port in drcme (`spca_zht`), which Gouwens et al. 2020 ran per feature family.
 * Alternates elastic-net regressions (LARS-EN stopped at k variables) for the loadings B
 * with a Procrustes update A = polar(XᵀX B) until B stops changing.
 */
import { EigenvalueDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';
import { UsageError } from '../core/errors.js';
import { larsEnVarnum } from './lars-en.js';

export interface SparsePcaOptions {
  components: number;
  /** Non-zero loadings of each component (length = components). */
  nonZero: number[];
  /** Ridge weight of the elastic net (elasticnet's default 1e-6). */
  lambda?: number;
  maxIter?: number;
  /** Convergence: largest change of a normalised loading between iterations. */
  tolerance?: number;
}

export interface SparsePcaJson {
  /** p × K, unit-length columns. */
  loadings: number[][];
  /** elasticnet's `pev`: variance explained by each component after removing what the earlier (correlated) components explain, over the total variance. */
  adjustedVariance: number[];
  totalVariance: number;
  /** Column means of the training data (data input only; projections subtract them). */
  means: number[] | null;
  iterations: number;
  converged: boolean;
}

/** A fitted sparse PCA (estimator shape: fit… → transform / toJSON, as scikit-learn's). */
export class SparsePca implements SparsePcaJson {
  readonly loadings: number[][];
  readonly adjustedVariance: number[];
  readonly totalVariance: number;
  readonly means: number[] | null;
  readonly iterations: number;
  readonly converged: boolean;

  constructor(j: SparsePcaJson) {
    this.loadings = j.loadings;
    this.adjustedVariance = j.adjustedVariance;
    this.totalVariance = j.totalVariance;
    this.means = j.means;
    this.iterations = j.iterations;
    this.converged = j.converged;
  }

  /** Scores of new samples: (x − training means) · loadings. */
  transform(data: number[][]): number[][] {
    const p = this.loadings.length;
    return data.map((row, i) => {
      if (row.length !== p)
        throw new UsageError(
          `SparsePca.transform: row ${i} has ${row.length} values, the model ${p}`,
        );
      const centred = row.map((v, j) => v - (this.means ? this.means[j] : 0));
      return this.loadings[0].map((_, c) =>
        centred.reduce((s, v, j) => s + v * this.loadings[j][c], 0),
      );
    });
  }

  /** Indices of the components whose adjusted explained variance reaches `minimum` (Gouwens 2020: 1 %). */
  componentsAbove(minimum = 0.01): number[] {
    return this.adjustedVariance.flatMap((v, c) => (v >= minimum ? [c] : []));
  }

  toJSON(): SparsePcaJson {
    const { loadings, adjustedVariance, totalVariance, means, iterations, converged } = this;
    return { loadings, adjustedVariance, totalVariance, means, iterations, converged };
  }

  static fromJSON(j: SparsePcaJson): SparsePca {
    return new SparsePca(j);
  }
}

/** Fits sparse PCA to a data matrix (rows = samples; centred here) or to a Gram/correlation matrix. */
export function fitSparsePca(
  input: { data: number[][] } | { gram: number[][] },
  o: SparsePcaOptions,
): SparsePca {
  let gram: number[][];
  let means: number[] | null = null;
  if ('data' in input) {
    const x = input.data;
    if (x.length < 2) throw new UsageError('fitSparsePca: need at least 2 samples');
    const p = x[0].length;
    if (x.some((r) => r.length !== p)) throw new UsageError('fitSparsePca: ragged data rows');
    means = Array.from({ length: p }, (_, j) => x.reduce((s, r) => s + r[j], 0) / x.length);
    const centred = new Matrix(x.map((r) => r.map((v, j) => v - means![j])));
    gram = centred.transpose().mmul(centred).to2DArray();
  } else {
    gram = input.gram;
    if (gram.some((r) => r.length !== gram.length))
      throw new UsageError(
        `fitSparsePca: the Gram matrix must be square, got ${gram.length} rows of ${gram[0]?.length}`,
      );
  }
  const p = gram.length;
  const K = o.components;
  if (o.nonZero.length !== K)
    throw new UsageError(
      `fitSparsePca: nonZero has ${o.nonZero.length} entries for ${K} components`,
    );
  if (K < 1 || K > p) throw new UsageError(`fitSparsePca: components must be 1..${p}, got ${K}`);
  for (const k of o.nonZero)
    if (!Number.isInteger(k) || k < 1 || k > p)
      throw new UsageError(
        `fitSparsePca: each nonZero must be a whole number in 1..${p}, got ${k}`,
      );
  const lambda = o.lambda ?? 1e-6;
  const maxIter = o.maxIter ?? 200;
  const tolerance = o.tolerance ?? 1e-3;

  // elasticnet works on X = rootmatrix(G); only XᵀX = G⁺ (negative eigenvalues clipped) is needed.
  const evd = new EigenvalueDecomposition(gram, { assumeSymmetric: true });
  const order = evd.realEigenvalues.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]);
  const vectors = evd.eigenvectorMatrix;
  const clipped = order.map(([v]) => Math.max(0, v));
  const g = reconstruct(
    vectors,
    order.map(([, i]) => i),
    clipped,
  );
  const totalVariance = clipped.reduce((a, b) => a + b, 0);

  // Start from the leading principal axes.
  let alpha = Array.from({ length: K }, (_, c) =>
    Array.from({ length: p }, (_, r) => vectors.get(r, order[c][1])),
  );
  const solveAll = () => alpha.map((a, c) => larsEnVarnum(g, multiply(g, a), lambda, o.nonZero[c]));
  let beta = solveAll();
  let previous = beta.map(normalised);
  let iterations = 0;
  let diff = 1;
  while (iterations < maxIter && diff > tolerance) {
    // Procrustes: A = U Vᵀ from the thin SVD of G B.
    const gb = new Matrix(beta.map((b) => multiply(g, b))).transpose(); // p × K
    const svd = new SingularValueDecomposition(gb, { autoTranspose: true });
    const polar = svd.leftSingularVectors.mmul(svd.rightSingularVectors.transpose());
    alpha = Array.from({ length: K }, (_, c) => polar.getColumn(c));
    beta = solveAll();
    const current = beta.map(normalised);
    diff = 0;
    current.forEach((b, c) =>
      b.forEach((v, r) => (diff = Math.max(diff, Math.abs(v - previous[c][r])))),
    );
    previous = current;
    iterations++;
  }
  const loadingsByComponent = beta.map(normalised);
  // pev: diag(R)² of the QR of X B, i.e. of the Cholesky factor of Bᵀ G B, over the total.
  const btgb = loadingsByComponent.map((a) =>
    loadingsByComponent.map((b) => dot(a, multiply(g, b))),
  );
  const adjustedVariance = choleskyDiagonalSquared(btgb).map((v) => v / totalVariance);
  return new SparsePca({
    loadings: Array.from({ length: p }, (_, r) => loadingsByComponent.map((b) => b[r])),
    adjustedVariance,
    totalVariance,
    means,
    iterations,
    converged: diff <= tolerance,
  });
}

function reconstruct(vectors: Matrix, columns: number[], values: number[]): number[][] {
  const p = vectors.rows;
  const out = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  columns.forEach((col, k) => {
    for (let i = 0; i < p; i++)
      for (let j = 0; j < p; j++)
        out[i][j] += vectors.get(i, col) * values[k] * vectors.get(j, col);
  });
  return out;
}

function multiply(m: number[][], v: number[]): number[] {
  return m.map((row) => dot(row, v));
}

function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function normalised(v: number[]): number[] {
  const n = Math.sqrt(dot(v, v)) || 1;
  return v.map((x) => x / n);
}

/** Squared diagonal of the Cholesky factor (0 for columns dependent on earlier ones). */
function choleskyDiagonalSquared(a: number[][]): number[] {
  const n = a.length;
  const l = a.map(() => new Array<number>(n).fill(0));
  const out = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      if (i === j) {
        out[i] = Math.max(0, s);
        l[i][i] = Math.sqrt(out[i]);
      } else l[i][j] = l[j][j] > 0 ? s / l[j][j] : 0;
    }
  }
  return out;
}
