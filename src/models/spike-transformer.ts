/**
 * The causal spike transformer (Shimono 2026): each 1 ms bin's binary vector over N units
 * is a token; a linear embedding (+ optional learned positions) feeds a stack of
 * transformer encoder layers under a causal mask; a linear head gives N logits that
 * predict the *next* bin. `leaky: true` reproduces the released code instead (no mask,
 * output aligned with its own input bin) so users can measure how much that inflates scores.
 */
import {
  Embedding,
  F,
  Linear,
  Module,
  TransformerEncoderLayer,
  alibiSlopeTensor,
  arange,
  keep,
  rotaryTables,
  type RotaryTables,
  type Tensor,
} from '../engine/index.js';
import { UsageError } from '../core/errors.js';
import { HistoryPath } from './history-path.js';

export interface SpikeTransformerConfig {
  units: number;
  dModel: number;
  heads: number;
  layers: number;
  feedforward: number;
  dropout: number;
  /** Longest input the model reads (bins); the learned positional table covers it. */
  context: number;
  /**
   * `learned`: absolute positions added to the input (the paper's). `rotary`: RoPE on queries
   * and keys, relative positions that allow generation with a key/value cache
   * (spike-decoder.ts). `alibi`: a per-head linear penalty on distance added to the scores
   * (engine/alibi.ts), also relative and cacheable. `none`: the causal mask alone.
   */
  positional: 'learned' | 'rotary' | 'alibi' | 'none';
  normFirst: boolean;
  /** Released-code setup: no causal mask; output t is scored against input bin t. */
  leaky: boolean;
  /**
   * Longest lag (bins, a power of two) of the GLM path whose logits are added to the head's
   * (see history-path.ts); 0 = no GLM path (the paper's model).
   */
  history?: number;
}

export const PAPER_MODEL: SpikeTransformerConfig = {
  units: 128,
  dModel: 128,
  heads: 16,
  layers: 1,
  feedforward: 128,
  dropout: 0.1,
  context: 3125,
  positional: 'learned',
  normFirst: false,
  leaky: false,
  history: 0,
};

export interface SpikeForward {
  /** [B, T, units]: logits for bin t+1 at position t (or bin t when leaky). */
  logits: Tensor;
  /** Per layer, [B, heads, T, T], when requested. */
  attention: Tensor[];
  /** The embedded input [B, T, dModel] (for gradient importance). */
  embedded: Tensor;
}

export class SpikeTransformer extends Module {
  readonly config: SpikeTransformerConfig;
  readonly embed: Linear;
  readonly position: Embedding | null;
  readonly encoder: TransformerEncoderLayer[];
  readonly head: Linear;
  readonly history: HistoryPath | null;
  /** Rotary tables of the last window length used (training reuses one length). */
  private rotary: { length: number; device: string; tables: RotaryTables } | null = null;
  /** ALiBi slopes, kept once built (per device). */
  private slopes: { device: string; tensor: Tensor } | null = null;

  constructor(config: SpikeTransformerConfig) {
    super();
    if (config.dModel % config.heads !== 0) {
      throw new UsageError(`dModel ${config.dModel} must be divisible by heads ${config.heads}`);
    }
    this.config = { ...config };
    this.embed = this.registerModule('embed', new Linear(config.units, config.dModel));
    this.position =
      config.positional === 'learned'
        ? this.registerModule('position', new Embedding(config.context, config.dModel))
        : null;
    // Positions start at N(0, 0.02) as in BERT and GPT-2, not torch's N(0, 1): at unit scale
    // they drowned the embedded sparse spike vectors (on a generated in-vitro session the
    // quick preset then learned no temporal structure at all; see the issue-4 note).
    this.position?.weight.normal_(0, 0.02);
    this.encoder = Array.from({ length: config.layers }, (_, i) =>
      this.registerModule(
        `encoder.${i}`,
        new TransformerEncoderLayer(config.dModel, config.heads, config.feedforward, {
          dropout: config.dropout,
          normFirst: config.normFirst,
        }),
      ),
    );
    this.head = this.registerModule('head', new Linear(config.dModel, config.units));
    const maxLag = config.history ?? 0;
    if (maxLag > 0 && config.leaky)
      throw new UsageError('a leaky model scores its own input bin; it cannot have a GLM path');
    this.history =
      maxLag > 0 ? this.registerModule('history', new HistoryPath(config.units, maxLag)) : null;
    // With a GLM path the head starts at zero: the untrained model is exactly the GLM, and
    // the transformer learns only what the GLM misses.
    if (this.history) for (const p of this.head.parameters()) p.fill_(0);
  }

