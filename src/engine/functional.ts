/** Stateless neural-network functions (torch.nn.functional's role). */
import { Tensor, op, ops } from './tensor.js';

export type Reduction = 'mean' | 'sum' | 'none';

export function matmul(a: Tensor, b: Tensor): Tensor {
  return op('matmul', a, b);
}
/** x Wᵀ + b */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return op('linear', x, weight, bias ?? null);
}
export function cat(tensors: Tensor[], dim = 0): Tensor {
  return op('cat', tensors, dim);
}
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return op('stack', tensors, dim);
}
/** Element-wise `cond ? a : b` (cond is a bool tensor). */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  return op('where', cond, a, b);
}
export function softmax(x: Tensor, dim: number): Tensor {
  return op('softmax', x, dim);
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return op('logSoftmax', x, dim);
}
export function layerNorm(
  x: Tensor,
  normalizedShape: number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  return op('layerNorm', x, normalizedShape, weight ?? null, bias ?? null, eps);
}
export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  return op('dropout', x, p, training);
}
/** Rows of `weight` picked by integer `indices`. */
export function embedding(weight: Tensor, indices: Tensor): Tensor {
  return op('embedding', weight, indices);
}

export interface AttentionOptions {
  /** bool, broadcastable to [..., L, S]; true = may attend. */
  mask?: Tensor | null;
  causal?: boolean;
  dropout?: number;
  training?: boolean;
  needWeights?: boolean;
  /**
   * ALiBi slopes m_h, one per head of q [..., heads, L, d] (see alibiSlopes): head h's score of
   * key j from query i gets −m_h·(i − j), the queries being the last L of the S key positions.
   */
  alibi?: Tensor | null;
}
/** softmax(q kᵀ/√d [+ masks] [+ ALiBi]) v over the last two dims; also the weights when asked. */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: AttentionOptions = {},
): { output: Tensor; weights: Tensor | null } {
  const [output, weights] = ops(
    'attention',
    q,
    k,
    v,
    options.mask ?? null,
    options.dropout ?? 0,
    options.causal ?? false,
    options.training ?? false,
    options.needWeights ?? false,
    options.alibi ?? null,
  );
  return { output, weights: weights ?? null };
}

export interface LstmArgs {
  input: Tensor;
  h0: Tensor;
  c0: Tensor;
  /** Per layer, per direction: w_ih, w_hh, b_ih, b_hh (PyTorch's order). */
  params: Tensor[];
  numLayers: number;
  bidirectional: boolean;
  batchFirst: boolean;
  dropout: number;
  training: boolean;
}
/** libtorch's fused multi-layer (bi)LSTM. */
export function lstm(a: LstmArgs): { output: Tensor; h: Tensor; c: Tensor } {
  const [output, h, c] = ops(
    'lstm',
    a.input,
    a.h0,
    a.c0,
    a.params,
    true,
    a.numLayers,
    a.dropout,
    a.training,
    a.bidirectional,
    a.batchFirst,
  );
  return { output, h, c };
}

export interface BceOptions {
  weight?: Tensor | null;
  posWeight?: Tensor | null;
  reduction?: Reduction;
}
export function bceWithLogits(logits: Tensor, target: Tensor, o: BceOptions = {}): Tensor {
  return op(
    'bceWithLogits',
    logits,
    target,
    o.weight ?? null,
    o.posWeight ?? null,
    o.reduction ?? 'mean',
  );
}

export interface CrossEntropyOptions {
  /** Per-class weights (e.g. inverse frequency for class balance). */
  weight?: Tensor | null;
  reduction?: Reduction;
  ignoreIndex?: number;
  labelSmoothing?: number;
}
/** logits [N, C] against int64 class indices [N]. */
export function crossEntropy(logits: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  return op(
    'crossEntropy',
    logits,
    target,
    o.weight ?? null,
    o.reduction ?? 'mean',
    o.ignoreIndex ?? -100,
    o.labelSmoothing ?? 0,
  );
}
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return op('mseLoss', input, target, reduction);
}
