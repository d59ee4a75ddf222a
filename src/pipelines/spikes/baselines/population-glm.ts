/**
 * The population GLM: history filters that do not depend on which unit is which, the
 * carrier of transfer between sessions that share no neurons. For unit u at bin t,
 *   logit p = b_u + Σ_w a_w log(1 + own_w) + Σ_w c_w log(1 + others_w / scale_w),
 * own_w and others_w: unit u's and the other units' spike counts in the dyadic windows of
 * lags 1, 2–3, 4–7, … up to `maxLag` − 1 (the multi-scale GLM's windows, reaching further
 * back: retinal and cultured networks burst on a scale of hundreds of milliseconds).
 * One filter (a, c) is shared by all units; each unit keeps its intercept b_u. The population
 * count is divided by its mean on the raster the scales come from (`scale_w`), so it is a
 * relative rate and means the same in a session with 14 electrodes as in one with 128 units.
 * Applied to another session, the filters stay and `rescaledTo` takes the target's scales
 * (from its validation split); the intercepts are refitted there by the transfer calibration.
 * Fitted by Newton's method with per-unit intercepts (stats/grouped-logistic-newton.ts).
 */
import { InputError, UsageError } from '../../../core/errors.js';
import { fitGroupedLogisticNewton } from '../../../stats/grouped-logistic-newton.js';
import { sigmoid } from '../../../stats/logistic-newton.js';
import { unitRates, withPast, type BinaryRaster } from '../data/raster.js';
import { CumulativeCounts, dyadicWindows } from './multiscale-glm.js';

export interface PopulationGlmOptions {
  /** Windows are [1,1], [2,3], … up to `maxLag` − 1 (a power of two ≥ 2). */
  maxLag: number;
  /** L2 penalty on the shared filter; the per-unit intercepts are not penalised. */
  l2: number;
  maxIterations: number;
}

export const DEFAULT_POPULATION_GLM: PopulationGlmOptions = {
  maxLag: 1024,
  l2: 1,
  maxIterations: 50,
};

/** A population GLM's logits in two parts (see `PopulationGlm.logitParts`). */
export interface PopulationLogits {
  self: Float32Array;
  network: Float32Array;
}

export interface PopulationGlmJson {
  kind: 'population-glm';
  options: PopulationGlmOptions;
  units: number;
  /** Own-window weights, then population-window weights (shared by all units). */
  weights: number[];
  intercepts: number[];
  /** Mean other-unit count per window on the raster the model is scaled to. */
  scales: number[];
}

/**
 * Mean count of the other units in each window, over the bins of `r` whose windows lie
 * inside it (all bins when it is shorter than the longest window); 1 when `r` is silent.
 */
export function populationScales(r: BinaryRaster, windows: [number, number][]): Float64Array {
  const counts = new CumulativeCounts(r);
  const last = windows[windows.length - 1][1];
  const from = r.bins > last ? last : 0;
  const scales = new Float64Array(windows.length);
  const share = r.units > 1 ? (r.units - 1) / r.units : 1;
  windows.forEach(([first, lastLag], w) => {
    let sum = 0;
    for (let t = from; t < r.bins; t++) sum += counts.allInWindow(t, first, lastLag);
    const mean = (share * sum) / Math.max(1, r.bins - from);
    scales[w] = mean > 0 ? mean : 1;
  });
  return scales;
}

/**
 * The features of one raster: for (u, t), log(1 + own counts), then log(1 + others / scale).
 * Counts are integers, so both transforms are read from tables built once (the same
 * Math.log1p values, without 20 logarithms per unit and bin in every Newton pass).
 */
class PopulationFeatures {
  private readonly counts: CumulativeCounts;
  private readonly ownLog: Float64Array;
  private readonly othersLog: Float64Array[];

  constructor(
    raster: BinaryRaster,
    private readonly windows: [number, number][],
    scales: Float64Array,
  ) {
    this.counts = new CumulativeCounts(raster);
    const longest = windows[windows.length - 1][1] - windows[windows.length - 1][0] + 1;
    this.ownLog = Float64Array.from({ length: longest + 1 }, (_, c) => Math.log1p(c));
    this.othersLog = windows.map(([first, last], w) => {
      let most = 0;
      for (let t = 0; t < raster.bins; t++)
        most = Math.max(most, this.counts.allInWindow(t, first, last));
      return Float64Array.from({ length: most + 1 }, (_, c) => Math.log1p(c / scales[w]));
    });
  }

  fill(u: number, t: number, x: Float64Array): void {
    this.counts.fill(u, t, this.windows, x);
    const W = this.windows.length;
    for (let w = 0; w < W; w++) {
      x[w] = this.ownLog[x[w]];
      x[W + w] = this.othersLog[w][x[W + w]];
    }
  }
}

/** A population GLM's probabilities from its two logit parts (summed). */
export function populationProbabilities(p: PopulationLogits): Float32Array {
  const out = new Float32Array(p.self.length);
  for (let i = 0; i < out.length; i++) out[i] = sigmoid(p.self[i] + p.network[i]);
  return out;
}

export class PopulationGlm {
  readonly windows: [number, number][];

  constructor(
    readonly options: PopulationGlmOptions,
    readonly units: number,
    /** 2 × windows: own then population weights, shared by all units. */
    readonly weights: Float64Array,
    readonly intercepts: Float64Array,
    readonly scales: Float64Array,
    readonly fitInfo: { iterations: number; converged: boolean } | null = null,
  ) {
    this.windows = dyadicWindows(options.maxLag);
  }

