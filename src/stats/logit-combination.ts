/**
 * Recalibration of binary predictions on held-out labels, in logit space:
 *
 *   η[t, u] = b_u + Σ_k a_k · z_k[t, u]
 *
 * where z_k are the logits of K prediction streams over bins × units (row-major), a_k slopes
 * shared by every unit, and b_u per-unit offsets (or none). With K = 1 and offsets it is the
 * transfer calibration of a model applied to a session whose neurons it never saw (the offsets
 * carry each target unit's rate, the slope how far the source's temporal structure holds);
 * with K ≥ 2 and no offsets it is a stack of models whose weights the held-out split chooses.
 *
 * Fitted by Newton's method on the penalised likelihood
 *   Σ [softplus(η) − y η] + (offsetL2 / 2) Σ_u b_u² + (l2 / 2) Σ_k (a_k − a0_k)².
 * Offsets are penalised towards 0 (a unit without a spike on the held-out split gets a finite
 * offset), slopes towards their start a0 (1 for one stream: "as the model said").
 * Hand-written: the Hessian has an arrowhead structure (a diagonal offset block plus K dense
 * columns) that lets one pass over 10⁷ bins × units cost O(K²) per entry; a general
 * logistic-regression package would build a dense (units + K)² Hessian per row.
 */
import { UsageError } from '../core/errors.js';
import { sigmoid, softplus, solveSymmetricPositive } from './logistic-newton.js';

export interface LogitCombination {
  /** One slope per stream. */
  slopes: number[];
  /** Per-unit offsets, or null when none were fitted. */
  offsets: number[] | null;
  iterations: number;
  converged: boolean;
}

export interface LogitCombinationOptions {
  /** Fit an offset per unit (default true). */
  offsets?: boolean;
  /** Starting slopes and the values the penalty pulls them to (default 1 / K each). */
  initialSlopes?: number[];
  /** Fit the slopes (default true); false keeps them at `initialSlopes` and fits offsets only. */
  fitSlopes?: boolean;
  /** Penalty weight (default 1, scikit-learn's C = 1). */
  l2?: number;
  /**
   * Penalty weight of the offsets (default `l2`). A transfer calibration makes it weak: a
   * target whose rates differ from the source's needs offsets far from 0 (2–3 logit units for
   * a tenfold rate), and at l2 = 1 the penalty then rivals the likelihood of a sparse
   * validation split, shrinks each unit's rate level and drags the slopes.
   */
  offsetL2?: number;
  maxIterations?: number;
}

/**
 * Probabilities are kept this far from 0 and 1 so their logits stay finite (float32 scores
 * saturate); Platt scaling (calibration.ts) uses the same logit.
 */
const EDGE = 1e-7;

export function logitOf(p: number): number {
  const q = Math.min(1 - EDGE, Math.max(EDGE, p));
  return Math.log(q / (1 - q));
}

/** Logits of a probability array (float32 is enough: they feed a sum of K terms). */
export function logitsOf(p: ArrayLike<number>): Float32Array {
  const out = new Float32Array(p.length);
  for (let i = 0; i < out.length; i++) out[i] = logitOf(p[i]);
  return out;
}

