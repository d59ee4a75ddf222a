/**
 * The Mix-Geneformer cell encoder: a BERT-style transformer over rank-value-encoded cells.
 * Token embedding + learned positions → LayerNorm, dropout → N encoder layers (GELU,
 * post-norm) with a key-padding mask so `<pad>` is never attended → per-position states.
 * The masked-gene head (dense, GELU, LayerNorm, vocabulary logits) is separate from the
 * embedding table (untied: simpler to fine-tune and to load into other tools).
 * Cell embeddings are the mean over expressed-gene positions or the `<cls>` state.
 */
import {
  Dropout,
  Embedding,
  LayerNorm,
  Linear,
  Module,
  Tensor,
  TransformerEncoderLayer,
  arange,
} from '../engine/index.js';
import { UsageError } from '../core/errors.js';

export interface CellEncoderConfig {
  vocabSize: number;
  maxLength: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  dropout: number;
}

/** Mix-Geneformer's sizes (6 layers, hidden 256, 4 heads, FF 512, 2,048 tokens). */
export const CELL_ENCODER_PRESET_NAMES = ['paper', 'small', 'tiny'] as const;
export type CellEncoderPresetName = (typeof CELL_ENCODER_PRESET_NAMES)[number];

export const CELL_ENCODER_PRESETS: Record<
  CellEncoderPresetName,
  Omit<CellEncoderConfig, 'vocabSize'>
> = {
  paper: { maxLength: 2048, hidden: 256, layers: 6, heads: 4, intermediate: 512, dropout: 0.1 },
  small: { maxLength: 512, hidden: 128, layers: 2, heads: 4, intermediate: 256, dropout: 0.1 },
  tiny: { maxLength: 64, hidden: 32, layers: 1, heads: 2, intermediate: 64, dropout: 0.1 },
};

export class CellEncoder extends Module {
  readonly config: CellEncoderConfig;
  private readonly tokens: Embedding;
  private readonly positions: Embedding;
  private readonly inputNorm: LayerNorm;
  private readonly inputDrop: Dropout;
  private readonly layers: TransformerEncoderLayer[];
  private readonly mlmDense: Linear;
  private readonly mlmNorm: LayerNorm;
  private readonly mlmOut: Linear;

  constructor(config: CellEncoderConfig) {
    super();
    if (config.hidden % config.heads !== 0)
      throw new UsageError(`hidden ${config.hidden} must be divisible by heads ${config.heads}`);
    this.config = { ...config };
    this.tokens = this.registerModule(
      'embeddings.word',
      new Embedding(config.vocabSize, config.hidden),
    );
    this.positions = this.registerModule(
      'embeddings.position',
      new Embedding(config.maxLength, config.hidden),
    );
    this.inputNorm = this.registerModule('embeddings.norm', new LayerNorm(config.hidden));
    this.inputDrop = this.registerModule('embeddings.dropout', new Dropout(config.dropout));
    this.layers = Array.from({ length: config.layers }, (_, i) =>
      this.registerModule(
        `encoder.${i}`,
        new TransformerEncoderLayer(config.hidden, config.heads, config.intermediate, {
          dropout: config.dropout,
          activation: 'gelu',
        }),
      ),
    );
    this.mlmDense = this.registerModule('mlm.dense', new Linear(config.hidden, config.hidden));
    this.mlmNorm = this.registerModule('mlm.norm', new LayerNorm(config.hidden));
    this.mlmOut = this.registerModule('mlm.decoder', new Linear(config.hidden, config.vocabSize));
  }

  /** tokens: int64 [B, L] (0 = `<pad>`) → states [B, L, hidden]. */
  encode(tokens: Tensor): Tensor {
    const L = tokens.size(1);
    if (L > this.config.maxLength)
      throw new UsageError(`${L} tokens exceed maxLength ${this.config.maxLength}`);
    let h = this.tokens
      .forward(tokens)
      .add(this.positions.forward(arange(0, L, 1, 'int64', tokens.device)));
    h = this.inputDrop.forward(this.inputNorm.forward(h));
    const keep = tokens.ne(0).unsqueeze(1).unsqueeze(1); // [B, 1, 1, L]: keys that may be attended
    for (const layer of this.layers) h = layer.forward(h, { mask: keep }).output;
    return h;
  }

  /** Vocabulary logits for every position. */
  mlmLogits(states: Tensor): Tensor {
    return this.mlmOut.forward(this.mlmNorm.forward(this.mlmDense.forward(states).gelu()));
  }

  /** Cell embeddings [B, hidden]: mean over gene positions (not `<cls>`, not `<pad>`) or the `<cls>` state. */
  pool(states: Tensor, tokens: Tensor, pooling: 'mean' | 'cls' = 'mean'): Tensor {
    if (pooling === 'cls') return states.select(1, 0);
    const L = tokens.size(1);
    const genes = tokens
      .ne(0)
      .logicalAnd(arange(0, L, 1, 'int64', tokens.device).gt(0).unsqueeze(0));
    const w = genes.to('float32').unsqueeze(-1); // [B, L, 1]
    return states.mul(w).sum(1).div(w.sum(1).clamp(1, null));
  }
}
