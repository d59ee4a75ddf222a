/**
 * The Tensor: a handle to a libtorch tensor with a small, PyTorch-like method surface.
 * Every method returns a new tensor (registered in the current `tidy` scope); in-place
 * operations end in `_` as in PyTorch and are limited to initialisation and loading.
 */
import { UsageError } from '../core/errors.js';
import { native, type NativeHandle } from './native.js';
import { defaultDevice } from './runtime.js';
import type { DType, NativeArg, TensorListOp, TensorOp } from './native-api.js';
import { track, type Disposable } from './scope.js';

export type { DType };
export type TypedArrayOf<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int64'
      ? BigInt64Array
      : D extends 'int32'
        ? Int32Array
        : Uint8Array;
export type AnyTypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
export type Operand = Tensor | number;

/** The typed array that holds each dtype's elements (bool as bytes). */
export const ARRAY_OF: Record<DType, new (b: ArrayBuffer) => AnyTypedArray> = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  int32: Int32Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

function inferDtype(data: ArrayLike<number> | AnyTypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'uint8';
  return 'float32';
}

function toTypedArray(data: ArrayLike<number> | AnyTypedArray, dtype: DType): AnyTypedArray {
  const Ctor = ARRAY_OF[dtype];
  if (data instanceof Ctor) return data;
  const n = data.length;
  if (dtype === 'int64') {
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) out[i] = BigInt(Math.trunc(Number(data[i])));
    return out;
  }
  const out = new (Ctor as unknown as new (n: number) => AnyTypedArray)(n) as Exclude<
    AnyTypedArray,
    BigInt64Array
  >;
  for (let i = 0; i < n; i++) out[i] = Number(data[i]);
  return out;
}

/**
 * Safety net for tensors that are neither disposed nor in a scope: when the JS object is
 * collected, its native tensor is freed. Deterministic code should not rely on it.
 */
const finalizer = new FinalizationRegistry<NativeHandle>((h) => native().dispose(h));

export class Tensor implements Disposable {
  private handle: NativeHandle;
  private cachedInfo: { shape: number[]; dtype: DType; device: string } | null = null;

  private constructor(handle: NativeHandle) {
    this.handle = handle;
  }

  /** @internal Wraps a handle returned by the addon and registers it in the current scope. */
  static wrap(handle: NativeHandle): Tensor {
    const t = new Tensor(handle);
    finalizer.register(t, handle, t);
    return track(t);
  }

  /** @internal The handle to pass to the addon. */
  get h(): NativeHandle {
    return this.handle;
  }

  /**
   * A tensor holding a copy of `data` (row-major) with the given shape (default: 1-D), on
   * `device` (default: the engine's default device, so batches meet the model's parameters).
   */
  static from(
    data: ArrayLike<number> | AnyTypedArray,
    shape?: readonly number[],
    dtype?: DType,
    device?: string,
  ): Tensor {
    const dt = dtype ?? inferDtype(data);
    const arr = toTypedArray(data, dt);
    const sh = shape ?? [arr.length];
    const numel = sh.reduce((a, b) => a * b, 1);
    if (numel !== arr.length) {
      throw new UsageError(
        `Tensor.from: ${arr.length} values cannot fill shape [${sh.join(', ')}]`,
      );
    }
    return Tensor.wrap(native().fromBuffer(arr, [...sh], dt, device ?? defaultDevice()));
  }

  get isDisposed(): boolean {
    return native().isDisposed(this.handle) as boolean;
  }

  /** Frees the tensor's memory now. Using it afterwards throws. */
  dispose(): void {
    finalizer.unregister(this);
    native().dispose(this.handle);
  }

  private info() {
    this.cachedInfo ??= native().info(this.handle);
    return this.cachedInfo!;
  }
  get shape(): number[] {
    return [...this.info().shape];
  }
  get dtype(): DType {
    return this.info().dtype;
  }
  get device(): string {
    return this.info().device;
  }
  get ndim(): number {
    return this.info().shape.length;
  }
  get numel(): number {
    return this.info().shape.reduce((a, b) => a * b, 1);
  }
  size(dim: number): number {
    const s = this.info().shape;
    return s[dim < 0 ? s.length + dim : dim];
  }

  /** A copy of the data as a typed array of the tensor's dtype (bool → Uint8Array). */
  toArray(): AnyTypedArray {
    return new ARRAY_OF[this.dtype](native().toBuffer(this.handle));
  }
  /** The data as plain numbers (int64 converted with Number()). */
  toNumbers(): number[] {
    return Array.from(this.toArray() as ArrayLike<number | bigint>, Number);
  }
  item(): number {
    return native().item(this.handle) as number;
  }