  /**
   * x: [B, T, units] float (0/1). `embeddedOverride` lets interpretability feed an embedded
   * input that requires grad; `disableAttention` is the attention-off ablation (each token
   * attends only to itself).
   */
  forward(
    x: Tensor,
    o: {
      needWeights?: boolean;
      embeddedHook?: (h: Tensor) => Tensor;
      disableAttention?: boolean;
    } = {},
  ): SpikeForward {
    const T = x.size(1);
    if (T > this.config.context)
      throw new UsageError(`input of ${T} bins exceeds the model's context ${this.config.context}`);
    let h = this.embed.forward(x);
    if (this.position) h = h.add(this.position.forward(arange(0, T, 1, 'int64', x.device)));
    if (o.embeddedHook) h = o.embeddedHook(h);
    const embedded = h;
    const attention: Tensor[] = [];
    const rotary = this.config.positional === 'rotary' ? this.rotaryTables(T, x.device) : undefined;
    const alibi = this.alibiSlopes(x.device);
    for (const layer of this.encoder) {
      const r = layer.forward(h, {
        causal: !this.config.leaky,
        selfOnly: o.disableAttention,
        needWeights: o.needWeights,
        rotary,
        alibi,
      });
      h = r.output;
      if (r.weights) attention.push(r.weights);
    }
    let logits = this.head.forward(h);
    if (this.history) logits = logits.add(this.history.forward(x));
    return { logits, attention, embedded };
  }

  /**
   * The logits of the last position only ([B, 1, units]), equal to `forward(x).logits`'s last
   * row to float rounding: lower layers run whole, the last layer attends from its last query
   * alone and runs its feed-forward on that row. Scoring one bin per window (ablations) then
   * costs O(T) attention instead of O(T²): at context 3125 the difference between minutes and
   * most of an hour for a probe.
   */
  lastLogits(x: Tensor, o: { disableAttention?: boolean } = {}): Tensor {
    const T = x.size(1);
    if (T > this.config.context)
      throw new UsageError(`input of ${T} bins exceeds the model's context ${this.config.context}`);
    if (this.config.leaky) return this.forward(x, o).logits.narrow(1, T - 1, 1);
    let h = this.embed.forward(x);
    if (this.position) h = h.add(this.position.forward(arange(0, T, 1, 'int64', x.device)));
    const rotary = this.config.positional === 'rotary' ? this.rotaryTables(T, x.device) : undefined;
    const alibi = this.alibiSlopes(x.device);
    const last = this.encoder.length - 1;
    this.encoder.forEach((layer, i) => {
      if (i < last) {
        h = layer.forward(h, { causal: true, selfOnly: o.disableAttention, rotary, alibi }).output;
        return;
      }
      h = layer.forwardWith(
        h,
        (input) => {
          const { q, k, v } = layer.selfAttn.project(input, rotary);
          // The last query sees every key (all at or before it): no mask. Attention off: its
          // softmax over itself alone is 1, so the output is its own value.
          const output = o.disableAttention
            ? v.narrow(2, T - 1, 1)
            : F.scaledDotProductAttention(q.narrow(2, T - 1, 1), k, v, { alibi }).output;
          return layer.selfAttn.merge(output);
        },
        { lastOnly: true },
      );
    });
    let logits = this.head.forward(h);
    if (this.history) logits = logits.add(this.history.forward(x).narrow(1, T - 1, 1));
    return logits;
  }

  get headDim(): number {
    return this.config.dModel / this.config.heads;
  }

  /** The ALiBi slopes when the model uses them, kept outside any tidy scope. */
  alibiSlopes(device: string): Tensor | undefined {
    if (this.config.positional !== 'alibi') return undefined;
    if (this.slopes?.device !== device) {
      this.slopes?.tensor.dispose();
      this.slopes = { device, tensor: keep(alibiSlopeTensor(this.config.heads, device)) };
    }
    return this.slopes.tensor;
  }

  /** Positions 0 … length − 1, kept across calls (outside any tidy scope) until the shape changes. */
  private rotaryTables(length: number, device: string): RotaryTables {
    if (this.rotary?.length !== length || this.rotary.device !== device) {
      if (this.rotary) for (const t of Object.values(this.rotary.tables)) t.dispose();
      const tables = rotaryTables(0, length, this.headDim, device);
      this.rotary = { length, device, tables: { cos: keep(tables.cos), sin: keep(tables.sin) } };
    }
    return this.rotary.tables;
  }
}
