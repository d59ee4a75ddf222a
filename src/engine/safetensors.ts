/**
 * safetensors files (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length, a JSON header {name: {dtype, shape, data_offsets}}, then raw little-endian
 * bytes. Written by hand because the format is ~40 lines and the npm packages for it target
 * browsers/hub downloads, not Node file I/O of libtorch tensors.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import { ARRAY_OF, Tensor, type DType } from './tensor.js';

const CODE: Record<DType, string> = {
  float32: 'F32',
  float64: 'F64',
  int64: 'I64',
  int32: 'I32',
  uint8: 'U8',
  bool: 'BOOL',
};
const DTYPE: Record<string, DType> = Object.fromEntries(
  Object.entries(CODE).map(([k, v]) => [v, k as DType]),
);
const WIDTH: Record<DType, number> = {
  float32: 4,
  float64: 8,
  int64: 8,
  int32: 4,
  uint8: 1,
  bool: 1,
};

export function saveSafetensors(
  path: string,
  tensors: Map<string, Tensor> | Record<string, Tensor>,
  metadata: Record<string, string> = {},
): void {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    const arr = t.toArray();
    const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
    header[name] = {
      dtype: CODE[t.dtype],
      shape: t.shape,
      data_offsets: [offset, offset + bytes.length],
    };
    chunks.push(bytes);
    offset += bytes.length;
  }
  // The header is padded with spaces to a multiple of 8 bytes so the data is aligned.
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  writeFileAtomic(path, Buffer.concat([prefix, json, ...chunks]));
}

export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

export function loadSafetensors(path: string): SafetensorsFile {
  const buf = readFileSync(path);
  if (buf.length < 8)
    throw new InputError(
      path,
      'header length',
      `file has ${buf.length} bytes, expected at least 8`,
    );
  const headerLength = Number(buf.readBigUInt64LE(0));
  if (8 + headerLength > buf.length) {
    throw new InputError(
      path,
      'header length',
      `${headerLength} exceeds the file size ${buf.length}`,
    );
  }
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + headerLength).toString('utf8'));
  } catch (e) {
    throw new InputError(path, 'header', `not valid JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, Tensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as unknown as Record<string, string>;
      continue;
    }
    const dtype = DTYPE[entry.dtype];
    if (!dtype) throw new InputError(path, `${name}.dtype`, `unsupported dtype ${entry.dtype}`);
    const [begin, end] = entry.data_offsets;
    const numel = entry.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== numel * WIDTH[dtype] || dataStart + end > buf.length) {
      throw new InputError(
        path,
        `${name}.data_offsets`,
        `[${begin}, ${end}] do not hold ${numel} ${dtype} values`,
      );
    }
    // Copy into an aligned buffer: typed arrays need offsets that are multiples of the width.
    const bytes = new Uint8Array(end - begin);
    bytes.set(buf.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, Tensor.from(new ARRAY_OF[dtype](bytes.buffer), entry.shape, dtype));
  }
  return { tensors, metadata };
}
