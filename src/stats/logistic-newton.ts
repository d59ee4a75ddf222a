/**
 * L2-penalised logistic regression fitted to convergence by Newton's method (IRLS with a
 * step-halving line search), for designs with few columns and many rows. Rows are produced
 * by a callback, so memory is O(columns²) whatever the number of rows: the spike GLMs build
 * each row from cumulative spike counts instead of storing a bins × features matrix.
 *
 * Objective (scikit-learn's `LogisticRegression(C = 1 / l2)`, intercept unpenalised):
 *   Σ_i [ log(1 + e^{η_i}) − y_i η_i ] + (l2 / 2) ‖w‖²,   η_i = w·x_i + b.
 * Hand-written because no maintained npm package fits penalised logistic regression on
 * streamed rows (ml-logistic-regression is unpenalised gradient descent on an in-memory matrix).
 */

export interface LogisticDesign {
  rows: number;
  /** Columns of x, without the intercept. */
  columns: number;
  /** Writes row i's features into x (length `columns`) and returns its label (0 or 1). */
  row(i: number, x: Float64Array): number;
}

export interface LogisticOptions {
  /** Penalty on the weights (not the intercept); scikit-learn's C = 1 / l2. */
  l2: number;
  maxIterations?: number;
  /** Stop when the Newton decrement λ²/2 (the predicted objective decrease) is below this. */
  tolerance?: number;
  /** Starting intercept (e.g. the log-odds of the mean label: Newton then starts at the rate model). */
  initialIntercept?: number;
}

export interface LogisticFit {
  weights: Float64Array;
  intercept: number;
  iterations: number;
  /** Final penalised negative log-likelihood. */
  objective: number;
  converged: boolean;
}

/** log(1 + e^η) without overflow. */
export function softplus(eta: number): number {
  return eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
}

export function sigmoid(eta: number): number {
  return eta >= 0 ? 1 / (1 + Math.exp(-eta)) : Math.exp(eta) / (1 + Math.exp(eta));
}

export function fitLogisticNewton(design: LogisticDesign, o: LogisticOptions): LogisticFit {
  const d = design.columns + 1; // last coordinate = intercept
  const maxIterations = o.maxIterations ?? 50;
  const tolerance = o.tolerance ?? 1e-10;
  const beta = new Float64Array(d);
  beta[d - 1] = o.initialIntercept ?? 0;
  const x = new Float64Array(d);
  x[d - 1] = 1;
  const xRow = x.subarray(0, d - 1);

  /**
   * One pass over the rows at b: the penalised objective, its gradient and Hessian (upper
   * triangle, then mirrored). The line search's trial point gets the full pass: when it is
   * accepted (nearly always) its gradient and Hessian serve the next Newton step, so each
   * iteration reads the rows once instead of twice, with the same iterates.
   */
  const evaluate = (b: Float64Array) => {
    const gradient = new Float64Array(d);
    const hessian = new Float64Array(d * d);
    let f = 0;
    for (let i = 0; i < design.rows; i++) {
      const y = design.row(i, xRow);
      let eta = 0;
      for (let k = 0; k < d; k++) eta += b[k] * x[k];
      // softplus and sigmoid from one exp (the same values as the two functions give).
      const e = Math.exp(-Math.abs(eta));
      f += (eta > 0 ? eta + Math.log1p(e) : Math.log1p(e)) - y * eta;
      const p = eta >= 0 ? 1 / (1 + e) : e / (1 + e);
      const r = p - y;
      const w = p * (1 - p);
      for (let a = 0; a < d; a++) {
        const xa = x[a];
        if (xa === 0) continue; // history features are mostly zero: skip their rows
        gradient[a] += r * xa;
        const wa = w * xa;
        const rowA = a * d;
        for (let c = a; c < d; c++) hessian[rowA + c] += wa * x[c];
      }
    }
    let penalty = 0;
    for (let k = 0; k < d - 1; k++) penalty += b[k] * b[k];
    for (let a = 0; a < d - 1; a++) {
      gradient[a] += o.l2 * b[a];
      hessian[a * d + a] += o.l2;
    }
    for (let a = 0; a < d; a++) for (let c = 0; c < a; c++) hessian[a * d + c] = hessian[c * d + a];
    return { objective: f + 0.5 * o.l2 * penalty, gradient, hessian };
  };

  let at = evaluate(beta);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    const step = solveSymmetricPositive(at.hessian, at.gradient, d);
    let decrement = 0;
    for (let k = 0; k < d; k++) decrement += step[k] * at.gradient[k];
    if (decrement / 2 < tolerance) {
      converged = true;
      break;
    }
    // Step halving: Newton's full step can overshoot far from the optimum (rare units whose
    // spikes a feature almost separates).
    let t = 1;
    const candidate = new Float64Array(d);
    for (;;) {
      for (let k = 0; k < d; k++) candidate[k] = beta[k] - t * step[k];
      const trial = evaluate(candidate);
      if (trial.objective <= at.objective - 1e-4 * t * decrement || t < 1e-8) {
        beta.set(candidate);
        at = trial;
        break;
      }
      t /= 2;
    }
  }
  return {
    weights: beta.slice(0, d - 1),
    intercept: beta[d - 1],
    iterations,
    objective: at.objective,
    converged,
  };
}

/**
 * Solves A s = g for symmetric positive definite A (d × d, row-major) by Cholesky; a tiny
 * ridge is added if rounding leaves a pivot non-positive (a feature that never varies).
 */
export function solveSymmetricPositive(a: Float64Array, g: Float64Array, d: number): Float64Array {
  for (let ridge = 0; ; ridge = ridge === 0 ? 1e-10 : ridge * 100) {
    const l = new Float64Array(d * d);
    let ok = true;
    for (let i = 0; i < d && ok; i++) {
      for (let j = 0; j <= i; j++) {
        let s = a[i * d + j] + (i === j ? ridge : 0);
        for (let k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
        if (i === j) {
          if (!(s > 0)) {
            ok = false;
            break;
          }
          l[i * d + i] = Math.sqrt(s);
        } else l[i * d + j] = s / l[j * d + j];
      }
    }
    if (!ok) {
      if (ridge > 1e6) throw new Error('solveSymmetricPositive: matrix is not positive definite');
      continue;
    }
    const z = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let s = g[i];
      for (let k = 0; k < i; k++) s -= l[i * d + k] * z[k];
      z[i] = s / l[i * d + i];
    }
    const s = new Float64Array(d);
    for (let i = d - 1; i >= 0; i--) {
      let v = z[i];
      for (let k = i + 1; k < d; k++) v -= l[k * d + i] * s[k];
      s[i] = v / l[i * d + i];
    }
    return s;
  }
}
