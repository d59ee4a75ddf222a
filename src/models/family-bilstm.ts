/**
 * Attention BiLSTM over electrophysiology feature families (the ephys system's neural
 * model): each family is one step of a sequence, zero-padded to a common width; input
 * LayerNorm → 1-layer BiLSTM (hidden per direction) → additive attention over families
 * (tanh, softmax) → LayerNorm → dropout → linear head. `attention: false` is the ablation
 * (mean over families instead of attention). Optional extra heads (joint mouse+human
 * training) share everything but the final linear layer.
 */
import { Dropout, F, LayerNorm, Linear, LSTM, Module, type Tensor } from '../engine/index.js';

export interface FamilyBiLstmConfig {
  /** Common (padded) width of a family's feature vector. */
  width: number;
  hidden: number;
  dropout: number;
  attention: boolean;
  /** Number of classes of each head (e.g. [4] or [4, 4] for human + mouse). */
  heads: number[];
}

export const DEFAULT_FAMILY_BILSTM: Omit<FamilyBiLstmConfig, 'width' | 'heads'> = {
  hidden: 128,
  dropout: 0.2,
  attention: true,
};

export class FamilyBiLstm extends Module {
  readonly config: FamilyBiLstmConfig;
  readonly inputNorm: LayerNorm;
  readonly lstm: LSTM;
  readonly score: Linear;
  readonly context: Linear;
  readonly outputNorm: LayerNorm;
  readonly drop: Dropout;
  readonly classifiers: Linear[];

  constructor(config: FamilyBiLstmConfig) {
    super();
    this.config = { ...config };
    const h2 = 2 * config.hidden;
    this.inputNorm = this.registerModule('input_norm', new LayerNorm(config.width));
    this.lstm = this.registerModule(
      'lstm',
      new LSTM(config.width, config.hidden, { bidirectional: true, batchFirst: true }),
    );
    // Additive (Bahdanau-style) attention: e_t = vᵀ tanh(W h_t + b), α = softmax_t(e).
    this.score = this.registerModule('attention_proj', new Linear(h2, h2));
    this.context = this.registerModule('attention_v', new Linear(h2, 1, false));
    this.outputNorm = this.registerModule('output_norm', new LayerNorm(h2));
    this.drop = this.registerModule('dropout', new Dropout(config.dropout));
    this.classifiers = config.heads.map((classes, i) =>
      this.registerModule(`head${i}`, new Linear(h2, classes)),
    );
  }

  /** x: [B, families, width] → logits per head [B, classes] and attention weights [B, families]. */
  forward(x: Tensor, head = 0): { logits: Tensor; attention: Tensor } {
    const h = this.lstm.forward(this.inputNorm.forward(x)).output; // [B, T, 2H]
    let pooled: Tensor;
    let attention: Tensor;
    if (this.config.attention) {
      const e = this.context.forward(this.score.forward(h).tanh()).squeeze(-1); // [B, T]
      attention = F.softmax(e, 1);
      pooled = attention.unsqueeze(-1).mul(h).sum(1);
    } else {
      const T = h.size(1);
      attention = h
        .select(2, 0)
        .mul(0)
        .add(1 / T); // uniform weights, for a like-for-like report
      pooled = h.mean(1);
    }
    const logits = this.classifiers[head].forward(
      this.drop.forward(this.outputNorm.forward(pooled)),
    );
    return { logits, attention };
  }
}
