/** Small h5wasm helpers shared by the HDF5-based readers and writers. */
import h5wasm from 'h5wasm/node';
import { existsSync } from 'node:fs';
import { InputError } from '../core/errors.js';

export type H5File = InstanceType<typeof h5wasm.File>;
export type H5Dataset = InstanceType<typeof h5wasm.Dataset>;
export type H5Group = InstanceType<typeof h5wasm.Group>;

/** Opens an HDF5 file for reading, with a one-line error when it is missing or not HDF5. */
export async function openH5(path: string): Promise<H5File> {
  await h5wasm.ready;
  if (!existsSync(path)) throw new InputError(path, undefined, 'file not found');
  try {
    return new h5wasm.File(path, 'r');
  } catch (err) {
    throw new InputError(path, undefined, `not a readable HDF5 file (${(err as Error).message})`);
  }
}

/** Creates (truncates) an HDF5 file for writing. */
export async function createH5(path: string): Promise<H5File> {
  await h5wasm.ready;
  return new h5wasm.File(path, 'w');
}

export function isDataset(x: unknown): x is H5Dataset {
  return x instanceof h5wasm.Dataset;
}

export function isGroup(x: unknown): x is H5Group {
  return x instanceof h5wasm.Group;
}

/** The dataset at `path`, or an InputError naming the file and the missing path. */
export function dataset(f: H5File, file: string, path: string): H5Dataset {
  const d = f.get(path);
  if (!isDataset(d))
    throw new InputError(file, path, 'missing dataset; expected it in this format');
  return d;
}

/** A numeric dataset as float64 numbers (int64/uint64 through Number). */
export function numbers(d: H5Dataset, file: string): Float64Array {
  return asFloat64(d.value, file, d.path);
}

/** A hyperslab of a numeric dataset (e.g. [[start, stop]] rows), as float64. */
export function sliceNumbers(
  d: H5Dataset,
  ranges: [number, number][] | number[][],
  file: string,
): Float64Array {
  return asFloat64(d.slice(ranges as never), file, d.path);
}

function asFloat64(v: unknown, file: string, path: string): Float64Array {
  if (v === null || v === undefined) return new Float64Array(0);
  if (typeof v === 'number' || typeof v === 'bigint') return Float64Array.of(Number(v));
  if (ArrayBuffer.isView(v)) {
    if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
      return Float64Array.from(v, (x) => Number(x));
    }
    return v instanceof Float64Array ? v : Float64Array.from(v as unknown as ArrayLike<number>);
  }
  if (Array.isArray(v)) return Float64Array.from((v as unknown[]).flat(8) as number[], Number);
  throw new InputError(file, path, `expected numbers, got ${typeof v}`);
}

/** A string attribute, or undefined. */
export function attrString(obj: { attrs: Record<string, { value: unknown }> }, name: string) {
  const a = obj.attrs[name];
  const v = a?.value;
  return typeof v === 'string' ? v : undefined;
}
