/** Tensor factories. `device` defaults to the engine's current default device. */
import { native } from './native.js';
import { Tensor, op, type DType } from './tensor.js';
import { defaultDevice } from './runtime.js';

export function zeros(
  shape: readonly number[],
  dtype: DType = 'float32',
  device = defaultDevice(),
): Tensor {
  return op('zeros', [...shape], dtype, device);
}
export function ones(
  shape: readonly number[],
  dtype: DType = 'float32',
  device = defaultDevice(),
): Tensor {
  return op('ones', [...shape], dtype, device);
}
export function full(
  shape: readonly number[],
  value: number,
  dtype: DType = 'float32',
  device = defaultDevice(),
): Tensor {
  return op('full', [...shape], value, dtype, device);
}
/** Uniform in [0, 1), from libtorch's generator (see manualSeed). */
export function rand(
  shape: readonly number[],
  dtype: DType = 'float32',
  device = defaultDevice(),
): Tensor {
  return op('rand', [...shape], dtype, device);
}
export function randn(
  shape: readonly number[],
  dtype: DType = 'float32',
  device = defaultDevice(),
): Tensor {
  return op('randn', [...shape], dtype, device);
}
export function arange(
  start: number,
  end: number,
  step = 1,
  dtype: DType = 'int64',
  device = defaultDevice(),
): Tensor {
  return op('arange', start, end, step, dtype, device);
}
export function eye(n: number, dtype: DType = 'float32', device = defaultDevice()): Tensor {
  return op('eye', n, dtype, device);
}
export function randperm(n: number): Tensor {
  return Tensor.wrap(native().randperm(n));
}
export function tensor(data: ArrayLike<number>, shape?: readonly number[], dtype?: DType): Tensor {
  return Tensor.from(data, shape, dtype, defaultDevice());
}