  // ---- shape ----
  reshape(shape: readonly number[]): Tensor {
    return op('reshape', this, [...shape]);
  }
  view(shape: readonly number[]): Tensor {
    return op('view', this, [...shape]);
  }
  permute(dims: readonly number[]): Tensor {
    return op('permute', this, [...dims]);
  }
  transpose(a: number, b: number): Tensor {
    return op('transpose', this, a, b);
  }
  /** length elements of `dim` from `start` (a view). */
  narrow(dim: number, start: number, length: number): Tensor {
    return op('narrow', this, dim, start, length);
  }
  slice(dim: number, start: number, end: number, step = 1): Tensor {
    return op('slice', this, dim, start, end, step);
  }
  select(dim: number, index: number): Tensor {
    return op('select', this, dim, index);
  }
  squeeze(dim: number): Tensor {
    return op('squeeze', this, dim);
  }
  unsqueeze(dim: number): Tensor {
    return op('unsqueeze', this, dim);
  }
  expand(shape: readonly number[]): Tensor {
    return op('expand', this, [...shape]);
  }
  repeat(times: readonly number[]): Tensor {
    return op('repeat', this, [...times]);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return op('flatten', this, startDim, endDim);
  }
  flip(dims: readonly number[]): Tensor {
    return op('flip', this, [...dims]);
  }
  contiguous(): Tensor {
    return op('contiguous', this);
  }
  clone(): Tensor {
    return op('clone', this);
  }
  to(dtype: DType): Tensor {
    return op('toDtype', this, dtype);
  }
  toDevice(device: string): Tensor {
    return op('toDevice', this, device);
  }
  tril(diagonal = 0): Tensor {
    return op('tril', this, diagonal);
  }
  triu(diagonal = 0): Tensor {
    return op('triu', this, diagonal);
  }

  // ---- indexing ----
  indexSelect(dim: number, index: Tensor): Tensor {
    return op('indexSelect', this, dim, index);
  }
  gather(dim: number, index: Tensor): Tensor {
    return op('gather', this, dim, index);
  }
  scatter(dim: number, index: Tensor, src: Tensor): Tensor {
    return op('scatter', this, dim, index, src);
  }
  maskedFill(mask: Tensor, value: number): Tensor {
    return op('maskedFill', this, mask, value);
  }

  // ---- element-wise ----
  add(o: Operand): Tensor {
    return binary('add', this, o);
  }
  sub(o: Operand): Tensor {
    return binary('sub', this, o);
  }
  mul(o: Operand): Tensor {
    return binary('mul', this, o);
  }
  div(o: Operand): Tensor {
    return binary('div', this, o);
  }
  pow(o: Operand): Tensor {
    return binary('pow', this, o);
  }
  maximum(o: Tensor): Tensor {
    return op('maximum', this, o);
  }
  minimum(o: Tensor): Tensor {
    return op('minimum', this, o);
  }
  neg(): Tensor {
    return op('neg', this);
  }
  abs(): Tensor {
    return op('abs', this);
  }
  sqrt(): Tensor {
    return op('sqrt', this);
  }
  rsqrt(): Tensor {
    return op('rsqrt', this);
  }
  exp(): Tensor {
    return op('exp', this);
  }
  log(): Tensor {
    return op('log', this);
  }
  log1p(): Tensor {
    return op('log1p', this);
  }
  sigmoid(): Tensor {
    return op('sigmoid', this);
  }
  logSigmoid(): Tensor {
    return op('logSigmoid', this);
  }
  tanh(): Tensor {
    return op('tanh', this);
  }
  relu(): Tensor {
    return op('relu', this);
  }
  gelu(): Tensor {
    return op('gelu', this);
  }
  silu(): Tensor {
    return op('silu', this);
  }
  softplus(): Tensor {
    return op('softplus', this);
  }
  sign(): Tensor {
    return op('sign', this);
  }
  isnan(): Tensor {
    return op('isnan', this);
  }
  clamp(min: number | null, max: number | null = null): Tensor {
    return op('clamp', this, min, max);
  }

