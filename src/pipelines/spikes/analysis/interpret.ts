/**
 * What a trained spike transformer attends to, on one window (Shimono 2026, interpretability):
 * attention maps (per head and mean, last layer), gradient importance at the embedding
 * G_j = Σ_k |∂L/∂h_jk|, attention-weighted importance AWI_ij = A_ij · G_j, mean attention
 * by offset from the diagonal, and how query-side attention, key-side attention and AWI
 * relate to the input's population firing (Pearson r with p-values).
 */
import { Tensor, grad, noGrad, tidy } from '../../../engine/index.js';
import type { SpikeTransformer } from '../../../models/spike-transformer.js';
import { lossByName, type LossName } from '../../../models/losses.js';
import { pearson, type CorrelationResult } from '../../../stats/index.js';
import { windowsToFloat, type BinaryRaster } from '../data/raster.js';

export interface Interpretation {
  bins: number;
  heads: number;
  /** [heads][T×T] row-major (query row, key column), last layer. */
  attentionPerHead: Float32Array[];
  /** Mean over heads, T×T. */
  attention: Float32Array;
  /** G_j for each input bin j. */
  gradientImportance: Float64Array;
  /** AWI_ij = A_ij · G_j, T×T. */
  awi: Float64Array;
  /** Mean attention at offset i − j = 0, 1, … (causal: keys at or before the query). */
  attentionByOffset: Float64Array;
  /** Population spike count of each input bin. */
  inputActivity: Float64Array;
  correlations: {
    /** Query side: each row's largest weight (row sums are always 1 under softmax). */
    queryPeakAttention: CorrelationResult;
    /** Σ_i A_ij: attention a bin receives as a key. */
    keyAttention: CorrelationResult;
    /** Σ_i AWI_ij: importance-weighted attention received. */
    keyAwi: CorrelationResult;
  };
}

/** Interprets `model` on bins [start, start + T] of `r` (T = model context or less). */
export function interpretWindow(
  model: SpikeTransformer,
  r: BinaryRaster,
  start: number,
  T: number,
  loss: LossName = 'dice',
): Interpretation {
  const U = r.units;
  const lossFn = lossByName(loss);
  model.eval();
  return tidy(() => {
    const both = Tensor.from(windowsToFloat(r, [start], T + 1), [1, T + 1, U]);
    const x = both.narrow(1, 0, T);
    const y = model.config.leaky ? x : both.narrow(1, 1, T);
    // Two passes instead of one that both returns the weights and differentiates: asking for
    // weights sends attention down the math path, whose [heads, T, T] scores and weights
    // (0.6 GB each at the paper's context 3125 and 16 heads) the graph then keeps for
    // backward. The gradient pass asks for none (the fused causal kernel keeps no T × T
    // tensors); the weights pass runs without a graph. Same values, to float rounding.
    let leaf: Tensor | null = null;
    const out = model.forward(x, {
      // Replace the embedded input by a leaf that requires grad: ∂L/∂h without touching weights.
      embeddedHook: (h) => (leaf = h.detach().requiresGrad_()),
    });
    const [dh] = grad([lossFn(out.logits, y)], [leaf!]);
    const G = dh!.abs().sum(-1).squeeze(0).to('float64').toArray() as Float64Array; // [T]
    const weights = tidy(() =>
      noGrad(() => {
        const { attention } = model.forward(x, { needWeights: true });
        return attention[attention.length - 1].squeeze(0); // [heads, T, T]
      }),
    );
    const heads = weights.size(0);
    const attentionPerHead = Array.from(
      { length: heads },
      (_, h) => weights.select(0, h).contiguous().toArray() as Float32Array,
    );
    const attention = weights.mean(0).contiguous().toArray() as Float32Array;

    const awi = new Float64Array(T * T);
    const byOffset = new Float64Array(T);
    const offsetCount = new Float64Array(T);
    const keyAttention = new Float64Array(T);
    const keyAwi = new Float64Array(T);
    const queryPeak = new Float64Array(T);
    for (let i = 0; i < T; i++) {
      for (let j = 0; j < T; j++) {
        const a = attention[i * T + j];
        awi[i * T + j] = a * G[j];
        keyAttention[j] += a;
        keyAwi[j] += a * G[j];
        queryPeak[i] = Math.max(queryPeak[i], a);
        if (j <= i) {
          byOffset[i - j] += a;
          offsetCount[i - j]++;
        }
      }
    }
    for (let k = 0; k < T; k++) byOffset[k] /= Math.max(1, offsetCount[k]);
    const activity = new Float64Array(T);
    for (let t = 0; t < T; t++)
      for (let u = 0; u < U; u++) activity[t] += r.data[(start + t) * U + u];
    return {
      bins: T,
      heads,
      attentionPerHead,
      attention,
      gradientImportance: G,
      awi,
      attentionByOffset: byOffset,
      inputActivity: activity,
      correlations: {
        queryPeakAttention: pearson(queryPeak, activity),
        keyAttention: pearson(keyAttention, activity),
        keyAwi: pearson(keyAwi, activity),
      },
    };
  });
}
