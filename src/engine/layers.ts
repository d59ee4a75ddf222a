/** Standard layers with PyTorch's parameter names, shapes and default initialisation. */
import { Module } from './module.js';
import { Tensor } from './tensor.js';
import { arange, eye, ones, zeros } from './create.js';
import * as F from './functional.js';
import { defaultDevice } from './runtime.js';
import { applyRotary, type RotaryTables } from './rotary.js';

function uniformParam(shape: number[], bound: number): Tensor {
  return zeros(shape, 'float32', defaultDevice()).uniform_(-bound, bound);
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    bias = true,
  ) {
    super();
    // torch.nn.Linear: kaiming_uniform(a=√5) ⇒ U(±1/√fan_in) for weight and bias.
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.registerParameter('weight', uniformParam([outFeatures, inFeatures], bound));
    this.bias = bias ? this.registerParameter('bias', uniformParam([outFeatures], bound)) : null;
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}

export class LayerNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(
    readonly size: number,
    readonly eps = 1e-5,
  ) {
    super();
    this.weight = this.registerParameter('weight', ones([size]));
    this.bias = this.registerParameter('bias', zeros([size]));
  }
  forward(x: Tensor): Tensor {
    return F.layerNorm(x, [this.size], this.weight, this.bias, this.eps);
  }
}

export class Embedding extends Module {
  readonly weight: Tensor;
  constructor(
    readonly count: number,
    readonly dim: number,
  ) {
    super();
    this.weight = this.registerParameter('weight', zeros([count, dim]).normal_(0, 1));
  }
  forward(indices: Tensor): Tensor {
    return F.embedding(this.weight, indices);
  }
}

export class Dropout extends Module {
  constructor(readonly p: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.training && this.p > 0 ? F.dropout(x, this.p, true) : x;
  }
}

export interface LstmOptions {
  numLayers?: number;
  bidirectional?: boolean;
  batchFirst?: boolean;
  dropout?: number;
}

/** Multi-layer (bi)LSTM on libtorch's fused kernel; parameters named as torch.nn.LSTM's. */
export class LSTM extends Module {
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  private readonly flat: Tensor[] = [];

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    o: LstmOptions = {},
  ) {
    super();
    this.numLayers = o.numLayers ?? 1;
    this.bidirectional = o.bidirectional ?? false;
    this.batchFirst = o.batchFirst ?? false;
    this.dropout = o.dropout ?? 0;
    const bound = 1 / Math.sqrt(hiddenSize);
    const dirs = this.bidirectional ? 2 : 1;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const layerInput = layer === 0 ? inputSize : hiddenSize * dirs;
      for (let d = 0; d < dirs; d++) {
        const suffix = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        const g = 4 * hiddenSize;
        this.flat.push(
          this.registerParameter(`weight_ih${suffix}`, uniformParam([g, layerInput], bound)),
          this.registerParameter(`weight_hh${suffix}`, uniformParam([g, hiddenSize], bound)),
          this.registerParameter(`bias_ih${suffix}`, uniformParam([g], bound)),
          this.registerParameter(`bias_hh${suffix}`, uniformParam([g], bound)),
        );
      }
    }
  }

  /** x: [B, T, in] if batchFirst else [T, B, in]. Returns output and final (h, c). */
  forward(x: Tensor, state?: { h: Tensor; c: Tensor }): { output: Tensor; h: Tensor; c: Tensor } {
    const batch = x.size(this.batchFirst ? 0 : 1);
    const stateShape = [this.numLayers * (this.bidirectional ? 2 : 1), batch, this.hiddenSize];
    return F.lstm({
      input: x,
      h0: state?.h ?? zeros(stateShape, x.dtype, x.device),
      c0: state?.c ?? zeros(stateShape, x.dtype, x.device),
      params: this.flat,
      numLayers: this.numLayers,
      bidirectional: this.bidirectional,
      batchFirst: this.batchFirst,
      dropout: this.dropout,
      training: this.training,
    });
  }
}

export interface AttentionCall {
  causal?: boolean;
  /** bool [L, S] or broadcastable; true = may attend. */
  mask?: Tensor | null;
  needWeights?: boolean;
  /** Each token attends only to itself (an ablation); `causal` and `mask` are then ignored. */
  selfOnly?: boolean;
  /** Rotary positions applied to queries and keys (tables for the L positions of x). */
  rotary?: RotaryTables;
  /** ALiBi slopes, one per head (F.scaledDotProductAttention's `alibi`). */
  alibi?: Tensor;
}