export function fitLogitCombination(
  streams: Float32Array[],
  labels: ArrayLike<number>,
  units: number,
  o: LogitCombinationOptions = {},
): LogitCombination {
  const K = streams.length;
  const n = labels.length;
  if (K === 0) throw new UsageError('fitLogitCombination: streams: expected at least one');
  for (const s of streams)
    if (s.length !== n)
      throw new UsageError(
        `fitLogitCombination: streams: a stream has ${s.length} values for ${n} labels`,
      );
  if (n % units !== 0)
    throw new UsageError(`fitLogitCombination: labels: ${n} are not bins × ${units} units`);
  const useOffsets = o.offsets ?? true;
  const U = useOffsets ? units : 0;
  const l2 = o.l2 ?? 1;
  const offsetL2 = o.offsetL2 ?? l2;
  const a0 = o.initialSlopes ?? streams.map(() => 1 / K);
  if (!useOffsets && o.fitSlopes === false)
    throw new UsageError(
      'fitLogitCombination: offsets, fitSlopes: nothing to fit (no offsets and fixed slopes)',
    );
  const S = o.fitSlopes === false ? 0 : K; // fitted slopes
  const d = U + S; // offsets first, then slopes
  const beta = new Float64Array(d);
  for (let k = 0; k < S; k++) beta[U + k] = a0[k];
  const slope = (b: Float64Array, k: number) => (S > 0 ? b[U + k] : a0[k]);
  const eta = (b: Float64Array, i: number) => {
    let e = U > 0 ? b[i % units] : 0;
    for (let k = 0; k < K; k++) e += slope(b, k) * streams[k][i];
    return e;
  };
  const objectiveAt = (b: Float64Array) => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const e = eta(b, i);
      f += softplus(e) - labels[i] * e;
    }
    let penalty = 0;
    let offsetPenalty = 0;
    for (let u = 0; u < U; u++) offsetPenalty += b[u] * b[u];
    for (let k = 0; k < S; k++) penalty += (b[U + k] - a0[k]) ** 2;
    return f + 0.5 * l2 * penalty + 0.5 * offsetL2 * offsetPenalty;
  };

  const gradient = new Float64Array(d);
  const hessian = new Float64Array(d * d);
  let objective = objectiveAt(beta);
  let iterations = 0;
  let converged = false;
  const maxIterations = o.maxIterations ?? 50;
  while (iterations < maxIterations) {
    iterations++;
    gradient.fill(0);
    hessian.fill(0);
    for (let i = 0; i < n; i++) {
      const e = eta(beta, i);
      const p = sigmoid(e);
      const r = p - labels[i];
      const w = p * (1 - p);
      const u = i % units;
      if (U > 0) {
        gradient[u] += r;
        hessian[u * d + u] += w;
      }
      for (let k = 0; k < S; k++) {
        const zk = streams[k][i];
        gradient[U + k] += r * zk;
        const wz = w * zk;
        if (U > 0) hessian[u * d + U + k] += wz;
        for (let m = k; m < S; m++) hessian[(U + k) * d + U + m] += wz * streams[m][i];
      }
    }
    for (let u = 0; u < U; u++) {
      gradient[u] += offsetL2 * beta[u];
      hessian[u * d + u] += offsetL2;
    }
    for (let k = 0; k < S; k++) {
      gradient[U + k] += l2 * (beta[U + k] - a0[k]);
      hessian[(U + k) * d + U + k] += l2;
    }
    for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) hessian[a * d + b] = hessian[b * d + a];
    const step = solveSymmetricPositive(hessian, gradient, d);
    let decrement = 0;
    for (let k = 0; k < d; k++) decrement += step[k] * gradient[k];
    // Quadratic convergence makes a tight tolerance cheap (one more pass over the data).
    if (decrement / 2 < 1e-13 * Math.max(1, Math.abs(objective))) {
      converged = true;
      break;
    }
    let t = 1;
    const candidate = new Float64Array(d);
    let moved = false;
    for (; t >= 1e-8; t /= 2) {
      for (let k = 0; k < d; k++) candidate[k] = beta[k] - t * step[k];
      const f = objectiveAt(candidate);
      if (f <= objective - 1e-4 * t * decrement) {
        beta.set(candidate);
        objective = f;
        moved = true;
        break;
      }
    }
    if (!moved) {
      // No step decreases the objective: at the optimum to rounding.
      converged = true;
      break;
    }
  }
  return {
    slopes: S > 0 ? Array.from(beta.subarray(U)) : [...a0],
    offsets: U > 0 ? Array.from(beta.subarray(0, U)) : null,
    iterations,
    converged,
  };
}

/** Probabilities σ(b_u + Σ_k a_k z_k) of a fitted combination. */
export function applyLogitCombination(
  c: LogitCombination,
  streams: Float32Array[],
  units: number,
): Float32Array {
  const n = streams[0].length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let e = c.offsets ? c.offsets[i % units] : 0;
    for (let k = 0; k < streams.length; k++) e += c.slopes[k] * streams[k][i];
    out[i] = sigmoid(e);
  }
  return out;
}
