/**
 * NumPy `.npy` files (format versions 1, 2 and 3), read and written without NumPy.
 *
 * Reading parses the header, then reads the data straight into the final typed array in
 * chunks, so a multi-GB file is never held twice in memory. Big-endian data is byte-swapped
 * in place after reading. Fortran-ordered arrays are transposed while reading, so `data` is
 * always row-major (C order) whatever the file's `order` says: no caller can read a
 * column-major matrix in storage order by mistake.
 *
 * Every size a header declares is checked against the file's size before anything is
 * allocated, so a corrupt or hostile header gives an InputError, not a 4 GB allocation.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { InputError, UsageError } from '../core/errors.js';
import { withAtomicPath } from '../core/atomic.js';
import { excerpt, fsInputError, requireFile } from './table.js';

export type NpyKind = 'f4' | 'f8' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2' | 'u4' | 'u8' | 'b1';

export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

export interface NpyHeader {
  version: 1 | 2 | 3;
  /** Dtype without byte order, e.g. `f8`. */
  kind: NpyKind;
  littleEndian: boolean;
  shape: number[];
  order: 'C' | 'F';
  /** Byte offset of the first data byte. */
  dataOffset: number;
  /** Number of elements (product of shape). */
  length: number;
  itemSize: number;
}

export interface NpyArray {
  /** The elements in row-major (C) order, whatever the file's order. */
  data: NpyData;
  shape: number[];
  /** The file's storage order (the data has been transposed to C order when it was 'F'). */
  order: 'C' | 'F';
  kind: NpyKind;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ITEM_SIZE: Record<NpyKind, number> = {
  f4: 4,
  f8: 8,
  i1: 1,
  i2: 2,
  i4: 4,
  i8: 8,
  u1: 1,
  u2: 2,
  u4: 4,
  u8: 8,
  b1: 1,
};
const CHUNK_BYTES = 64 * 1024 * 1024;
/**
 * Largest header accepted. NumPy writes headers of a few hundred bytes (and `np.load` refuses
 * more than 10000 by default); 1 MiB is generous yet stops a v2/v3 `header_len` of 4 GiB
 * from being allocated.
 */
const MAX_HEADER_BYTES = 1 << 20;

function construct(kind: NpyKind, buf: ArrayBuffer, length: number): NpyData {
  switch (kind) {
    case 'f4':
      return new Float32Array(buf, 0, length);
    case 'f8':
      return new Float64Array(buf, 0, length);
    case 'i1':
      return new Int8Array(buf, 0, length);
    case 'i2':
      return new Int16Array(buf, 0, length);
    case 'i4':
      return new Int32Array(buf, 0, length);
    case 'i8':
      return new BigInt64Array(buf, 0, length);
    case 'u1':
    case 'b1':
      return new Uint8Array(buf, 0, length);
    case 'u2':
      return new Uint16Array(buf, 0, length);
    case 'u4':
      return new Uint32Array(buf, 0, length);
    case 'u8':
      return new BigUint64Array(buf, 0, length);
  }
}

/** Parses the header from the first bytes of a file (at least the header's length). */
export function parseNpyHeader(bytes: Uint8Array, file: string): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new InputError(file, 'magic', 'not a .npy file (expected the bytes \\x93NUMPY)');
  }
  const major = bytes[6];
  if (major < 1 || major > 3) {
    throw new InputError(file, 'version', `unsupported .npy version ${major} (expected 1, 2 or 3)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw truncatedHeader(file, 8 + lenBytes, bytes.length);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  if (bytes.length < start + headerLen)
    throw truncatedHeader(file, start + headerLen, bytes.length);
  // v1/v2 headers are latin1, v3 is utf8; the dict itself is ASCII in practice.
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(start, start + headerLen),
  );
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new InputError(
      file,
      'header',
      `expected a dict with 'descr', 'fortran_order' and 'shape', got ${excerpt(JSON.stringify(text.trim()))}`,
    );
  }
  const m = /^([<>|=])([a-z]\d+)$/.exec(descr);
  const kind = m?.[2] as NpyKind | undefined;
  if (!m || !kind || !(kind in ITEM_SIZE)) {
    throw new InputError(
      file,
      'descr',
      `unsupported dtype '${excerpt(descr)}' (expected one of f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1 with <, > or |)`,
    );
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim().replace(/L$/, ''))
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = /^\d+$/.test(s) ? Number(s) : NaN;
      if (!Number.isSafeInteger(n)) {
        throw new InputError(
          file,
          'shape',
          `expected non-negative integers, got (${excerpt(shapeText)})`,
        );
      }
      return n;
    });
  const length = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(length * ITEM_SIZE[kind])) {
    throw new InputError(file, 'shape', `(${shape.join(', ')}) is too large for any file`);
  }
  return {
    version: major as 1 | 2 | 3,
    kind,
    littleEndian: m[1] !== '>',
    shape,
    order: fortran === 'True' ? 'F' : 'C',
    dataOffset: start + headerLen,
    length,
    itemSize: ITEM_SIZE[kind],
  };
}

function truncatedHeader(file: string, expected: number, actual: number): InputError {
  return new InputError(
    file,
    'header',
    `truncated: expected at least ${expected} header bytes, file has ${actual}`,
  );
}

/** A descriptor of the regular file `path`; file-system errors become InputErrors. */
function openReadable(path: string): number {
  requireFile(path);
  try {
    return openSync(path, 'r');
  } catch (err) {
    throw fsInputError(path, undefined, err);
  }
}

/**
 * Opens `path` and runs `body` on the descriptor, turning file-system errors (a folder, a
 * dangling link, no permission) into InputErrors naming the file.
 */
function withFile<T>(path: string, body: (fd: number, size: number) => T): T {
  const fd = openReadable(path);
  try {
    return body(fd, fstatSync(fd).size);
  } catch (err) {
    throw fsInputError(path, undefined, err);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads only the header of a `.npy` file; the data size the header declares is checked
 * against the file's size (a header promising more data than the file holds is refused).
 */
export function readNpyHeader(path: string): NpyHeader {
  return withFile(path, (fd, size) => {
    const h = readHeaderFd(fd, path, size);
    checkDataSize(h, path, size);
    return h;
  });
}

function readHeaderFd(fd: number, path: string, size: number): NpyHeader {
  const head = new Uint8Array(12);
  const got = readSync(fd, head, 0, 12, 0);
  const first = head.subarray(0, got);
  if (got < 10 || MAGIC.some((b, i) => first[i] !== b)) return parseNpyHeader(first, path);
  if (first[6] < 1 || first[6] > 3) return parseNpyHeader(first, path);
  const lenBytes = first[6] === 1 ? 2 : 4;
  if (got < 8 + lenBytes) throw truncatedHeader(path, 8 + lenBytes, got);
  const view = new DataView(head.buffer);
  const headerLen = lenBytes === 2 ? view.getUint16(8, true) : view.getUint32(8, true);
  // Checked before allocating: the length comes from the file and may be anything.
  if (8 + lenBytes + headerLen > size) throw truncatedHeader(path, 8 + lenBytes + headerLen, size);
  if (headerLen > MAX_HEADER_BYTES) {
    throw new InputError(
      path,
      'header_len',
      `${headerLen} bytes; expected a header of at most ${MAX_HEADER_BYTES} bytes`,
    );
  }
  const all = new Uint8Array(8 + lenBytes + headerLen);
  const n = readSync(fd, all, 0, all.length, 0);
  return parseNpyHeader(all.subarray(0, n), path);
}

function checkDataSize(h: NpyHeader, path: string, size: number): void {
  const nbytes = h.length * h.itemSize;
  if (size - h.dataOffset < nbytes) {
    throw new InputError(
      path,
      'data',
      `truncated: shape (${h.shape.join(', ')}) of ${h.kind} needs ${nbytes} data bytes, file has ${Math.max(0, size - h.dataOffset)}`,
    );
  }
}

/** Reads a whole `.npy` file into one typed array (chunked, no intermediate copies). */
export function readNpy(path: string): NpyArray {
  return withFile(path, (fd, size) => {
    const h = readHeaderFd(fd, path, size);
    checkDataSize(h, path, size);
    const nbytes = h.length * h.itemSize;
    let buf: ArrayBuffer;
    try {
      buf = new ArrayBuffer(nbytes);
    } catch {
      throw new InputError(
        path,
        'shape',
        `(${h.shape.join(', ')}) of ${h.kind} is ${nbytes} bytes, more than this process can hold in memory`,
      );
    }
    const bytes = new Uint8Array(buf);
    for (let done = 0; done < nbytes;) {
      const n = readSync(
        fd,
        bytes,
        done,
        Math.min(CHUNK_BYTES, nbytes - done),
        h.dataOffset + done,
      );
      if (n <= 0) throw new InputError(path, 'data', `unexpected end of file at byte ${done}`);
      done += n;
    }
    if (!h.littleEndian && h.itemSize > 1) swapBytes(bytes, h.itemSize);
    const stored = construct(h.kind, buf, h.length);
    const data = h.order === 'F' ? fortranToC(stored, h.shape) : stored;
    return { data, shape: h.shape, order: h.order, kind: h.kind };
  });
}

/**
 * A `.npy` file that must hold one value per item (spike times, cluster ids): 1-D, or 2-D
 * with one dimension of length 1 (Kilosort writes `spike_times.npy` as (n, 1)). Anything
 * else is refused rather than flattened. `numeric` refuses booleans too.
 */
export function readNpyVector(path: string, numeric = true): NpyArray {
  const a = readNpy(path);
  if (a.shape.length > 2 || nonTrivialDims(a.shape) > 1) {
    throw new InputError(
      path,
      'shape',
      `(${a.shape.join(', ')}); expected a 1-D array (or (n, 1)) with one value per item`,
    );
  }
  if (numeric && a.kind === 'b1') {
    throw new InputError(path, 'descr', 'booleans; expected numbers');
  }
  return a;
}

/** Dimensions longer than 1: when at most one, C and Fortran storage orders coincide. */
function nonTrivialDims(shape: number[]): number {
  return shape.filter((d) => d > 1).length;
}

/**
 * Column-major elements to row-major. Column-major storage of shape (d0 … dk) is the
 * row-major storage of the reversed shape, so this is a full axis reversal.
 */
function fortranToC(src: NpyData, shape: number[]): NpyData {
  if (nonTrivialDims(shape) <= 1) return src;
  const out = new (src.constructor as new (n: number) => NpyData)(src.length);
  const k = shape.length;
  // Stride of each axis in the Fortran source.
  const stride = new Array<number>(k);
  for (let a = 0, s = 1; a < k; a++) {
    stride[a] = s;
    s *= shape[a];
  }
  const idx = new Array<number>(k).fill(0);
  let from = 0;
  for (let o = 0; o < src.length; o++) {
    (out as unknown as number[])[o] = (src as unknown as number[])[from];
    // Odometer over C order: the last axis moves fastest.
    for (let a = k - 1; a >= 0; a--) {
      idx[a]++;
      from += stride[a];
      if (idx[a] < shape[a]) break;
      from -= stride[a] * shape[a];
      idx[a] = 0;
    }
  }
  return out;
}

/**
 * Yields the data of a 1-D (or flattened) `.npy` file in chunks of at most `chunkLength`,
 * in C order; a Fortran-ordered file with more than one dimension longer than 1 is refused
 * (it cannot be transposed chunk by chunk: use `readNpy`).
 */
export function* readNpyChunks(path: string, chunkLength = 1 << 22): Generator<NpyData> {
  const fd = openReadable(path);
  try {
    const size = fstatSync(fd).size;
    const h = readHeaderFd(fd, path, size);
    checkDataSize(h, path, size);
    if (h.order === 'F' && nonTrivialDims(h.shape) > 1) {
      throw new InputError(
        path,
        'fortran_order',
        `a Fortran-ordered (${h.shape.join(', ')}) array cannot be streamed in row order; expected C order`,
      );
    }
    for (let i = 0; i < h.length; i += chunkLength) {
      const len = Math.min(chunkLength, h.length - i);
      const buf = new ArrayBuffer(len * h.itemSize);
      const bytes = new Uint8Array(buf);
      readSync(fd, bytes, 0, bytes.length, h.dataOffset + i * h.itemSize);
      if (!h.littleEndian && h.itemSize > 1) swapBytes(bytes, h.itemSize);
      yield construct(h.kind, buf, len);
    }
  } finally {
    closeSync(fd);
  }
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** The npy kind of a typed array (Uint8Array is `u1`; pass `kind: 'b1'` for booleans). */
export function kindOf(data: NpyData): NpyKind {
  if (data instanceof Float32Array) return 'f4';
  if (data instanceof Float64Array) return 'f8';
  if (data instanceof Int8Array) return 'i1';
  if (data instanceof Int16Array) return 'i2';
  if (data instanceof Int32Array) return 'i4';
  if (data instanceof BigInt64Array) return 'i8';
  if (data instanceof Uint16Array) return 'u2';
  if (data instanceof Uint32Array) return 'u4';
  if (data instanceof BigUint64Array) return 'u8';
  return 'u1';
}

/**
 * The header bytes (v1 when it fits, else v2), padded so data starts on a 64-byte boundary;
 * `length`: pad with spaces to exactly this many bytes (a multiple of 64), so a header
 * written before the row count was known can be overwritten in place.
 */
export function npyHeaderBytes(
  kind: NpyKind,
  shape: number[],
  order: 'C' | 'F' = 'C',
  length?: number,
): Uint8Array {
  const order_ = kind === 'u1' || kind === 'i1' || kind === 'b1' ? '|' : '<';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${order_}${kind}', 'fortran_order': ${order === 'F' ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const padFor = (prefix: number) =>
    length !== undefined
      ? length - prefix - dict.length - 1
      : (64 - ((prefix + dict.length + 1) % 64)) % 64;
  const v1 = dict.length + 1 + padFor(10) < 65536;
  const prefix = v1 ? 10 : 12;
  const pad = padFor(prefix);
  if (pad < 0) throw new Error(`npy header of ${shapeText} does not fit in ${length} bytes`);
  dict = dict + ' '.repeat(pad) + '\n';
  const out = new Uint8Array(prefix + dict.length);
  out.set(MAGIC, 0);
  out[6] = v1 ? 1 : 2;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (v1) view.setUint16(8, dict.length, true);
  else view.setUint32(8, dict.length, true);
  out.set(new TextEncoder().encode(dict), prefix);
  return out;
}

function littleEndianHost(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/** Writes a `.npy` file atomically (little-endian). `shape` defaults to 1-D. */
export async function writeNpy(
  path: string,
  data: NpyData,
  options: { shape?: number[]; order?: 'C' | 'F'; kind?: NpyKind } = {},
): Promise<void> {
  const kind = options.kind ?? kindOf(data);
  const shape = options.shape ?? [data.length];
  if (shape.reduce((a, b) => a * b, 1) !== data.length) {
    throw new UsageError(
      `writeNpy: shape: (${shape.join(', ')}) does not match the data's ${data.length} elements`,
    );
  }
  if (!littleEndianHost()) throw new Error('writeNpy: big-endian hosts are not supported');
  await withAtomicPath(path, (tmp) => {
    const w = new NpyStreamWriter(tmp, kind, shape, options.order);
    w.append(data);
    w.close();
  });
}

