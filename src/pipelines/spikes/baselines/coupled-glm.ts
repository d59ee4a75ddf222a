/**
 * The coupled GLM (Pillow et al. 2008): each unit's spike probability is a logistic function
 * of every unit's recent spikes (its own included) filtered through a raised-cosine basis on
 * a log time axis, plus an intercept, with an L2 penalty on the filters. All units are fitted
 * at once by L-BFGS on the full train split; the design (bins × units·bases) is shared by
 * every unit, so the likelihood and its gradient are two GEMMs, which run on libtorch.
 */
import { InputError, UsageError } from '../../../core/errors.js';
import { Tensor, noGrad, tidy } from '../../../engine/index.js';
import { minimizeLbfgs } from '../../../stats/lbfgs.js';
import { sliceBins, unitRates, withPast, type BinaryRaster } from '../data/raster.js';

export interface CoupledGlmOptions {
  /** Filters cover lags 1 … maxLag − 1 bins. */
  maxLag: number;
  /** Raised-cosine bases per filter. */
  bases: number;
  /** L2 penalty on the filter weights (on the summed log-likelihood, as C = 1 / l2). */
  l2: number;
  maxIterations: number;
}

export const DEFAULT_COUPLED_GLM: CoupledGlmOptions = {
  maxLag: 64,
  bases: 4,
  // On the IBL session's validation split, bits/spike: l2 0.01 → 0.20, 0.1 → 0.30, 1 → 0.20,
  // 10 → 0.03 (the multi-scale GLM: 0.23).
  l2: 0.1,
  maxIterations: 150,
};

/** Sum of each basis function over its lags. */
function basisSums(basis: Float64Array[]): Float64Array {
  const sums = new Float64Array(basis[0].length);
  for (const row of basis) row.forEach((v, k) => (sums[k] += v));
  return sums;
}

/**
 * The basis each design column uses, scaled to unit sum: features are then mean spike
 * counts per lag, of one scale for short and long filters, which L-BFGS needs (on raw
 * counts it had not converged after 150 iterations; scaled, it converges in about 100).
 */
function basisOf(o: CoupledGlmOptions): Float64Array[] {
  const basis = raisedCosineBasis(o.maxLag, o.bases);
  const sums = basisSums(basis);
  return basis.map((row) => row.map((v, k) => v / sums[k]));
}

/**
 * Raised-cosine bases on a log time axis (Pillow et al. 2008, makeBasis_PostSpike): peaks
 * evenly spaced in log(lag + 1) from lag 1 to maxLag / 2, each spanning ±2 peak spacings.
 * Returns [lag][basis] for lags 0 … maxLag − 1 (lag 0 is all zero: the current bin is unseen).
 */
export function raisedCosineBasis(maxLag: number, bases: number): Float64Array[] {
  if (bases < 1 || maxLag < 3)
    throw new UsageError('raised-cosine basis: need ≥ 1 basis, maxLag ≥ 3');
  const stretch = (t: number) => Math.log(t + 1);
  const first = stretch(1);
  const last = stretch(maxLag / 2);
  const spacing = bases > 1 ? (last - first) / (bases - 1) : last - first || 1;
  return Array.from({ length: maxLag }, (_, lag) =>
    Float64Array.from({ length: bases }, (_, k) => {
      if (lag === 0) return 0;
      const phase = ((stretch(lag) - (first + k * spacing)) * Math.PI) / spacing / 2;
      return (Math.cos(Math.max(-Math.PI, Math.min(Math.PI, phase))) + 1) / 2;
    }),
  );
}

/** Design rows for bins [from, r.bins): every unit's spikes filtered by every basis. */
function design(r: BinaryRaster, from: number, basis: Float64Array[]): Float32Array {
  const U = r.units;
  const K = basis[0].length;
  const L = basis.length;
  const rows = r.bins - from;
  const x = new Float32Array(rows * U * K);
  // Scatter each spike forward over the lags it informs (spikes are sparse: far fewer
  // operations than convolving every bin).
  for (let tau = Math.max(0, from - L + 1); tau < r.bins; tau++) {
    for (let v = 0; v < U; v++) {
      if (!r.data[tau * U + v]) continue;
      for (let lag = 1; lag < L; lag++) {
        const t = tau + lag;
        if (t < from) continue;
        if (t >= r.bins) break;
        const row = (t - from) * U * K + v * K;
        for (let k = 0; k < K; k++) x[row + k] += basis[lag][k];
      }
    }
  }
  return x;
}

export interface CoupledGlmJson {
  kind: 'coupled-glm';
  options: CoupledGlmOptions;
  units: number;
  /** As `CoupledGlm.weights`: [units × bases, units] row-major. */
  weights: number[];
  intercepts: number[];
  fitInfo: { iterations: number; converged: boolean };
}

export class CoupledGlm {
  constructor(
    readonly options: CoupledGlmOptions,
    readonly units: number,
    /** [units × bases, units] row-major: row v·bases + k, column u = unit v's basis k → unit u. */
    readonly weights: Float32Array,
    readonly intercepts: Float32Array,
    readonly fitInfo: { iterations: number; converged: boolean },
  ) {}

  /** Float32 weights through JSON numbers round-trip exactly: a reloaded GLM predicts the same. */
  toJSON(): CoupledGlmJson {
    return {
      kind: 'coupled-glm',
      options: this.options,
      units: this.units,
      weights: Array.from(this.weights),
      intercepts: Array.from(this.intercepts),
      fitInfo: this.fitInfo,
    };
  }

