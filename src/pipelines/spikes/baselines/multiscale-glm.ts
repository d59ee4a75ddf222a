/**
 * The multi-scale history GLM, the baseline a reviewer asks for first: for every unit a
 * logistic regression on its own spike counts and the other units' summed spike count in
 * dyadic windows of lags 1, 2–3, 4–7, …, up to `maxLag` bins before the predicted bin, plus
 * an intercept (Truccolo et al. 2005 with log-spaced history windows). Fitted per unit to
 * convergence by Newton's method on every train bin; features come from cumulative counts,
 * so memory is O(bins) for the whole fit, never bins × units × features.
 */
import { InputError, UsageError } from '../../../core/errors.js';
import { Rng } from '../../../core/random.js';
import { fitLogisticNewton, sigmoid } from '../../../stats/logistic-newton.js';
import { unitRates, withPast, type BinaryRaster } from '../data/raster.js';

export interface MultiScaleGlmOptions {
  /** Windows are [1,1], [2,3], [4,7], … up to `maxLag` − 1 (a power of two ≥ 2). */
  maxLag: number;
  /** L2 penalty on the weights (scikit-learn's C = 1 / l2); the intercept is not penalised. */
  l2: number;
  maxIterations: number;
}

export const DEFAULT_MULTISCALE_GLM: MultiScaleGlmOptions = {
  maxLag: 64,
  l2: 1,
  maxIterations: 50,
};

/** Dyadic history windows [first lag, last lag] reaching `maxLag` − 1 bins back. */
export function dyadicWindows(maxLag: number): [number, number][] {
  if (!Number.isInteger(Math.log2(maxLag)) || maxLag < 2)
    throw new UsageError(`GLM maxLag must be a power of two ≥ 2, got ${maxLag}`);
  const windows: [number, number][] = [];
  for (let a = 1; a < maxLag; a *= 2) windows.push([a, 2 * a - 1]);
  return windows;
}

/**
 * Cumulative spike counts of one raster: `own[u]` (per unit) and `all` (every unit), each of
 * length bins + 1 with cum[t] = spikes in bins [0, t).
 */
export class CumulativeCounts {
  readonly own: Int32Array[];
  readonly all: Int32Array;

  constructor(readonly raster: BinaryRaster) {
    const { bins, units, data } = raster;
    this.own = Array.from({ length: units }, () => new Int32Array(bins + 1));
    this.all = new Int32Array(bins + 1);
    for (let t = 0; t < bins; t++) {
      let total = 0;
      for (let u = 0; u < units; u++) {
        const v = data[t * units + u];
        this.own[u][t + 1] = this.own[u][t] + v;
        total += v;
      }
      this.all[t + 1] = this.all[t] + total;
    }
  }

  /** Spikes of every unit in the bins of lags first … last before bin t (none before bin 0). */
  allInWindow(t: number, first: number, last: number): number {
    const hi = t - first + 1;
    return hi > 0 ? this.all[hi] - this.all[Math.max(0, t - last)] : 0;
  }

  /**
   * Features of bin t for unit u into x: own counts per window, then the other units' counts
   * per window (lags before bin 0 count as empty).
   */
  fill(u: number, t: number, windows: [number, number][], x: Float64Array): void {
    const own = this.own[u];
    const W = windows.length;
    for (let w = 0; w < W; w++) {
      const hi = t - windows[w][0] + 1; // exclusive end of bins [t − last, t − first]
      const lo = t - windows[w][1];
      if (hi <= 0) {
        x[w] = 0;
        x[W + w] = 0;
        continue;
      }
      const from = lo < 0 ? 0 : lo;
      const mine = own[hi] - own[from];
      x[w] = mine;
      x[W + w] = this.all[hi] - this.all[from] - mine;
    }
  }
}

export interface MultiScaleGlmJson {
  kind: 'multiscale-glm';
  options: MultiScaleGlmOptions;
  units: number;
  /** Per unit: own-window weights, then population-window weights. */
  weights: number[][];
  intercepts: number[];
}

export class MultiScaleGlm {
  readonly windows: [number, number][];

  constructor(
    readonly options: MultiScaleGlmOptions,
    readonly units: number,
    /** [units][2 × windows]: own then population weights. */
    readonly weights: Float64Array[],
    readonly intercepts: Float64Array,
    /** Newton iterations per unit and whether each converged (empty when loaded from JSON). */
    readonly fitInfo: { iterations: number; converged: boolean }[] = [],
  ) {
    this.windows = dyadicWindows(options.maxLag);
  }

  get featureCount(): number {
    return 2 * this.windows.length;
  }