  /** The same filters and intercepts, the population scaled as on `r` (e.g. a target's validation split). */
  rescaledTo(r: BinaryRaster): PopulationGlm {
    return new PopulationGlm(
      this.options,
      this.units,
      this.weights,
      this.intercepts,
      populationScales(r, this.windows),
    );
  }

  /**
   * The logits of bins [firstBin, target.bins) of `target` (bins × units), past from
   * `history`, in two parts that sum to the logit: `self`, the unit's intercept and its own
   * history terms, and `network`, the other units' terms. Transfer calibrates the two with a
   * slope each: how far the source's own-history (refractoriness, bursting) and its network
   * effects hold on the target are separate questions.
   */
  logitParts(
    target: BinaryRaster,
    firstBin = 0,
    history: BinaryRaster | null = null,
  ): PopulationLogits {
    if (target.units !== this.units)
      throw new UsageError(
        `population GLM fitted on ${this.units} units cannot score ${target.units}`,
      );
    const { full, offset } = withPast(target, history, this.options.maxLag);
    const features = new PopulationFeatures(full, this.windows, this.scales);
    const U = this.units;
    const W = this.windows.length;
    const x = new Float64Array(2 * W);
    const self = new Float32Array((target.bins - firstBin) * U);
    const network = new Float32Array(self.length);
    for (let u = 0; u < U; u++) {
      for (let t = firstBin; t < target.bins; t++) {
        features.fill(u, t + offset, x);
        let own = this.intercepts[u];
        let others = 0;
        for (let k = 0; k < W; k++) {
          own += this.weights[k] * x[k];
          others += this.weights[W + k] * x[W + k];
        }
        self[(t - firstBin) * U + u] = own;
        network[(t - firstBin) * U + u] = others;
      }
    }
    return { self, network };
  }

  /** Logits, laid out as `logitParts`. */
  logits(target: BinaryRaster, firstBin = 0, history: BinaryRaster | null = null): Float32Array {
    const { self, network } = this.logitParts(target, firstBin, history);
    for (let i = 0; i < self.length; i++) self[i] += network[i];
    return self;
  }

  /** Spike probabilities, laid out as `logits`. */
  predict(target: BinaryRaster, firstBin = 0, history: BinaryRaster | null = null): Float32Array {
    return populationProbabilities(this.logitParts(target, firstBin, history));
  }

  toJSON(): PopulationGlmJson {
    return {
      kind: 'population-glm',
      options: this.options,
      units: this.units,
      weights: Array.from(this.weights),
      intercepts: Array.from(this.intercepts),
      scales: Array.from(this.scales),
    };
  }

  static fromJSON(json: unknown, file = 'population GLM'): PopulationGlm {
    const j = json as Partial<PopulationGlmJson>;
    if (j?.kind !== 'population-glm' || !j.options || !Array.isArray(j.weights))
      throw new InputError(file, 'kind', 'expected a population GLM written by neurobridge');
    const windows = dyadicWindows(j.options.maxLag).length;
    if (j.weights.length !== 2 * windows || j.scales?.length !== windows)
      throw new InputError(
        file,
        'weights',
        `expected ${2 * windows} weights and ${windows} scales`,
      );
    const intercepts = Float64Array.from(j.intercepts ?? []);
    return new PopulationGlm(
      j.options,
      j.units ?? intercepts.length,
      Float64Array.from(j.weights),
      intercepts,
      Float64Array.from(j.scales),
    );
  }
}

/**
 * Fits the shared filter and the per-unit intercepts on every bin of `train` (bin 0 sees an
 * empty past). Units without a spike, or spiking in every bin, have no finite intercept: they
 * are left out of the fit and get half a spike's worth of rate (as in the multi-scale GLM).
 */
export function fitPopulationGlm(
  train: BinaryRaster,
  options: Partial<PopulationGlmOptions> = {},
): PopulationGlm {
  const o = { ...DEFAULT_POPULATION_GLM, ...options };
  const windows = dyadicWindows(o.maxLag);
  const scales = populationScales(train, windows);
  const features = new PopulationFeatures(train, windows, scales);
  const rates = unitRates(train);
  const U = train.units;
  const T = train.bins;
  const fitted = Array.from({ length: U }, (_, u) => u).filter((u) => rates[u] > 0 && rates[u] < 1);
  const intercepts = new Float64Array(U).fill(Math.log(0.5 / T));
  const weights = new Float64Array(2 * windows.length);
  if (fitted.length === 0) return new PopulationGlm(o, U, weights, intercepts, scales);
  const fit = fitGroupedLogisticNewton(
    {
      rows: fitted.length * T,
      groups: fitted.length,
      columns: weights.length,
      group: (i) => Math.floor(i / T),
      row: (i, x) => {
        const u = fitted[Math.floor(i / T)];
        const t = i % T;
        features.fill(u, t, x);
        return train.data[t * U + u];
      },
    },
    {
      l2: o.l2,
      maxIterations: o.maxIterations,
      initialIntercepts: Float64Array.from(fitted, (u) => Math.log(rates[u] / (1 - rates[u]))),
    },
  );
  fitted.forEach((u, g) => (intercepts[u] = fit.intercepts[g]));
  return new PopulationGlm(o, U, fit.weights, intercepts, scales, {
    iterations: fit.iterations,
    converged: fit.converged,
  });
}