  static fromJSON(json: unknown, file = 'coupled GLM'): CoupledGlm {
    const j = json as Partial<CoupledGlmJson>;
    if (j?.kind !== 'coupled-glm' || !j.options || !Array.isArray(j.weights) || !j.units)
      throw new InputError(file, 'kind', 'expected a coupled GLM written by neurobridge');
    const expected = j.units * j.options.bases * j.units;
    if (j.weights.length !== expected)
      throw new InputError(
        file,
        'weights',
        `expected ${expected} weights, got ${j.weights.length}`,
      );
    return new CoupledGlm(
      j.options,
      j.units,
      Float32Array.from(j.weights),
      Float32Array.from(j.intercepts ?? []),
      j.fitInfo ?? { iterations: 0, converged: false },
    );
  }

  /** Probabilities for bins [firstBin, target.bins), the first bins' past from `history`. */
  predict(target: BinaryRaster, firstBin = 0, history: BinaryRaster | null = null): Float32Array {
    if (target.units !== this.units)
      throw new UsageError(
        `coupled GLM fitted on ${this.units} units cannot score ${target.units}`,
      );
    const { full, offset } = withPast(target, history, this.options.maxLag);
    const basis = basisOf(this.options);
    const D = this.units * basis[0].length;
    const out = new Float32Array((target.bins - firstBin) * this.units);
    const chunk = 20_000;
    for (let start = firstBin; start < target.bins; start += chunk) {
      const end = Math.min(target.bins, start + chunk);
      const x = design(sliceBins(full, 0, end + offset), start + offset, basis);
      const p = tidy(() =>
        noGrad(
          () =>
            Tensor.from(x, [end - start, D])
              .matmul(Tensor.from(this.weights, [D, this.units]))
              .add(Tensor.from(this.intercepts, [this.units]))
              .sigmoid()
              .toArray() as Float32Array,
        ),
      );
      out.set(p, (start - firstBin) * this.units);
    }
    return out;
  }
}

export function fitCoupledGlm(
  train: BinaryRaster,
  options: Partial<CoupledGlmOptions> = {},
): CoupledGlm {
  const o = { ...DEFAULT_COUPLED_GLM, ...options };
  const U = train.units;
  const T = train.bins;
  const basis = basisOf(o);
  const D = U * basis[0].length;
  // Jacobi preconditioning: L-BFGS works on columns scaled to unit root mean square, while
  // the penalty stays on the unit-sum weights (the objective is unchanged). Without it, the
  // filters of sparse units (features ~1e-4 on a retina session) never left zero.
  const raw = design(train, 0, basis);
  const rms = new Float64Array(D);
  for (let i = 0; i < raw.length; i++) rms[i % D] += raw[i] * raw[i];
  for (let d = 0; d < D; d++) rms[d] = rms[d] > 0 ? Math.sqrt(rms[d] / T) : 1;
  for (let i = 0; i < raw.length; i++) raw[i] /= rms[i % D];
  const X = Tensor.from(raw, [T, D]);
  const Y = Tensor.from(Float32Array.from(train.data), [T, U]);
  const Xt = X.transpose(0, 1).contiguous();
  const x0 = new Float64Array(D * U + U);
  // Intercepts start at each unit's log-odds: the fit starts at the rate model.
  unitRates(train).forEach((p, u) => {
    const q = Math.min(1 - 1e-6, Math.max(0.5 / T, p));
    x0[D * U + u] = Math.log(q / (1 - q));
  });
  // Objective per bin (sums scaled by 1/T keep L-BFGS's first step well sized).
  const objective = (params: Float64Array, gradient: Float64Array): number =>
    tidy(() =>
      noGrad(() => {
        const W = Tensor.from(Float32Array.from(params.subarray(0, D * U)), [D, U]);
        const b = Tensor.from(Float32Array.from(params.subarray(D * U)), [U]);
        const z = X.matmul(W).add(b);
        // Summed in float64: per-bin terms of sparse spikes are tiny, and a float32 sum over
        // millions of them rounds away the decreases the line search compares.
        const nll = z.softplus().sub(z.mul(Y)).to('float64').sum().item();
        const residual = z.sigmoid().sub(Y);
        const gW = Xt.matmul(residual).toArray() as Float32Array;
        const gb = residual.sum(0).toArray() as Float32Array;
        let penalty = 0;
        for (let i = 0; i < D * U; i++) {
          const w = params[i] / rms[Math.floor(i / U)]; // the unit-sum weight
          penalty += w * w;
          gradient[i] = (gW[i] + (o.l2 * w) / rms[Math.floor(i / U)]) / T;
        }
        for (let u = 0; u < U; u++) gradient[D * U + u] = gb[u] / T;
        return (nll + 0.5 * o.l2 * penalty) / T;
      }),
    );
  const fit = minimizeLbfgs(objective, x0, { maxIterations: o.maxIterations });
  for (const t of [X, Y, Xt]) t.dispose();
  return new CoupledGlm(
    o,
    U,
    Float32Array.from(fit.x.subarray(0, D * U), (v, i) => v / rms[Math.floor(i / U)]),
    Float32Array.from(fit.x.subarray(D * U)),
    { iterations: fit.iterations, converged: fit.converged },
  );
}
