/**
 * Limited-memory BFGS (Nocedal & Wright 2006, algorithm 7.4: two-loop recursion) with a
 * backtracking Armijo line search, for smooth convex objectives such as penalised GLM
 * likelihoods. The objective is a callback, so its work can run anywhere (the coupled GLM
 * evaluates it with libtorch GEMMs). Hand-written: the npm optimisers found are either
 * unmaintained or gradient-free; this is 80 lines.
 */

export interface LbfgsOptions {
  memory?: number;
  maxIterations?: number;
  /** Stop when the objective's decrease over an iteration falls below this fraction of |f|. */
  relativeTolerance?: number;
  /**
   * Stop when max |gradient| falls below this fraction of its value at x0 (relative, so an
   * objective that is small everywhere, e.g. the likelihood of very sparse spikes per bin,
   * is not declared converged at its start).
   */
  gradientTolerance?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  converged: boolean;
}

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Minimises f from x0; `f(x, gradient)` returns f(x) and writes ∇f(x) into `gradient`. */
export function minimizeLbfgs(
  f: (x: Float64Array, gradient: Float64Array) => number,
  x0: Float64Array,
  o: LbfgsOptions = {},
): LbfgsResult {
  const m = o.memory ?? 10;
  const maxIterations = o.maxIterations ?? 200;
  const relTol = o.relativeTolerance ?? 1e-10;
  const gradTol = o.gradientTolerance ?? 1e-6;
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let value = f(x, g);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  let iterations = 0;
  let converged = false;
  const maxAbs = (v: Float64Array) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const gStart = maxAbs(g);
  while (iterations < maxIterations) {
    const gMax = maxAbs(g);
    if (gMax <= gradTol * gStart) {
      converged = true;
      break;
    }
    // Two-loop recursion: d = −H g.
    const d = Float64Array.from(g, (v) => -v);
    const alpha = new Array<number>(s.length);
    for (let k = s.length - 1; k >= 0; k--) {
      alpha[k] = rho[k] * dot(s[k], d);
      for (let i = 0; i < n; i++) d[i] -= alpha[k] * y[k][i];
    }
    const gamma =
      s.length > 0
        ? dot(s[s.length - 1], y[y.length - 1]) / dot(y[y.length - 1], y[y.length - 1])
        : 1 / Math.max(gMax, 1);
    for (let i = 0; i < n; i++) d[i] *= gamma;
    for (let k = 0; k < s.length; k++) {
      const beta = rho[k] * dot(y[k], d);
      for (let i = 0; i < n; i++) d[i] += (alpha[k] - beta) * s[k][i];
    }
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction (curvature pairs went stale): restart from steepest descent.
      s.length = y.length = rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i] / Math.max(gMax, 1);
      slope = dot(g, d);
    }
    let t = 1;
    const xNew = new Float64Array(n);
    const gNew = new Float64Array(n);
    let valueNew = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + t * d[i];
      valueNew = f(xNew, gNew);
      if (valueNew <= value + 1e-4 * t * slope) break;
      t /= 2;
    }
    iterations++;
    if (!(valueNew <= value)) break; // the line search failed: keep the best point
    const sk = new Float64Array(n);
    const yk = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sk[i] = xNew[i] - x[i];
      yk[i] = gNew[i] - g[i];
    }
    const sy = dot(sk, yk);
    if (sy > 1e-12) {
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
      if (s.length > m) {
        s.shift();
        y.shift();
        rho.shift();
      }
    }
    const decrease = value - valueNew;
    x = Float64Array.from(xNew);
    g = Float64Array.from(gNew);
    value = valueNew;
    if (decrease <= relTol * Math.abs(value)) {
      converged = true;
      break;
    }
  }
  return { x, value, iterations, converged };
}
