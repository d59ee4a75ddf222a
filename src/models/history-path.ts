/**
 * The GLM path of the spike transformer: the multi-scale history GLM written as a module, so
 * its logits can be added to the transformer's and trained with it. Position t of the input
 * predicts bin t + 1 from the unit's own and the other units' spike counts in dyadic windows
 * of lags [1,1], [2,3], [4,7], … before that bin (counts of bins before the window start are
 * missing, as they are for the first bins of a recording).
 *
 * Started from a GLM fitted by Newton's method (`loadGlm`) and a zero transformer head, the
 * model begins exactly at the GLM and training learns the residual; validation then selects
 * an epoch only when it beats the GLM on held-out likelihood.
 */
import { F, Module, Tensor, zeros } from '../engine/index.js';
import { UsageError } from '../core/errors.js';

/** The weights of a fitted multi-scale GLM (what `MultiScaleGlm.toJSON` holds). */
export interface GlmWeights {
  /** Per unit: own-window weights, then population-window weights. */
  weights: ArrayLike<number>[];
  intercepts: ArrayLike<number>;
}

/** HistoryPath's parameters as flat arrays (the tensors' row-major layouts). */
export interface HistoryWeights {
  own: Float32Array;
  population: Float32Array;
  coupling: Float32Array;
  bias: Float32Array;
}

export class HistoryPath extends Module {
  readonly windows: [number, number][] = [];
  /** [windows, units] */
  readonly own: Tensor;
  /** [windows, units] */
  readonly population: Tensor;
  /**
   * [windows, units, units]: coupling[w][v][u] weighs unit v's count in window w for unit u
   * (a coupled GLM on dyadic windows); starts at zero and is learned with the transformer.
   */
  readonly coupling: Tensor;
  /** [units] */
  readonly bias: Tensor;

  constructor(
    readonly units: number,
    readonly maxLag: number,
  ) {
    super();
    if (!Number.isInteger(Math.log2(maxLag)) || maxLag < 2)
      throw new UsageError(`history path: maxLag must be a power of two ≥ 2, got ${maxLag}`);
    for (let a = 1; a < maxLag; a *= 2) this.windows.push([a, 2 * a - 1]);
    const W = this.windows.length;
    this.own = this.registerParameter('own', zeros([W, units]));
    this.population = this.registerParameter('population', zeros([W, units]));
    this.coupling = this.registerParameter('coupling', zeros([W, units, units]));
    this.bias = this.registerParameter('bias', zeros([units]));
  }

  /** Copies a Newton-fitted GLM's weights in (same windows and units). */
  loadGlm(glm: GlmWeights): void {
    const W = this.windows.length;
    if (glm.weights.length !== this.units || glm.weights.some((w) => w.length !== 2 * W))
      throw new UsageError(
        `history path: expected ${this.units} units × ${2 * W} GLM weights (maxLag ${this.maxLag})`,
      );
    const own = new Float32Array(W * this.units);
    const pop = new Float32Array(W * this.units);
    glm.weights.forEach((w, u) => {
      for (let k = 0; k < W; k++) {
        own[k * this.units + u] = w[k];
        pop[k * this.units + u] = w[W + k];
      }
    });
    this.own.copy_(Tensor.from(own, [W, this.units]));
    this.population.copy_(Tensor.from(pop, [W, this.units]));
    this.bias.copy_(Tensor.from(Float32Array.from(glm.intercepts), [this.units]));
    this.coupling.fill_(0);
  }

  /** x: [B, T, units] (0/1) → logits [B, T, units] for bins 1 … T. */
  forward(x: Tensor): Tensor {
    const [B, T, U] = x.shape;
    // before[:, i] = spikes in bins [0, i) of the window, i = 0 … T.
    const before = F.cat([zeros([B, 1, U], x.dtype, x.device), x.cumsum(1)], 1);
    let logits = zeros([B, T, U], x.dtype, x.device).add(this.bias);
    this.windows.forEach(([first, last], w) => {
      // Position t predicts bin t + 1: window bins [t + 1 − last, t + 1 − first].
      const hi = Int32Array.from({ length: T }, (_, t) => Math.max(0, t + 2 - first));
      const lo = Int32Array.from({ length: T }, (_, t) => Math.max(0, t + 1 - last));
      const own = before
        .indexSelect(1, Tensor.from(hi, [T], 'int32').toDevice(x.device))
        .sub(before.indexSelect(1, Tensor.from(lo, [T], 'int32').toDevice(x.device)));
      const others = own.sum(2, true).sub(own);
      logits = logits
        .add(own.mul(this.own.select(0, w)))
        .add(others.mul(this.population.select(0, w)))
        .add(own.matmul(this.coupling.select(0, w)));
    });
    return logits;
  }

  /** The weights as JS arrays, for `nextLogits`. */
  weightArrays(): HistoryWeights {
    return {
      own: this.own.toArray() as Float32Array,
      population: this.population.toArray() as Float32Array,
      coupling: this.coupling.toArray() as Float32Array,
      bias: this.bias.toArray() as Float32Array,
    };
  }

  /**
   * The logits of the bin after `recent` (its last bins, oldest first, 0/1 per unit), as
   * `forward` gives them at its last position: what a cached decoder needs per generated bin.
   * Computed in JS from `weightArrays()` because the tensor path's ~60 small ops cost ~5 ms
   * per bin.
   */
  nextLogits(recent: ArrayLike<number>[], w: HistoryWeights): Float32Array {
    const U = this.units;
    const logits = Float64Array.from(w.bias);
    const counts = new Float64Array(U);
    const T = recent.length;
    this.windows.forEach(([first, last], k) => {
      // Bins [T − last, T − first] of `recent` (lags first … last before the next bin).
      counts.fill(0);
      let total = 0;
      for (let t = Math.max(0, T - last); t <= T - first; t++) {
        const row = recent[t];
        for (let u = 0; u < U; u++) counts[u] += row[u];
      }
      for (let u = 0; u < U; u++) total += counts[u];
      for (let u = 0; u < U; u++) {
        logits[u] += w.own[k * U + u] * counts[u] + w.population[k * U + u] * (total - counts[u]);
      }
      for (let v = 0; v < U; v++) {
        if (counts[v] === 0) continue;
        const row = (k * U + v) * U;
        for (let u = 0; u < U; u++) logits[u] += counts[v] * w.coupling[row + u];
      }
    });
    return Float32Array.from(logits);
  }
}
