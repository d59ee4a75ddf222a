/**
 * The addon's functions as TypeScript sees them (see native/*.cc): a misspelled op or a
 * wrong argument list fails to compile instead of failing at run time. Tensor ops take
 * handles and plain values and return one handle (or a list); the others are typed one by
 * one. test/engine/native-api.test.ts checks these lists against the loaded addon.
 */

/** Element types of tensors, as the addon names them (tensor.ts re-exports it). */
export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';

/** A handle to a libtorch tensor in the addon's table (slot + generation, as a number). */
export type NativeHandle = number & { readonly __native: unique symbol };

/** Ops returning one tensor, called through `op(name, …)` in tensor.ts. */
export const TENSOR_OPS = [
  'abs',
  'add',
  'addScalar',
  'arange',
  'argmax',
  'bceWithLogits',
  'cat',
  'clamp',
  'clone',
  'contiguous',
  'crossEntropy',
  'cumsum',
  'detach',
  'div',
  'divScalar',
  'dropout',
  'embedding',
  'eq',
  'eqScalar',
  'exp',
  'expand',
  'eye',
  'flatten',
  'flip',
  'full',
  'gather',
  'ge',
  'geScalar',
  'gelu',
  'gt',
  'gtScalar',
  'indexSelect',
  'isnan',
  'layerNorm',
  'le',
  'leScalar',
  'linear',
  'log',
  'log1p',
  'logSigmoid',
  'logSoftmax',
  'logicalAnd',
  'logicalNot',
  'logicalOr',
  'logsumexp',
  'lt',
  'ltScalar',
  'maskedFill',
  'matmul',
  'maxAll',
  'maximum',
  'mean',
  'minAll',
  'minimum',
  'mseLoss',
  'mul',
  'mulScalar',
  'narrow',
  'ne',
  'neScalar',
  'neg',
  'norm',
  'ones',
  'permute',
  'pow',
  'powScalar',
  'rand',
  'randn',
  'relu',
  'repeat',
  'reshape',
  'rsqrt',
  'scatter',
  'select',
  'sigmoid',
  'sign',
  'silu',
  'slice',
  'softmax',
  'softplus',
  'sqrt',
  'squeeze',
  'stack',
  'sub',
  'subScalar',
  'sum',
  'tanh',
  'toDevice',
  'toDtype',
  'transpose',
  'tril',
  'triu',
  'unsqueeze',
  'var',
  'view',
  'where',
  'zeros',
] as const;

/** Ops returning a list of tensors (null entries kept), called through `ops(name, …)`. */
export const TENSOR_LIST_OPS = ['attention', 'lstm', 'autogradGrad', 'maxDim', 'minDim'] as const;

export type TensorOp = (typeof TENSOR_OPS)[number];
export type TensorListOp = (typeof TENSOR_LIST_OPS)[number];

/** What an op's arguments may be once tensors are unwrapped to handles. */
export type NativeArg = NativeHandle | NativeHandle[] | number | number[] | string | boolean | null;

export interface TensorInfo {
  shape: number[];
  dtype: DType;
  device: string;
}

type TensorOpFunctions = { [K in TensorOp]: (...args: NativeArg[]) => NativeHandle };
type TensorListOpFunctions = {
  [K in TensorListOp]: (...args: NativeArg[]) => (NativeHandle | null)[];
};

export interface NativeAddon extends TensorOpFunctions, TensorListOpFunctions {
  fromBuffer(
    data: ArrayBufferView,
    shape: number[],
    dtype: DType,
    device: string | undefined,
  ): NativeHandle;
  toBuffer(h: NativeHandle): ArrayBuffer;
  item(h: NativeHandle): number;
  info(h: NativeHandle): TensorInfo;
  isDisposed(h: NativeHandle): boolean;
  dispose(h: NativeHandle): void;
  liveTensors(): number;
  requiresGrad(h: NativeHandle): boolean;
  setRequiresGrad(h: NativeHandle, flag: boolean): void;
  grad(h: NativeHandle): NativeHandle | null;
  clearGrad(h: NativeHandle): void;
  backward(h: NativeHandle, gradient: NativeHandle | null, retainGraph: boolean): void;
  isGradEnabled(): boolean;
  setGradEnabled(on: boolean): void;
  uniform_(h: NativeHandle, low: number, high: number): void;
  normal_(h: NativeHandle, mean: number, std: number): void;
  fill_(h: NativeHandle, value: number): void;
  copy_(h: NativeHandle, src: NativeHandle): void;
  randperm(n: number): NativeHandle;
  adamStep(
    params: NativeHandle[],
    expAvg: NativeHandle[],
    expAvgSq: NativeHandle[],
    step: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    decoupled: boolean,
  ): void;
  clipGradNorm(params: NativeHandle[], maxNorm: number): number;
  manualSeed(seed: number): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  configureAllocator(mmapThreshold: number, trimThreshold: number): void;
  fusedAttention(): boolean;
  setFusedAttention(on: boolean): void;
  fusedAttentionKernel(kernel: string): string;
  cudaAvailable(): boolean;
  cudaDeviceCount(): number;
  torchVersion(): string;
  buildConfig(): string;
  allclose(a: NativeHandle, b: NativeHandle, rtol: number, atol: number): boolean;
}