/** Batch-first multi-head self-attention with torch.nn.MultiheadAttention's parameters. */
export class MultiheadAttention extends Module {
  readonly inProjWeight: Tensor;
  readonly inProjBias: Tensor;
  readonly outProj: Linear;
  readonly headDim: number;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    readonly dropout = 0,
  ) {
    super();
    if (embedDim % numHeads !== 0)
      throw new Error(`embedDim ${embedDim} is not divisible by numHeads ${numHeads}`);
    this.headDim = embedDim / numHeads;
    // xavier_uniform over [3E, E], as torch does.
    const bound = Math.sqrt(6 / (embedDim + 3 * embedDim));
    this.inProjWeight = this.registerParameter(
      'in_proj_weight',
      uniformParam([3 * embedDim, embedDim], bound),
    );
    this.inProjBias = this.registerParameter('in_proj_bias', zeros([3 * embedDim]));
    this.outProj = this.registerModule('out_proj', new Linear(embedDim, embedDim));
    this.outProj.bias?.fill_(0);
  }

  /** x: [B, L, E] → queries, keys and values, each [B, heads, L, headDim] (keys rotated if asked). */
  project(x: Tensor, rotary?: RotaryTables): { q: Tensor; k: Tensor; v: Tensor } {
    const [B, L] = x.shape;
    const qkv = F.linear(x, this.inProjWeight, this.inProjBias)
      .view([B, L, 3, this.numHeads, this.headDim])
      .permute([2, 0, 3, 1, 4]);
    const q = qkv.select(0, 0);
    const k = qkv.select(0, 1);
    const v = qkv.select(0, 2);
    return rotary ? { q: applyRotary(q, rotary), k: applyRotary(k, rotary), v } : { q, k, v };
  }

  /** Attention output [B, heads, L, headDim] → [B, L, E] through the output projection. */
  merge(output: Tensor): Tensor {
    const [B, , L] = output.shape;
    return this.outProj.forward(output.transpose(1, 2).reshape([B, L, this.embedDim]));
  }

  /** x: [B, L, E] → output [B, L, E] and, if asked, weights [B, heads, L, L]. */
  forward(x: Tensor, call: AttentionCall = {}): { output: Tensor; weights: Tensor | null } {
    const L = x.size(1);
    const { q, k, v } = this.project(x, call.rotary);
    const dropping = this.training && this.dropout > 0;
    const { output, weights } =
      call.selfOnly && !dropping
        ? selfOnlyAttention(v, call.needWeights)
        : F.scaledDotProductAttention(q, k, v, {
            causal: call.selfOnly ? false : call.causal,
            mask: call.selfOnly ? diagonalMask(L, x.device) : call.mask,
            dropout: this.dropout,
            training: this.training,
            needWeights: call.needWeights,
            alibi: call.selfOnly ? null : call.alibi,
          });
    return { output: this.merge(output), weights };
  }
}

/**
 * Attention restricted to the diagonal: softmax over a single allowed key is exactly 1, so
 * each token's output is its own value vector (v: [B, heads, L, d]), as the diagonal-masked
 * product gives it, without that product's [B, heads, L, L] scores (10 GB at batch 16,
 * 16 heads and context 3125). With attention dropout in training the masked path runs
 * instead (dropout may drop that one weight).
 */
function selfOnlyAttention(
  v: Tensor,
  needWeights = false,
): { output: Tensor; weights: Tensor | null } {
  const [B, H, L] = v.shape;
  const weights = needWeights ? eye(L, v.dtype, v.device).expand([B, H, L, L]) : null;
  return { output: v, weights };
}

/** bool [L, L], true on the diagonal only. */
function diagonalMask(L: number, device: string): Tensor {
  const idx = arange(0, L, 1, 'int64', device);
  return idx.unsqueeze(1).eq(idx.unsqueeze(0));
}

export interface EncoderLayerOptions {
  dropout?: number;
  activation?: 'relu' | 'gelu';
  /** Pre-norm (norm before attention/FF) instead of the original post-norm. */
  normFirst?: boolean;
}

/** torch.nn.TransformerEncoderLayer (batch_first=True), with attention weights on request. */
export class TransformerEncoderLayer extends Module {
  readonly selfAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  private readonly drop: Dropout;
  private readonly drop1: Dropout;
  private readonly drop2: Dropout;
  readonly activation: 'relu' | 'gelu';
  readonly normFirst: boolean;

  constructor(dModel: number, nHead: number, dimFeedforward: number, o: EncoderLayerOptions = {}) {
    super();
    const p = o.dropout ?? 0.1;
    this.selfAttn = this.registerModule('self_attn', new MultiheadAttention(dModel, nHead, p));
    this.linear1 = this.registerModule('linear1', new Linear(dModel, dimFeedforward));
    this.drop = this.registerModule('dropout', new Dropout(p));
    this.linear2 = this.registerModule('linear2', new Linear(dimFeedforward, dModel));
    this.norm1 = this.registerModule('norm1', new LayerNorm(dModel));
    this.norm2 = this.registerModule('norm2', new LayerNorm(dModel));
    this.drop1 = this.registerModule('dropout1', new Dropout(p));
    this.drop2 = this.registerModule('dropout2', new Dropout(p));
    this.activation = o.activation ?? 'relu';
    this.normFirst = o.normFirst ?? false;
  }

  forward(x: Tensor, call: AttentionCall = {}): { output: Tensor; weights: Tensor | null } {
    let weights: Tensor | null = null;
    const output = this.forwardWith(x, (h) => {
      const r = this.selfAttn.forward(h, call);
      weights = r.weights;
      return r.output;
    });
    return { output, weights };
  }

  /**
   * The layer with its self-attention replaced by `attention` (h → attended [B, L, E], after
   * the output projection): how a key/value-cached decoder reuses the norms and feed-forward.
   * `lastOnly`: `attention` returns the last position's output only ([B, 1, E]), and so does
   * the layer; norms and feed-forward act per position, so that row equals the full pass's.
   */
  forwardWith(x: Tensor, attention: (h: Tensor) => Tensor, o: { lastOnly?: boolean } = {}): Tensor {
    const attend = (h: Tensor) => this.drop1.forward(attention(h));
    const residual = o.lastOnly ? x.narrow(1, x.size(1) - 1, 1) : x;
    const feedForward = (h: Tensor) => {
      const a = this.linear1.forward(h);
      const act = this.activation === 'relu' ? a.relu() : a.gelu();
      return this.drop2.forward(this.linear2.forward(this.drop.forward(act)));
    };
    if (this.normFirst) {
      const h = residual.add(attend(this.norm1.forward(x)));
      return h.add(feedForward(this.norm2.forward(h)));
    }
    const h = this.norm1.forward(residual.add(attend(x)));
    return this.norm2.forward(h.add(feedForward(h)));
  }
}