  /**
   * Logits for bins [firstBin, target.bins) of `target` (row-major × units), the past of its
   * first bins taken from the end of `history` (e.g. the split before it) when given.
   */
  logits(target: BinaryRaster, firstBin = 0, history: BinaryRaster | null = null): Float32Array {
    if (target.units !== this.units)
      throw new UsageError(`GLM fitted on ${this.units} units cannot score ${target.units}`);
    const { full, offset } = withPast(target, history, this.options.maxLag);
    const counts = new CumulativeCounts(full);
    const U = this.units;
    const x = new Float64Array(this.featureCount);
    const out = new Float32Array((target.bins - firstBin) * U);
    for (let u = 0; u < U; u++) {
      const w = this.weights[u];
      const b = this.intercepts[u];
      for (let t = firstBin; t < target.bins; t++) {
        counts.fill(u, t + offset, this.windows, x);
        let eta = b;
        for (let k = 0; k < x.length; k++) eta += w[k] * x[k];
        out[(t - firstBin) * U + u] = eta;
      }
    }
    return out;
  }

  /** Spike probabilities, laid out as `logits`. */
  predict(target: BinaryRaster, firstBin = 0, history: BinaryRaster | null = null): Float32Array {
    const z = this.logits(target, firstBin, history);
    for (let i = 0; i < z.length; i++) z[i] = sigmoid(z[i]);
    return z;
  }

  /**
   * Free-running sample of `bins` bins after an observed `seedWindow`: each bin's spikes are
   * Bernoulli draws from the GLM given the bins before it (observed, then sampled).
   */
  sample(seedWindow: BinaryRaster, bins: number, seed: number): BinaryRaster {
    const U = this.units;
    const total = seedWindow.bins + bins;
    const data = new Uint8Array(total * U);
    data.set(seedWindow.data);
    const counts = new CumulativeCounts({ bins: total, units: U, data });
    const rng = new Rng(seed);
    const x = new Float64Array(this.featureCount);
    for (let t = seedWindow.bins; t < total; t++) {
      let all = 0;
      for (let u = 0; u < U; u++) {
        counts.fill(u, t, this.windows, x);
        let eta = this.intercepts[u];
        for (let k = 0; k < x.length; k++) eta += this.weights[u][k] * x[k];
        const spike = rng.uniform() < sigmoid(eta) ? 1 : 0;
        data[t * U + u] = spike;
        // Cumulative counts through bin t, read when bin t + 1 is drawn.
        counts.own[u][t + 1] = counts.own[u][t] + spike;
        all += spike;
      }
      counts.all[t + 1] = counts.all[t] + all;
    }
    return { bins, units: U, data: data.slice(seedWindow.bins * U) };
  }

  toJSON(): MultiScaleGlmJson {
    return {
      kind: 'multiscale-glm',
      options: this.options,
      units: this.units,
      weights: this.weights.map((w) => Array.from(w)),
      intercepts: Array.from(this.intercepts),
    };
  }

  static fromJSON(json: unknown, file = 'GLM'): MultiScaleGlm {
    const j = json as Partial<MultiScaleGlmJson>;
    if (j?.kind !== 'multiscale-glm' || !j.options || !Array.isArray(j.weights))
      throw new InputError(file, 'kind', 'expected a multi-scale GLM written by neurobridge');
    const model = new MultiScaleGlm(
      j.options,
      j.units ?? j.weights.length,
      j.weights.map((w) => Float64Array.from(w)),
      Float64Array.from(j.intercepts ?? []),
    );
    if (model.weights.some((w) => w.length !== model.featureCount))
      throw new InputError(file, 'weights', `expected ${model.featureCount} weights per unit`);
    return model;
  }
}

/** Fits one logistic regression per unit on every bin of `train` (bin 0 sees an empty past). */
export function fitMultiScaleGlm(
  train: BinaryRaster,
  options: Partial<MultiScaleGlmOptions> = {},
  onUnit?: (done: number, total: number) => void,
): MultiScaleGlm {
  const o = { ...DEFAULT_MULTISCALE_GLM, ...options };
  const windows = dyadicWindows(o.maxLag);
  const counts = new CumulativeCounts(train);
  const rates = unitRates(train);
  const U = train.units;
  const weights: Float64Array[] = [];
  const intercepts = new Float64Array(U);
  const fitInfo: { iterations: number; converged: boolean }[] = [];
  for (let u = 0; u < U; u++) {
    if (rates[u] === 0) {
      // No spike to fit: the maximum-likelihood intercept is −∞. Use half a spike's worth
      // of rate instead, so the unit's few test spikes are not scored as impossible.
      weights.push(new Float64Array(2 * windows.length));
      intercepts[u] = Math.log(0.5 / train.bins);
      fitInfo.push({ iterations: 0, converged: true });
      onUnit?.(u + 1, U);
      continue;
    }
    const p = Math.min(1 - 1e-6, Math.max(1e-6, rates[u]));
    const fit = fitLogisticNewton(
      {
        rows: train.bins,
        columns: 2 * windows.length,
        row: (t, x) => {
          counts.fill(u, t, windows, x);
          return train.data[t * U + u];
        },
      },
      { l2: o.l2, maxIterations: o.maxIterations, initialIntercept: Math.log(p / (1 - p)) },
    );
    weights.push(fit.weights);
    intercepts[u] = fit.intercept;
    fitInfo.push({ iterations: fit.iterations, converged: fit.converged });
    onUnit?.(u + 1, U);
  }
  return new MultiScaleGlm(o, U, weights, intercepts, fitInfo);
}