  // ---- comparison and logic (results are bool tensors) ----
  eq(o: Operand): Tensor {
    return binary('eq', this, o);
  }
  ne(o: Operand): Tensor {
    return binary('ne', this, o);
  }
  lt(o: Operand): Tensor {
    return binary('lt', this, o);
  }
  le(o: Operand): Tensor {
    return binary('le', this, o);
  }
  gt(o: Operand): Tensor {
    return binary('gt', this, o);
  }
  ge(o: Operand): Tensor {
    return binary('ge', this, o);
  }
  logicalAnd(o: Tensor): Tensor {
    return op('logicalAnd', this, o);
  }
  logicalOr(o: Tensor): Tensor {
    return op('logicalOr', this, o);
  }
  logicalNot(): Tensor {
    return op('logicalNot', this);
  }

  // ---- reductions ----
  sum(dims?: readonly number[] | number, keepdim = false): Tensor {
    return op('sum', this, dimList(dims), keepdim);
  }
  mean(dims?: readonly number[] | number, keepdim = false): Tensor {
    return op('mean', this, dimList(dims), keepdim);
  }
  /** Variance with `correction` degrees of freedom removed (1 = sample variance). */
  var(dims?: readonly number[] | number, keepdim = false, correction = 1): Tensor {
    return op('var', this, dimList(dims), keepdim, correction);
  }
  max(): Tensor;
  max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  max(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return op('maxAll', this);
    const [values, indices] = ops('maxDim', this, dim, keepdim);
    return { values, indices };
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  min(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return op('minAll', this);
    const [values, indices] = ops('minDim', this, dim, keepdim);
    return { values, indices };
  }
  argmax(dim: number, keepdim = false): Tensor {
    return op('argmax', this, dim, keepdim);
  }
  logsumexp(dims: readonly number[] | number, keepdim = false): Tensor {
    return op('logsumexp', this, dimList(dims), keepdim);
  }
  norm(): Tensor {
    return op('norm', this);
  }
  cumsum(dim: number): Tensor {
    return op('cumsum', this, dim);
  }
  matmul(o: Tensor): Tensor {
    return op('matmul', this, o);
  }

  // ---- autograd ----
  get requiresGrad(): boolean {
    return native().requiresGrad(this.handle) as boolean;
  }
  /** Marks this tensor as a leaf whose gradient is accumulated by backward(). */
  requiresGrad_(flag = true): this {
    native().setRequiresGrad(this.handle, flag);
    return this;
  }
  /** The accumulated gradient (a new handle each call), or null. */
  get grad(): Tensor | null {
    const g = native().grad(this.handle);
    return g ? Tensor.wrap(g) : null;
  }
  /** Forgets the accumulated gradient. */
  zeroGrad(): void {
    native().clearGrad(this.handle);
  }
  backward(gradient?: Tensor, retainGraph = false): void {
    native().backward(this.handle, gradient?.h ?? null, retainGraph);
  }
  detach(): Tensor {
    return op('detach', this);
  }

  // ---- in place (no autograd) ----
  uniform_(low: number, high: number): this {
    native().uniform_(this.handle, low, high);
    return this;
  }
  normal_(mean: number, std: number): this {
    native().normal_(this.handle, mean, std);
    return this;
  }
  fill_(value: number): this {
    native().fill_(this.handle, value);
    return this;
  }
  copy_(src: Tensor): this {
    native().copy_(this.handle, src.h);
    return this;
  }

  toString(): string {
    return this.isDisposed
      ? 'Tensor(disposed)'
      : `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device})`;
  }
}

/** Tensor–tensor and tensor–number variants are separate addon functions. */
function binary(
  name: 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge',
  a: Tensor,
  b: Operand,
): Tensor {
  return typeof b === 'number' ? op(`${name}Scalar`, a, b) : op(name, a, b);
}

function dimList(dims: readonly number[] | number | undefined): number[] | null {
  if (dims === undefined) return null;
  return typeof dims === 'number' ? [dims] : [...dims];
}

function unwrapArg(a: unknown): NativeArg {
  if (a instanceof Tensor) return a.h;
  if (Array.isArray(a) && a.length > 0 && a[0] instanceof Tensor) return a.map((t: Tensor) => t.h);
  return a as NativeArg;
}

/** @internal Calls an addon function returning one tensor. */
export function op(name: TensorOp, ...args: unknown[]): Tensor {
  return Tensor.wrap(native()[name](...args.map(unwrapArg)));
}

/** @internal Calls an addon function returning a list of tensors (null entries kept). */
export function ops(name: TensorListOp, ...args: unknown[]): Tensor[] {
  const out = native()[name](...args.map(unwrapArg));
  return out.map((h) => (h ? Tensor.wrap(h) : (null as unknown as Tensor)));
}
