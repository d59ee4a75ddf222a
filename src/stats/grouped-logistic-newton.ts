/**
 * Logistic regression with one unpenalised intercept per group and weights shared by every
 * group (L2-penalised), fitted by Newton's method on streamed rows:
 *   Σ_i [ log(1 + e^{η_i}) − y_i η_i ] + (l2 / 2) ‖w‖²,   η_i = b_{g(i)} + w·x_i.
 * The population GLM uses it: each unit (group) keeps its own rate level, and the history
 * filters are one set for all units, so they do not depend on which unit is which.
 *
 * The Hessian [[D, C], [Cᵀ, A]] has a diagonal intercept block D (groups × groups), so each
 * Newton step solves the Schur complement (A − Cᵀ D⁻¹ C) δw = g_w − Cᵀ D⁻¹ g_b, then
 * δb = D⁻¹ (g_b − C δw): O(columns²) memory and work per row whatever the number of groups,
 * where the plain solver (logistic-newton.ts) would need a (groups + columns)² system.
 * Every group needs at least one row with label 1 and one with label 0 (finite intercept).
 */
import { solveSymmetricPositive, type LogisticOptions } from './logistic-newton.js';

export interface GroupedLogisticDesign {
  rows: number;
  groups: number;
  /** Columns of x (the shared weights), without the intercepts. */
  columns: number;
  /** Group of row i (0 ≤ group < groups). */
  group(i: number): number;
  /** Writes row i's features into x and returns its label (0 or 1). */
  row(i: number, x: Float64Array): number;
}

export interface GroupedLogisticFit {
  weights: Float64Array;
  intercepts: Float64Array;
  iterations: number;
  objective: number;
  converged: boolean;
}

export function fitGroupedLogisticNewton(
  design: GroupedLogisticDesign,
  o: Omit<LogisticOptions, 'initialIntercept' | 'tolerance'> & {
    initialIntercepts?: Float64Array;
    /** Stop when the Newton decrement λ²/2 is below this fraction of the objective. */
    tolerance?: number;
  },
): GroupedLogisticFit {
  const { groups: G, columns: K } = design;
  const maxIterations = o.maxIterations ?? 50;
  // Relative to the objective: with 10⁷ rows its rounding noise is far above any absolute
  // tolerance, and a Newton step that cannot decrease it must count as convergence.
  const tolerance = o.tolerance ?? 1e-12;
  const x = new Float64Array(K);

  /** Objective, gradients and Hessian blocks at (b, w), one pass over the rows. */
  const evaluate = (b: Float64Array, w: Float64Array) => {
    const gb = new Float64Array(G);
    const gw = new Float64Array(K);
    const D = new Float64Array(G);
    const C = new Float64Array(G * K);
    const A = new Float64Array(K * K);
    let f = 0;
    for (let i = 0; i < design.rows; i++) {
      const y = design.row(i, x);
      const g = design.group(i);
      let eta = b[g];
      for (let k = 0; k < K; k++) eta += w[k] * x[k];
      const e = Math.exp(-Math.abs(eta));
      f += (eta > 0 ? eta + Math.log1p(e) : Math.log1p(e)) - y * eta;
      const p = eta >= 0 ? 1 / (1 + e) : e / (1 + e);
      const r = p - y;
      const s = p * (1 - p);
      gb[g] += r;
      D[g] += s;
      const rowC = g * K;
      for (let a = 0; a < K; a++) {
        const xa = x[a];
        if (xa === 0) continue;
        gw[a] += r * xa;
        const sa = s * xa;
        C[rowC + a] += sa;
        const rowA = a * K;
        for (let c = a; c < K; c++) A[rowA + c] += sa * x[c];
      }
    }
    let penalty = 0;
    for (let k = 0; k < K; k++) {
      penalty += w[k] * w[k];
      gw[k] += o.l2 * w[k];
      A[k * K + k] += o.l2;
    }
    for (let a = 0; a < K; a++) for (let c = 0; c < a; c++) A[a * K + c] = A[c * K + a];
    return { objective: f + 0.5 * o.l2 * penalty, gb, gw, D, C, A };
  };

  const b = o.initialIntercepts ? Float64Array.from(o.initialIntercepts) : new Float64Array(G);
  const w = new Float64Array(K);
  let at = evaluate(b, w);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    // Schur complement S = A − Cᵀ D⁻¹ C and right-hand side h = g_w − Cᵀ D⁻¹ g_b.
    const S = Float64Array.from(at.A);
    const h = Float64Array.from(at.gw);
    for (let g = 0; g < G; g++) {
      const inv = 1 / at.D[g];
      const row = at.C.subarray(g * K, g * K + K);
      for (let a = 0; a < K; a++) {
        const ca = row[a] * inv;
        h[a] -= ca * at.gb[g];
        for (let c = 0; c < K; c++) S[a * K + c] -= ca * row[c];
      }
    }
    const dw = solveSymmetricPositive(S, h, K);
    const db = new Float64Array(G);
    for (let g = 0; g < G; g++) {
      let v = at.gb[g];
      for (let a = 0; a < K; a++) v -= at.C[g * K + a] * dw[a];
      db[g] = v / at.D[g];
    }
    let decrement = 0;
    for (let g = 0; g < G; g++) decrement += db[g] * at.gb[g];
    for (let a = 0; a < K; a++) decrement += dw[a] * at.gw[a];
    if (decrement / 2 < tolerance * Math.max(1, Math.abs(at.objective))) {
      converged = true;
      break;
    }
    // Step halving (Armijo), at most 10 halvings: each costs a pass over the rows.
    let moved = false;
    const nb = new Float64Array(G);
    const nw = new Float64Array(K);
    for (let t = 1; t >= 1 / 1024 && !moved; t /= 2) {
      for (let g = 0; g < G; g++) nb[g] = b[g] - t * db[g];
      for (let a = 0; a < K; a++) nw[a] = w[a] - t * dw[a];
      const trial = evaluate(nb, nw);
      if (trial.objective <= at.objective - 1e-4 * t * decrement) {
        b.set(nb);
        w.set(nw);
        at = trial;
        moved = true;
      }
    }
    if (!moved) {
      // No step decreases the objective: at the optimum to rounding.
      converged = true;
      break;
    }
  }
  return { weights: w, intercepts: b, iterations, objective: at.objective, converged };
}
