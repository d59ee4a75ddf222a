/**
 * Baselines scored in the same run as the transformer, so its gain is visible:
 * - rate: each unit's mean spike probability on the train split, constant in time;
 * - GLM: per-unit logistic regression on the unit's own spikes and the population's spike
 *   count in each of the last `lags` bins (a classic history GLM, Truccolo et al. 2005),
 *   fitted jointly for all units with Adam on the engine.
 */
import { Rng } from '../../core/random.js';
import { Adam, F, Tensor, noGrad, tidy, zeros } from '../../engine/index.js';
import { concatBins, sliceBins, unitRates, type BinaryRaster } from './raster.js';

/** Probabilities for bins [firstBin, target.bins) of `target`, as predictOneStepAhead returns. */
export function rateBaseline(
  train: BinaryRaster,
  target: BinaryRaster,
  firstBin: number,
): Float32Array {
  const rates = unitRates(train);
  const out = new Float32Array((target.bins - firstBin) * target.units);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(1e-6, rates[i % target.units]);
  return out;
}

export interface GlmOptions {
  lags: number;
  steps: number;
  batchSize: number;
  lr: number;
  l2: number;
  seed: number;
}
export const DEFAULT_GLM: GlmOptions = {
  lags: 10,
  steps: 400,
  batchSize: 512,
  lr: 0.02,
  l2: 1e-4,
  seed: 0,
};

/** Own-history [N, lags, U] and population-history [N, lags] features for bins `ts` of r. */
function features(r: BinaryRaster, ts: number[], lags: number): { own: Tensor; pop: Tensor } {
  const U = r.units;
  const own = new Float32Array(ts.length * lags * U);
  const pop = new Float32Array(ts.length * lags);
  ts.forEach((t, n) => {
    for (let l = 1; l <= lags; l++) {
      const row = (t - l) * U;
      let count = 0;
      for (let u = 0; u < U; u++) {
        const v = r.data[row + u];
        own[(n * lags + (l - 1)) * U + u] = v;
        count += v;
      }
      // Raw counts, not a fraction of U: a burst then moves the feature by ~1, which the fit
      // can weight; as a fraction (~0.01) it stayed invisible within the fitting budget.
      pop[n * lags + (l - 1)] = count;
    }
  });
  return { own: Tensor.from(own, [ts.length, lags, U]), pop: Tensor.from(pop, [ts.length, lags]) };
}

export class HistoryGlm {
  readonly ownWeights: Tensor; // [lags, U]
  readonly popWeights: Tensor; // [U, lags]
  readonly bias: Tensor; // [U]

  constructor(
    readonly units: number,
    readonly options: GlmOptions = DEFAULT_GLM,
  ) {
    this.ownWeights = zeros([options.lags, units]).requiresGrad_();
    this.popWeights = zeros([units, options.lags]).requiresGrad_();
    this.bias = zeros([units]).requiresGrad_();
  }

  private logits(own: Tensor, pop: Tensor): Tensor {
    return own
      .mul(this.ownWeights)
      .sum(1)
      .add(F.linear(pop, this.popWeights, this.bias));
  }

  fit(train: BinaryRaster): this {
    const o = this.options;
    const rng = new Rng(o.seed);
    // Start the bias at the log-odds of each unit's rate: the GLM then begins as the rate baseline.
    const rates = unitRates(train);
    this.bias.copy_(
      Tensor.from(
        Array.from(rates, (p) => Math.log(Math.max(p, 1e-6) / (1 - Math.min(p, 1 - 1e-6)))),
      ),
    );
    const params = [this.ownWeights, this.popWeights, this.bias];
    const opt = new Adam(params, { lr: o.lr });
    for (let step = 0; step < o.steps; step++) {
      tidy(() => {
        const ts = Array.from({ length: o.batchSize }, () => o.lags + rng.int(train.bins - o.lags));
        const { own, pop } = features(train, ts, o.lags);
        const y = Tensor.from(
          ts.flatMap((t) =>
            Array.from(train.data.subarray(t * train.units, (t + 1) * train.units)),
          ),
          [ts.length, train.units],
        );
        opt.zeroGrad();
        const penalty = this.ownWeights.pow(2).sum().add(this.popWeights.pow(2).sum()).mul(o.l2);
        F.bceWithLogits(this.logits(own, pop), y).add(penalty).backward();
        opt.step();
      });
    }
    opt.dispose();
    return this;
  }

  /** Probabilities for bins [firstBin, target.bins), using `history` before the split's start. */
  predict(target: BinaryRaster, firstBin: number, history: BinaryRaster | null): Float32Array {
    const L = this.options.lags;
    const hist = history ? sliceBins(history, Math.max(0, history.bins - L), history.bins) : null;
    const full = hist ? concatBins(hist, target) : target;
    const offset = hist ? hist.bins : 0;
    const out = new Float32Array((target.bins - firstBin) * target.units);
    // Bins without a full past (start of a recording) see zeros in front.
    const withPast = padded(full, L);
    const chunk = 4096;
    for (let start = firstBin; start < target.bins; start += chunk) {
      const ts = Array.from(
        { length: Math.min(chunk, target.bins - start) },
        (_, i) => start + i + offset,
      );
      const probs = tidy(() =>
        noGrad(() => {
          const { own, pop } = features(
            withPast,
            ts.map((t) => t + L),
            L,
          );
          return this.logits(own, pop).sigmoid().toArray() as Float32Array;
        }),
      );
      out.set(probs, (start - firstBin) * target.units);
    }
    return out;
  }

  dispose(): void {
    for (const t of [this.ownWeights, this.popWeights, this.bias]) t.dispose();
  }
}

/** `r` with `lags` empty bins in front, so every bin has a full (zero-filled) past. */
function padded(r: BinaryRaster, lags: number): BinaryRaster {
  return concatBins({ bins: lags, units: r.units, data: new Uint8Array(lags * r.units) }, r);
}