/**
 * Writes a 1-D or N-D `.npy` whose size is known up front, chunk by chunk (for files too big
 * to build in memory). Writes to `path` directly: wrap it in `withAtomicPath`.
 */
export class NpyStreamWriter {
  private fd: number;
  private written = 0;
  private readonly expected: number | null;
  private pos: number;
  private readonly headerLength: number;

  /**
   * `shape[0]` may be `null` when the number of rows is not known until the end (rows
   * filtered while streaming): the header reserves room for any count and `close()` writes
   * the count of rows appended.
   */
  constructor(
    private readonly path: string,
    readonly kind: NpyKind,
    private readonly shape: (number | null)[],
    private readonly order: 'C' | 'F' = 'C',
  ) {
    const rows = shape[0];
    const rest = shape.slice(1) as number[];
    this.expected = rows === null ? null : rest.reduce((a, b) => a * b, rows);
    this.fd = openSync(path, 'w');
    // 2^53 has 16 digits: the largest row count the header can be rewritten with.
    const header = npyHeaderBytes(kind, [rows ?? 9_007_199_254_740_991, ...rest], order);
    writeSync(this.fd, header);
    this.headerLength = header.length;
    this.pos = header.length;
  }

  append(chunk: NpyData): void {
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let off = 0; off < bytes.length;) {
      const n = writeSync(this.fd, bytes, off, bytes.length - off, this.pos);
      off += n;
      this.pos += n;
    }
    this.written += chunk.length;
  }

  close(): void {
    if (this.expected === null) {
      const rest = this.shape.slice(1) as number[];
      const rowSize = rest.reduce((a, b) => a * b, 1);
      const header = npyHeaderBytes(
        this.kind,
        [this.written / rowSize, ...rest],
        this.order,
        this.headerLength,
      );
      writeSync(this.fd, header, 0, header.length, 0);
    }
    closeSync(this.fd);
    if (this.expected !== null && this.written !== this.expected) {
      throw new Error(
        `NpyStreamWriter ${this.path}: wrote ${this.written} elements, header says ${this.expected}`,
      );
    }
  }
}

/** Converts any npy data to float64 numbers (int64 via Number; exact below 2^53). */
export function toFloat64(data: NpyData): Float64Array {
  if (data instanceof Float64Array) return data;
  const out = new Float64Array(data.length);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  } else {
    out.set(data);
  }
  return out;
}

/**
 * Integer ids as an Int32Array without a float64 detour (cluster ids at 10^8 spikes):
 * Int32 data is returned as is; other kinds are range-checked and narrowed.
 */
export function toInt32(data: NpyData, file: string): Int32Array {
  if (data instanceof Int32Array) return data;
  if (data instanceof Float32Array || data instanceof Float64Array) {
    const out = new Int32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
        throw new InputError(file, `element ${i}`, `expected a 32-bit integer id, got ${v}`);
      }
      out[i] = v;
    }
    return out;
  }
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (v > 2147483647 || v < -2147483648) {
      throw new InputError(file, `element ${i}`, `expected a 32-bit integer id, got ${v}`);
    }
    out[i] = v;
  }
  return out;
}
