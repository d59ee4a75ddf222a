/**
 * One-bin-at-a-time decoding of a spike transformer with a key/value cache, for free-running
 * generation. Each step embeds only the newest bin, appends its keys and values to a
 * per-layer cache of the last `context` bins, and attends from that bin alone: O(context)
 * work per bin instead of re-running the whole window, O(context²).
 *
 * Valid for one causal layer with relative positions (`rotary`, `alibi` or `none`): with learned
 * absolute positions a sliding window re-embeds every bin at a new position, so nothing could
 * be reused (see supportsCachedDecoding for deeper models). Keys are
 * rotated at their position in the stream; attention scores depend on position differences
 * only, so they match the uncached window's up to float rounding.
 */
import { F, Tensor, keep, noGrad, rotaryTables, tidy } from '../engine/index.js';
import { UsageError } from '../core/errors.js';
import type { SpikeTransformer } from './spike-transformer.js';
import type { HistoryWeights } from './history-path.js';

/**
 * One layer only: a deeper model's cached keys of layer 2 were computed from layer-1 outputs
 * that saw bins which have since left the window, so once the window slides they differ from
 * what re-running the window gives (measured: mismatches from the first slid bin on).
 */
export function supportsCachedDecoding(model: SpikeTransformer): boolean {
  const c = model.config;
  return !c.leaky && c.positional !== 'learned' && c.layers === 1;
}

export class SpikeDecoder {
  /** Per layer: keys and values [1, heads, cached, headDim] of the last `context` bins. */
  private keys: (Tensor | null)[];
  private values: (Tensor | null)[];
  /** The last bins (as 0/1 floats), for the GLM path: its windows reach maxLag − 1 bins back. */
  private recent: Float32Array[] = [];
  /** Stream position of the next bin. */
  private position = 0;
  /** The GLM path's weights, read once: the model must not train while it decodes. */
  private readonly historyWeights: HistoryWeights | null;

  constructor(private readonly model: SpikeTransformer) {
    if (!supportsCachedDecoding(model))
      throw new UsageError(
        `cached decoding needs one causal layer with relative positions ('rotary', 'alibi' or 'none'); this model has ${model.config.layers} layer(s), '${model.config.positional}' positions${model.config.leaky ? ' and no causal mask' : ''}`,
      );
    this.historyWeights = model.history?.weightArrays() ?? null;
    this.keys = model.encoder.map(() => null);
    this.values = model.encoder.map(() => null);
  }

  /**
   * Feeds `bins` bins at once (row-major 0/1, bins × units; at most `context`, on an empty
   * cache): one causal pass over them fills the cache. Returns the next bin's probabilities.
   */
  prefill(data: ArrayLike<number>, bins: number): Float32Array {
    const U = this.model.config.units;
    const C = this.model.config.context;
    if (this.position > 0 || bins < 1 || bins > C || data.length !== bins * U)
      throw new UsageError(`decoder: prefill takes 1 … ${C} bins × ${U} units on an empty cache`);
    const x = Float32Array.from(data);
    for (let t = Math.max(0, bins - this.lag); t < bins; t++)
      this.recent.push(x.subarray(t * U, (t + 1) * U));
    return this.decode(x, bins, (i, input) => this.attendFirst(i, input));
  }

  /** Feeds one bin (0/1 per unit); returns the spike probabilities of the next bin. */
  step(bin: ArrayLike<number>): Float32Array {
    const U = this.model.config.units;
    if (bin.length !== U) throw new UsageError(`decoder: expected ${U} units, got ${bin.length}`);
    const x = Float32Array.from(bin);
    this.recent.push(x);
    if (this.recent.length > this.lag) this.recent.shift();
    return this.decode(x, 1, (i, input) => this.attendCached(i, input));
  }

  /** Releases the cached tensors. */
  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t?.dispose();
    this.keys.fill(null);
    this.values.fill(null);
  }

  /** The GLM path's reach in bins (0 without it). */
  private get lag(): number {
    return this.model.history?.maxLag ?? 0;
  }

  /** Runs `bins` new bins (x: bins × units) through the model; the probabilities after the last. */
  private decode(
    x: Float32Array,
    bins: number,
    attention: (layer: number, input: Tensor) => Tensor,
  ): Float32Array {
    const { model } = this;
    const U = model.config.units;
    const probabilities = tidy(() =>
      noGrad(() => {
        let h = model.embed.forward(Tensor.from(x, [1, bins, U]));
        model.encoder.forEach((layer, i) => {
          h = layer.forwardWith(h, (input) => attention(i, input));
        });
        let logits = model.head.forward(h.narrow(1, bins - 1, 1));
        if (model.history && this.historyWeights) {
          const next = model.history.nextLogits(this.recent, this.historyWeights);
          logits = logits.add(Tensor.from(next, [1, 1, U]));
        }
        return logits.sigmoid().toArray() as Float32Array;
      }),
    );
    this.position += bins;
    return probabilities;
  }

  /** Queries, keys and values of input [1, L, dModel] at stream positions from `position`. */
  private project(i: number, input: Tensor): { q: Tensor; k: Tensor; v: Tensor } {
    const attn = this.model.encoder[i].selfAttn;
    if (this.model.config.positional !== 'rotary') return attn.project(input);
    const tables = rotaryTables(this.position, input.size(1), attn.headDim, input.device);
    return attn.project(input, tables);
  }

  /** Causal attention over the prefilled bins of layer i, whose keys and values are cached. */
  private attendFirst(i: number, input: Tensor): Tensor {
    const { q, k, v } = this.project(i, input);
    this.keys[i] = keep(k.contiguous());
    this.values[i] = keep(v.contiguous());
    const { output } = F.scaledDotProductAttention(q, k, v, {
      causal: true,
      alibi: this.model.alibiSlopes(input.device),
    });
    return this.model.encoder[i].selfAttn.merge(output);
  }

  /** Attention of the newest bin over the cached bins of layer i (input: [1, 1, dModel]). */
  private attendCached(i: number, input: Tensor): Tensor {
    const { q, k, v } = this.project(i, input);
    const C = this.model.config.context;
    const append = (cache: Tensor | null, fresh: Tensor): Tensor => {
      let all = cache ? F.cat([cache, fresh], 2) : fresh.contiguous();
      if (all.size(2) > C) all = all.narrow(2, all.size(2) - C, C).contiguous();
      cache?.dispose();
      return keep(all);
    };
    this.keys[i] = append(this.keys[i], k);
    this.values[i] = append(this.values[i], v);
    // The newest bin sees every cached bin (all in its past, or itself): no mask. ALiBi
    // measures its distances from the last key, which is the newest bin's own.
    const { output } = F.scaledDotProductAttention(q, this.keys[i]!, this.values[i]!, {
      alibi: this.model.alibiSlopes(input.device),
    });
    return this.model.encoder[i].selfAttn.merge(output);
  }
}
