/**
 * Multinomial logistic regression with an L2 penalty, as scikit-learn's LogisticRegression
 * (lbfgs, multinomial): minimises Σ cross-entropy + ‖W‖² / (2C), intercepts unpenalised.
 * Fitted by the project's L-BFGS (stats/lbfgs.ts). Dense rows; plain loops, which serve the
 * sizes it is used for (a linear baseline: ~10³ cells × ~10⁴ genes × ~10 classes).
 */
import { UsageError } from '../core/errors.js';
import { minimizeLbfgs } from './lbfgs.js';

export interface MultinomialLogisticOptions {
  /** Inverse penalty strength (scikit-learn's C). */
  C?: number;
  maxIterations?: number;
  /** A weight per row (scikit-learn's `sample_weight`): Σ wᵢ·cross-entropyᵢ + ‖W‖² / (2C). */
  sampleWeight?: ArrayLike<number>;
}

export interface MultinomialLogisticJson {
  classes: string[];
  /** classes × features. */
  coef: number[][];
  intercept: number[];
}

export class MultinomialLogistic {
  constructor(
    readonly classes: string[],
    /** Row-major classes × features. */
    readonly coef: Float64Array,
    readonly intercept: Float64Array,
    readonly features: number,
    readonly fit: { iterations: number; converged: boolean } = { iterations: 0, converged: true },
  ) {}

  /** Class probabilities of each row (rows × classes). */
  predictProba(rows: ArrayLike<number>[]): Float64Array[] {
    return rows.map((x) => softmax(this.scores(x)));
  }

  predict(rows: ArrayLike<number>[]): string[] {
    return rows.map((x) => {
      const s = this.scores(x);
      let best = 0;
      for (let c = 1; c < s.length; c++) if (s[c] > s[best]) best = c;
      return this.classes[best];
    });
  }

  private scores(x: ArrayLike<number>): Float64Array {
    const K = this.classes.length;
    const P = this.features;
    if (x.length !== P)
      throw new UsageError(`MultinomialLogistic: a row has ${x.length} features, the model ${P}`);
    const s = Float64Array.from(this.intercept);
    for (let c = 0; c < K; c++) {
      let v = 0;
      const w = c * P;
      for (let j = 0; j < P; j++) v += this.coef[w + j] * x[j];
      s[c] += v;
    }
    return s;
  }

  toJSON(): MultinomialLogisticJson {
    const P = this.features;
    return {
      classes: this.classes,
      coef: this.classes.map((_, c) => Array.from(this.coef.subarray(c * P, (c + 1) * P))),
      intercept: Array.from(this.intercept),
    };
  }

  static fromJSON(j: MultinomialLogisticJson): MultinomialLogistic {
    return new MultinomialLogistic(
      j.classes,
      Float64Array.from(j.coef.flat()),
      Float64Array.from(j.intercept),
      j.coef[0]?.length ?? 0,
    );
  }
}

/** Fits on `rows` (samples × features) with `labels`; classes are sorted as scikit-learn's. */
export function fitMultinomialLogistic(
  rows: ArrayLike<number>[],
  labels: readonly string[],
  o: MultinomialLogisticOptions = {},
): MultinomialLogistic {
  if (rows.length !== labels.length)
    throw new UsageError(`fitMultinomialLogistic: ${rows.length} rows but ${labels.length} labels`);
  const classes = [...new Set(labels)].sort();
  if (classes.length < 2) throw new UsageError('fitMultinomialLogistic: need at least 2 classes');
  const K = classes.length;
  const P = rows[0]?.length ?? 0;
  const y = labels.map((l) => classes.indexOf(l));
  const C = o.C ?? 1;
  const sw = o.sampleWeight;
  if (sw && sw.length !== rows.length)
    throw new UsageError(`fitMultinomialLogistic: ${rows.length} rows but ${sw.length} weights`);
  const objective = (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    const s = new Float64Array(K);
    for (let i = 0; i < rows.length; i++) {
      const x = rows[i];
      for (let c = 0; c < K; c++) {
        let v = theta[K * P + c];
        const w = c * P;
        for (let j = 0; j < P; j++) v += theta[w + j] * x[j];
        s[c] = v;
      }
      const p = softmax(s);
      const wi = sw ? sw[i] : 1;
      loss -= wi * Math.log(Math.max(p[y[i]], 1e-300));
      p[y[i]] -= 1; // p − onehot(y): the gradient of the cross-entropy w.r.t. the scores
      for (let c = 0; c < K; c++) {
        const d = wi * p[c];
        if (d === 0) continue;
        const w = c * P;
        for (let j = 0; j < P; j++) grad[w + j] += d * x[j];
        grad[K * P + c] += d;
      }
    }
    for (let k = 0; k < K * P; k++) {
      loss += (theta[k] * theta[k]) / (2 * C);
      grad[k] += theta[k] / C;
    }
    return loss;
  };
  const r = minimizeLbfgs(objective, new Float64Array(K * P + K), {
    maxIterations: o.maxIterations ?? 500,
    gradientTolerance: 1e-8,
    relativeTolerance: 1e-12,
  });
  return new MultinomialLogistic(classes, r.x.slice(0, K * P), r.x.slice(K * P), P, {
    iterations: r.iterations,
    converged: r.converged,
  });
}

function softmax(s: Float64Array): Float64Array {
  let max = -Infinity;
  for (const v of s) max = Math.max(max, v);
  let sum = 0;
  const p = Float64Array.from(s, (v) => {
    const e = Math.exp(v - max);
    sum += e;
    return e;
  });
  for (let c = 0; c < p.length; c++) p[c] /= sum;
  return p;
}
