/**
 * The one place where HDF5 files are opened and read (through h5wasm). Every failure becomes
 * one InputError line naming the file, the HDF5 path and what was expected:
 *
 * - before opening, the file is checked to exist, be a regular file, be non-empty and carry
 *   the HDF5 signature (`\x89HDF\r\n\x1a\n` at byte 0, 512, 1024, 2048 …);
 * - every h5wasm call made through these helpers runs with h5wasm's throwing error handler
 *   on (HDF5 raises an exception instead of printing its diagnostic stack to stderr and
 *   returning a status h5wasm ignores: without it a failed read returns uninitialised
 *   memory), and any exception (HDF5, a WebAssembly trap, a failed allocation) is turned
 *   into an InputError naming the dataset;
 * - compression filters are checked before a read: gzip/shuffle/fletcher32/nbit/scaleoffset
 *   are built into h5wasm, lzf, blosc, blosc2, bitshuffle, zstd, lz4, bzip2, zfp … come from
 *   the `h5wasm-plugins` package; any other is refused by name;
 * - float16 datasets are read (converted to float64) though h5wasm itself cannot;
 * - a read that the file's size makes implausible (a corrupted shape) is refused before any
 *   memory is allocated, and large 1-D datasets are read in hyperslab pieces so they are not
 *   bounded by h5wasm's 2 GiB WebAssembly heap.
 */
import type h5wasm from 'h5wasm/node';
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { notAFile } from './table.js';
import { InputError, ResourceError } from '../core/errors.js';

export type H5File = InstanceType<typeof h5wasm.File>;
export type H5Dataset = InstanceType<typeof h5wasm.Dataset>;
export type H5Group = InstanceType<typeof h5wasm.Group>;

/** HDF5 filter ids → the names users know them by. */
const FILTER_NAMES: Record<number, string> = {
  1: 'gzip',
  2: 'shuffle',
  3: 'fletcher32',
  4: 'szip',
  5: 'nbit',
  6: 'scaleoffset',
  307: 'bzip2',
  32000: 'lzf',
  32001: 'blosc',
  32004: 'lz4',
  32008: 'bitshuffle',
  32013: 'zfp',
  32015: 'zstd',
  32017: 'sz',
  32019: 'jpeg',
  32022: 'bitgroom',
  32023: 'bitround',
  32026: 'blosc2',
};
/** Built into h5wasm's HDF5 (deflate, shuffle, fletcher32, szip through libaec, nbit, scaleoffset). */
const BUILTIN_FILTERS = [1, 2, 3, 4, 5, 6];
/** h5wasm-plugins' `libH5Z<name>.so` → filter id. */
const PLUGIN_IDS: Record<string, number> = {
  lzf: 32000,
  blosc: 32001,
  lz4: 32004,
  bshuf: 32008,
  zfp: 32013,
  zstd: 32015,
  bz2: 307,
  jpeg: 32019,
  bitgroom: 32022,
  bitround: 32023,
  blosc2: 32026,
};
const decodable = new Set<number>(BUILTIN_FILTERS);

type Lib = typeof import('h5wasm/node');
/**
 * h5wasm, loaded on first use: instantiating it reserves ~10 GiB of address space (README);
 * under `ulimit -v` a second reservation in the same process may not fit (see heapReleasers).
 */
let lib: Lib | undefined;
let initialised: Promise<void> | undefined;

function h5(): Lib {
  if (!lib) throw new Error('h5wasm is not loaded yet (await h5ready() first)');
  return lib;
}

/**
 * Set when a WebAssembly trap or abort() unwound through HDF5: its internal state may then be
 * inconsistent (fuzzing found later calls looping forever), so the next open loads a fresh
 * instance. Node never unloads an ES module, so each instance's memory stays allocated: a
 * process reloads at most MAX_RELOADS times (the CLI reads one file per run).
 */
let poisoned = false;
let generation = 0;
const MAX_RELOADS = 8;

/** How many times h5wasm was reloaded after an abort (tests). */
export function h5reloads(): number {
  return generation;
}

/** h5wasm loaded and the filter plugins of `h5wasm-plugins` put on HDF5's plugin path. */
export function h5ready(): Promise<void> {
  if (poisoned && generation < MAX_RELOADS) {
    poisoned = false;
    generation++;
    initialised = undefined;
  }
  initialised ??= load().catch((err: unknown) => {
    initialised = undefined; // a later call tries again (a heap may have been freed)
    throw err;
  });
  return initialised;
}

/**
 * Called when WebAssembly memory cannot be reserved here: each may free a heap held elsewhere
 * in the process (the spike readers' worker holds one) and resolves true when it did.
 */
const heapReleasers = new Set<() => Promise<boolean>>();

/** Registers a releaser (see heapReleasers). */
export function onWasmMemoryShortage(release: () => Promise<boolean>): void {
  heapReleasers.add(release);
}

/** Evaluations of h5wasm's module so far in this thread (each one its own WebAssembly memory). */
let evaluations = 0;

/**
 * A fresh evaluation of h5wasm's module, or a ResourceError when its WebAssembly memory
 * cannot be reserved. Emscripten then prints "failed to asynchronously prepare wasm" and
 * fails with an unrelated TypeError: both are held back and replaced by that one line.
 */
async function instantiate(): Promise<Lib> {
  const n = evaluations++;
  const held: unknown[][] = [];
  const write = process.stderr.write;
  process.stderr.write = ((...args: unknown[]) => {
    held.push(args);
    return true;
  }) as typeof process.stderr.write;
  let failure: unknown;
  try {
    const loaded = (
      n === 0
        ? await import('h5wasm/node')
        : await import(`${import.meta.resolve('h5wasm/node')}?instance=${n}`)
    ) as Lib;
    await loaded.default.ready;
    return loaded;
  } catch (err) {
    failure = err;
    const text = [
      err instanceof Error ? err.message : String(err),
      ...held.map((a) => String(a[0])),
    ];
    if (text.some((t) => /Out of memory|Cannot allocate Wasm memory/i.test(t)))
      throw wasmMemoryError();
    throw err;
  } finally {
    process.stderr.write = write;
    for (const args of held) {
      const line = String(args[0]);
      if (
        failure !== undefined &&
        /^(failed to asynchronously prepare wasm|Aborted\(|warning: Loading from a file URI)/.test(
          line,
        )
      )
        continue;
      (write as (...a: unknown[]) => boolean).apply(process.stderr, args);
    }
  }
}

/** The soft address-space limit of this process in bytes (`ulimit -v`), when one is set. */
export function addressSpaceLimit(): number | undefined {
  try {
    const line = /^Max address space\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    const v = line ? Number(line[1]) : NaN;
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** What to raise when h5wasm's WebAssembly memory cannot be reserved. */
export function wasmMemoryError(): ResourceError {
  const limit = addressSpaceLimit();
  if (limit === undefined)
    return new ResourceError(
      'HDF5 files are read through WebAssembly, whose memory could not be reserved (no address-space limit is set, so the machine is out of memory); free memory or raise the memory limit',
    );
  return new ResourceError(
    `HDF5 files are read through WebAssembly, which reserves about 11 GB of address space, more than the address-space limit of ${(limit / 1e9).toFixed(1)} GB (ulimit -v / prlimit --as) leaves; raise that limit to at least 12 GB (ulimit -v 12000000), or run node with --disable-wasm-trap-handler (then about 4 GB suffice)`,
  );
}

async function load(): Promise<void> {
  let loaded: Lib;
  try {
    loaded = await instantiate();
  } catch (err) {
    if (!(err instanceof ResourceError)) throw err;
    let released = false;
    for (const release of heapReleasers) released = (await release()) || released;
    if (!released) throw err;
    loaded = await instantiate();
  }
  lib = loaded;
  const Module = loaded.Module;
  guardGlobalHeapReads(Module.FS as unknown as FsWithRead);
  try {
    const dir = fileURLToPath(new URL('./plugins/', import.meta.resolve('h5wasm-plugins')));
    const names = readdirSync(dir);
    Module.insert_plugin_search_path(dir, 0);
    for (const n of names) {
      const id = PLUGIN_IDS[/^libH5Z(\w+)\.so$/.exec(n)?.[1] ?? ''];
      if (id !== undefined) decodable.add(id);
    }
  } catch {
    // Without the plugins, datasets using them are refused by name (checkFilters).
  }
}

/** The filter ids this build can decode (tests, diagnostics). */
export function decodableFilters(): number[] {
  return [...decodable].sort((a, b) => a - b);
}

let guardDepth = 0;

type FsRead = (
  stream: unknown,
  buffer: Int8Array | Uint8Array,
  offset: number,
  length: number,
  position?: number,
) => number;
interface FsWithRead {
  read: FsRead;
  ErrnoError: new (errno: number) => Error;
}

/** Why the last guarded read failed, when HDF5 only learns "read failed" (see guardGlobalHeapReads). */
let readFailure: string | undefined;
/** Emscripten's errno for EIO. */
const EIO = 29;

/**
 * HDF5's global-heap parser (variable-length strings: obs/var names, barcodes) loops forever
 * on a collection whose free-space object has size 0 (or a size that wraps 32-bit
 * pointers): a hang no exception can stop. Every file read made inside h5call is looked at
 * for global-heap collections (`GCOL`), which are walked as HDF5 will walk them; a
 * collection it could not walk to its end fails the read instead.
 */
function guardGlobalHeapReads(fs: FsWithRead): void {
  const read = fs.read;
  fs.read = (stream, buffer, offset, length, position) => {
    const n = read(stream, buffer, offset, length, position);
    if (guardDepth > 0 && n >= 16) {
      const bytes = Buffer.from(buffer.buffer, buffer.byteOffset + offset, n);
      try {
        for (let at = bytes.indexOf('GCOL'); at >= 0; at = bytes.indexOf('GCOL', at + 4))
          checkGlobalHeap(bytes, at, (position ?? 0) + at);
      } catch (err) {
        // An I/O error for HDF5, which fails the read through its own error stack.
        readFailure = (err as Error).message;
        throw new fs.ErrnoError(EIO);
      }
    }
    return n;
  };
}

const MOD32 = 2 ** 32;

/** Walks one global-heap collection at `bytes[at]` as H5HG__cache_heap_deserialize does (wasm32). */
function checkGlobalHeap(bytes: Buffer, at: number, fileOffset: number): void {
  if (at + 16 > bytes.length || bytes[at + 4] !== 1) return;
  const size = Number(bytes.readBigUInt64LE(at + 8));
  const corrupt = (what: string) =>
    new Error(`corrupted HDF5 global heap (variable-length data) at byte ${fileOffset}: ${what}`);
  if (size < 16 || size >= MOD32) throw corrupt(`collection size ${size}`);
  const end = at + size;
  const visible = Math.min(end, bytes.length);
  let p = at + 16;
  while (p + 16 <= visible) {
    const idx = bytes.readUInt16LE(p);
    const objectSize = Number(bytes.readBigUInt64LE(p + 8));
    const size32 = objectSize % MOD32;
    const need = idx > 0 ? (16 + Math.ceil(size32 / 8) * 8) % MOD32 : size32;
    if (objectSize >= MOD32 || need === 0 || p + need > end)
      throw corrupt(`object ${idx} of size ${objectSize} does not fit the ${size}-byte collection`);
    p += need;
  }
}

/**
 * Runs `fn` (h5wasm calls) with HDF5's throwing error handler on, so HDF5 prints nothing and
 * fails loudly; any error that is not already an InputError becomes one naming `file` and
 * `field` (the HDF5 path being read).
 */
export function h5call<T>(file: string, field: string | undefined, fn: () => T): T {
  const { Module } = h5();
  const outer = guardDepth++ === 0;
  let failed = false;
  const printed: unknown[][] = [];
  const write = process.stderr.write;
  if (outer) {
    Module.activate_throwing_error_handler();
    readFailure = undefined;
    // A WebAssembly abort prints "Aborted(…)" through console.error: held back, and
    // dropped when the call fails (the InputError says it), written out otherwise.
    process.stderr.write = ((...args: unknown[]) => {
      printed.push(args);
      return true;
    }) as typeof process.stderr.write;
  }
  try {
    return fn();
  } catch (err) {
    failed = true;
    if (err instanceof WebAssembly.RuntimeError) poisoned = true;
    throw asInputError(err, file, field);
  } finally {
    if (outer) {
      process.stderr.write = write;
      Module.deactivate_throwing_error_handler();
      // Emscripten's notes about undecodable strings in a corrupted file are dropped too.
      if (!failed)
        for (const args of printed)
          if (!/^(warning: Invalid UTF-8|Aborted\()/.test(String(args[0])))
            (write as (...a: unknown[]) => boolean).apply(process.stderr, args);
    }
    guardDepth--;
  }
}

/** `err` as an InputError about `file` (and `field`), with HDF5's innermost reason. */
export function asInputError(err: unknown, file: string, field: string | undefined): InputError {
  if (err instanceof InputError) return err;
  return new InputError(file, field, `cannot be read: ${reason(err)}`);
}

/** One line from an h5wasm/HDF5/WebAssembly error: HDF5's deepest diagnostic when it has one. */
function reason(err: unknown): string {
  if (readFailure) return readFailure;
  const text = err instanceof Error ? err.message : String(err);
  if (text.includes('HDF5-DIAG')) {
    const causes = [...text.matchAll(/ in [\w]+\(\): (.*)$/gm)].map((m) => m[1].trim());
    const deepest = causes.at(-1);
    if (deepest) return `HDF5 error: ${deepest} (the file is corrupted or truncated?)`;
  }
  const name = err instanceof Error && err.name !== 'Error' ? `${err.name}: ` : '';
  const line = text.split('\n')[0].trim();
  return `${name}${line.length > 200 ? `${line.slice(0, 200)}…` : line}`;
}

/**
 * Checks that `path` is a readable regular file, with a one-line InputError otherwise (not
 * found, a broken symbolic link, a folder, empty). Returns its size in bytes.
 */
export function expectFile(path: string, expected = 'a file'): number {
  const problem = notAFile(path);
  if (problem)
    throw new InputError(
      path,
      undefined,
      problem.replace(/expected a file$/, `expected ${expected}`),
    );
  return statSync(path).size;
}

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Whether the HDF5 signature is at byte 0, 512, 1024, 2048 … (where HDF5 looks for it). */
export function hasHdf5Signature(path: string, size: number): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      if (readSync(fd, buf, 0, 8, at) === 8 && buf.equals(SIGNATURE)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** File size by h5wasm file id, for the plausibility check of reads. */
const fileSizes = new Map<bigint, number>();

/** Opens an HDF5 file for reading, with a one-line error when it is missing or not HDF5. */
export async function openH5(path: string): Promise<H5File> {
  await h5ready();
  const size = expectFile(path, 'an HDF5 file');
  if (size === 0) throw new InputError(path, undefined, 'empty file; expected an HDF5 file');
  if (!hasHdf5Signature(path, size))
    throw new InputError(
      path,
      undefined,
      'not an HDF5 file (no HDF5 signature at byte 0, 512, 1024, …)',
    );
  const f = h5call(path, undefined, () => new (h5().default.File)(path, 'r'));
  if (f.file_id < 0n)
    throw new InputError(path, undefined, 'not a readable HDF5 file (HDF5 could not open it)');
  fileSizes.set(f.file_id, size);
  return f;
}

/** Closes a file opened by openH5, ignoring errors (a corrupted file may fail to flush). */
export function closeH5(f: H5File): void {
  fileSizes.delete(f.file_id);
  try {
    h5call('', undefined, () => f.close());
  } catch {
    // nothing more to do
  }
}

/** Creates (truncates) an HDF5 file for writing. */
export async function createH5(path: string): Promise<H5File> {
  await h5ready();
  return new (h5().default.File)(path, 'w');
}

export function isDataset(x: unknown): x is H5Dataset {
  return lib !== undefined && x instanceof lib.default.Dataset;
}

export function isGroup(x: unknown): x is H5Group {
  return lib !== undefined && x instanceof lib.default.Group;
}

/** The object at `path`, or null; HDF5 failures (corruption) become an InputError naming it. */
export function getNode(f: H5File | H5Group, file: string, path: string) {
  return h5call(file, path, () => f.get(path));
}

/** The dataset at `path`, or an InputError naming the file and the missing path. */
export function dataset(f: H5File, file: string, path: string): H5Dataset {
  const d = getNode(f, file, path);
  if (!isDataset(d))
    throw new InputError(file, path, 'missing dataset; expected it in this format');
  return d;
}

/** An attribute's value (undefined when absent), read with errors naming the object. */
export function attrValue(
  obj: { attrs: Record<string, { value: unknown }>; path: string; file_id: bigint },
  file: string,
  name: string,
): unknown {
  return h5call(file, `${obj.path}@${name}`, () => {
    const { Module } = h5();
    if (!Module.get_attribute_names(obj.file_id, obj.path).includes(name)) return undefined;
    const md = Module.get_attribute_metadata(obj.file_id, obj.path, name);
    if (md.type !== H5T_STRING || !md.vlen) return obj.attrs[name]?.value;
    const values = vlenStrings(
      md,
      (ptr) => Module.get_attribute_data(obj.file_id, obj.path, name, ptr),
      (ptr) => Module.reclaim_vlen_memory(obj.file_id, obj.path, name, ptr),
    );
    return md.shape?.length ? values : values[0];
  });
}

/**
 * Variable-length strings read into a zeroed buffer; the strings HDF5 allocated are freed
 * only after a read that succeeded. (h5wasm frees them after a failed read too, from a
 * buffer HDF5 left half-written: free() of garbage aborts and corrupts the heap, after which
 * HDF5 can hang.)
 */
function vlenStrings(
  md: { shape: number[] | null; size: number; cset?: number },
  read: (ptr: bigint) => unknown,
  reclaim: (ptr: bigint) => unknown,
): string[] {
  const { Module } = h5();
  const n = (md.shape ?? []).reduce((a, b) => a * b, 1);
  const nbytes = n * md.size;
  const ptr = Module._malloc(Math.max(1, nbytes));
  if (ptr === 0) throw new Error(`could not allocate ${nbytes} bytes in the HDF5 heap`);
  Module.HEAPU8.fill(0, ptr, ptr + nbytes);
  let ok = false;
  try {
    read(BigInt(ptr));
    ok = true;
    const pointers = Uint32Array.from(new Uint32Array(Module.HEAPU8.buffer, ptr, n));
    const decode = md.cset === 1 ? Module.UTF8ToString : Module.AsciiToString;
    return Array.from(pointers, (p) => (p ? decode(p) : ''));
  } finally {
    if (ok) reclaim(BigInt(ptr));
    Module._free(ptr);
  }
}

/** A string attribute, or undefined (also when a corrupted file cannot give it). */
export function attrString(
  obj: { attrs: Record<string, { value: unknown }>; path?: string; file_id?: bigint },
  name: string,
): string | undefined {
  let v: unknown;
  try {
    v =
      obj.path !== undefined && obj.file_id !== undefined
        ? attrValue(obj as Parameters<typeof attrValue>[0], '', name)
        : obj.attrs[name]?.value;
  } catch {
    return undefined;
  }
  return typeof v === 'string' ? v : undefined;
}

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_STRING = 3;
const H5T_COMPOUND = 6;
const H5T_REFERENCE = 7;

/** Refuses a dataset whose compression filters this build cannot decode, by name. */
export function checkFilters(d: H5Dataset, file: string): void {
  const filters = h5call(file, d.path, () => d.filters);
  for (const f of filters ?? [])
    if (!decodable.has(f.id))
      throw new InputError(
        file,
        d.path,
        `uses HDF5 filter '${FILTER_NAMES[f.id] ?? f.name.split(';')[0]}' (id ${f.id}), which this build cannot decode` +
          (PLUGIN_IDS[FILTER_NAMES[f.id]] !== undefined || f.id === 32008
            ? ' (the h5wasm-plugins package is missing?)'
            : '; re-save the file with gzip compression or none'),
      );
}

/** Bytes one read may take without the file's size making it plausible (see checkPlausible). */
const SMALL_READ = 64 * 2 ** 20;
/** Above deflate's limit (1032:1), so any real compressed dataset passes. */
const MAX_RATIO = 1100;

/**
 * Refuses to read `nbytes` from a dataset of a file whose size makes it impossible (a
 * corrupted shape declaring billions of values in a small file), before allocating:
 * uncompressed (contiguous) data must fit in the file; chunked data may be compressed, but
 * not beyond deflate's limit.
 */
function checkPlausible(d: H5Dataset, file: string, nbytes: number): void {
  const size = fileSizes.get(d.file_id);
  if (size === undefined) return;
  const chunked = Boolean((d.metadata as { chunks?: number[] | null }).chunks);
  const limit = chunked ? Math.max(SMALL_READ, size * MAX_RATIO) : size;
  if (nbytes > limit)
    throw new InputError(
      file,
      d.path,
      `shape (${(d.shape ?? []).join(', ')}) declares ${nbytes} bytes of data, impossible in a file of ${size} bytes (corrupted?)`,
    );
}

/** The same check for a whole dataset, for readers that read it through h5wasm directly. */
export function checkDatasetSize(d: H5Dataset, file: string): void {
  h5call(file, d.path, () => {
    const md = d.metadata;
    if (md.shape) checkPlausible(d, file, md.shape.reduce((a, b) => a * b, 1) * md.size);
  });
}

/** Elements per piece when a 1-D dataset is read in pieces (see numbers). */
export const CHUNK_ELEMENTS = 32 * 2 ** 20;

/**
 * A numeric dataset as float64 numbers (int64/uint64 through Number, float16 converted).
 * 1-D datasets larger than `chunkElements` values are read in hyperslab pieces of that many
 * values, so they are not limited by h5wasm's 2 GiB heap.
 */
export function numbers(
  d: H5Dataset,
  file: string,
  o: { chunkElements?: number } = {},
): Float64Array {
  return h5call(file, d.path, () => {
    const md = d.metadata;
    if (!md.shape) return new Float64Array(0);
    checkFilters(d, file);
    const total = md.shape.reduce((a, b) => a * b, 1);
    checkPlausible(d, file, total * md.size);
    const chunk = Math.max(1, Math.floor(o.chunkElements ?? CHUNK_ELEMENTS));
    if (md.shape.length === 1 && total > chunk && isNumeric(md.type)) {
      const out = new Float64Array(total);
      for (let a = 0; a < total; a += chunk)
        out.set(readNumeric(d, file, [[a, Math.min(total, a + chunk)]]), a);
      return out;
    }
    return readNumeric(d, file, null);
  });
}

/** A hyperslab of a numeric dataset (e.g. [[start, stop]] rows), as float64. */
export function sliceNumbers(
  d: H5Dataset,
  ranges: [number, number][] | number[][],
  file: string,
): Float64Array {
  return h5call(file, d.path, () => {
    const shape = d.metadata.shape ?? [];
    for (let i = 0; i < ranges.length; i++) {
      const [a, b] = ranges[i];
      if (!(Number.isInteger(a) && Number.isInteger(b) && 0 <= a && a <= b && b <= shape[i]))
        throw new InputError(
          file,
          d.path,
          `cannot read [${a}, ${b}) of dimension ${i}, which has ${shape[i]} entries`,
        );
    }
    checkFilters(d, file);
    const count = ranges.reduce((n, [a, b]) => n * (b - a), 1);
    checkPlausible(d, file, count * d.metadata.size);
    return readNumeric(d, file, ranges as [number, number][]);
  });
}

/** A dataset of strings (or numbers, as strings), read with errors naming it. */
export function stringsOf(d: H5Dataset, file: string): string[] {
  return h5call(file, d.path, () => {
    checkFilters(d, file);
    const md = d.metadata;
    if (md.shape) checkPlausible(d, file, md.shape.reduce((a, b) => a * b, 1) * md.size);
    if (isNumeric(md.type)) return Array.from(readNumeric(d, file, null), String);
    if (md.type === H5T_STRING && md.vlen) {
      if (!md.shape) return [];
      const { Module } = h5();
      const values = vlenStrings(
        md,
        (ptr) => Module.get_dataset_data(d.file_id, d.path, null, null, null, ptr),
        (ptr) => Module.reclaim_vlen_memory(d.file_id, d.path, '', ptr),
      );
      return values;
    }
    const v = d.value as unknown;
    if (Array.isArray(v)) return v.map(String);
    if (typeof v === 'string') return [v];
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, String);
    throw new InputError(file, d.path, 'expected an array of strings');
  });
}

/**
 * The HDF5 paths that a dataset of object references points to (NWB tables), or, for a
 * compound dataset, those of its reference member `member` (h5wasm does not decode
 * references inside compounds, so the raw rows are read and each reference resolved).
 * A reference that resolves to nothing is an InputError naming the dataset and the row.
 */
export function referencedPaths(f: H5File, d: H5Dataset, file: string, member?: string): string[] {
  return h5call(file, d.path, () => {
    checkFilters(d, file);
    const md = d.metadata;
    const n = (md.shape ?? []).reduce((a, b) => a * b, 1);
    checkPlausible(d, file, n * md.size);
    let refs: Uint8Array[];
    if (member === undefined) {
      if (md.type !== H5T_REFERENCE)
        throw new InputError(file, d.path, 'expected object references');
      const v = d.value as unknown as { ref_data: Uint8Array }[];
      refs = (Array.isArray(v) ? v : [v]).map((r) => r.ref_data);
    } else {
      const m = md.compound_type?.members.find((x) => x.name === member);
      if (md.type !== H5T_COMPOUND || !m || m.type !== H5T_REFERENCE)
        throw new InputError(
          file,
          d.path,
          `expected a compound with an object-reference member '${member}'`,
        );
      const { Module } = h5();
      const ptr = Module._malloc(Math.max(1, n * md.size));
      if (ptr === 0) throw new Error(`could not allocate ${n * md.size} bytes in the HDF5 heap`);
      try {
        Module.get_dataset_data(d.file_id, d.path, null, null, null, BigInt(ptr));
        const raw = Module.HEAPU8.slice(ptr, ptr + n * md.size);
        refs = Array.from({ length: n }, (_, r) =>
          raw.slice(r * md.size + m.offset, r * md.size + m.offset + m.size),
        );
      } finally {
        Module._free(ptr);
      }
    }
    return refs.map((ref_data, r) => {
      const target = f.dereference({ ref_data } as Parameters<H5File['dereference']>[0]);
      if (!target || !('path' in target))
        throw new InputError(file, d.path, `row ${r}: the object reference points to nothing`);
      return (target as { path: string }).path;
    });
  });
}

/** A compound dataset's numeric member as float64 (e.g. idx_start of NWB time-series references). */
export function compoundNumbers(d: H5Dataset, file: string, member: string): Float64Array {
  return h5call(file, d.path, () => {
    checkFilters(d, file);
    const md = d.metadata;
    const names = md.compound_type?.members.map((x) => x.name) ?? [];
    const k = names.indexOf(member);
    if (md.type !== H5T_COMPOUND || k < 0)
      throw new InputError(file, d.path, `expected a compound with a member '${member}'`);
    const rows = d.value as unknown as unknown[][];
    return Float64Array.from(rows, (row) => Number(row[k]));
  });
}

/** Whether a dataset holds strings (HDF5 string class), read with errors naming it. */
export function isStringDataset(d: H5Dataset, file: string): boolean {
  return h5call(file, d.path, () => d.metadata.type === H5T_STRING);
}

function isNumeric(type: number): boolean {
  return type === H5T_INTEGER || type === H5T_FLOAT;
}

function readNumeric(d: H5Dataset, file: string, ranges: [number, number][] | null): Float64Array {
  const md = d.metadata;
  if (md.type === H5T_FLOAT && md.size === 2) return readFloat16(d, ranges);
  if (md.type === H5T_FLOAT && md.size !== 4 && md.size !== 8)
    throw new InputError(file, d.path, `${md.size * 8}-bit floats are not supported`);
  const v = ranges ? d.slice(ranges) : d.value;
  return asFloat64(v, file, d.path);
}

/** float16 (IEEE half) data, which h5wasm reads as raw bytes only, converted to float64. */
function readFloat16(d: H5Dataset, ranges: [number, number][] | null): Float64Array {
  const shape = d.metadata.shape ?? [];
  const count = shape.map((n, i) => BigInt(ranges?.[i] ? ranges[i][1] - ranges[i][0] : n));
  const offset = shape.map((_, i) => BigInt(ranges?.[i]?.[0] ?? 0));
  const strides = shape.map(() => 1n);
  const { Module } = h5();
  const n = count.reduce((a, b) => a * b, 1n);
  const nbytes = Number(n) * 2;
  const ptr = Module._malloc(Math.max(1, nbytes));
  if (ptr === 0) throw new Error(`could not allocate ${nbytes} bytes in the HDF5 heap`);
  let raw: Uint8Array;
  try {
    Module.get_dataset_data(d.file_id, d.path, count, offset, strides, BigInt(ptr));
    raw = Module.HEAPU8.slice(ptr, ptr + nbytes);
  } finally {
    Module._free(ptr);
  }
  const half = new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
  return Float64Array.from(half, halfToNumber);
}

export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function asFloat64(v: unknown, file: string, path: string): Float64Array {
  if (v === null || v === undefined) return new Float64Array(0);
  if (typeof v === 'number' || typeof v === 'bigint') return Float64Array.of(Number(v));
  if (typeof v === 'boolean') return Float64Array.of(v ? 1 : 0);
  if (ArrayBuffer.isView(v)) {
    if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
      return Float64Array.from(v, (x) => Number(x));
    }
    return v instanceof Float64Array ? v : Float64Array.from(v as unknown as ArrayLike<number>);
  }
  if (Array.isArray(v)) {
    const flat = (v as unknown[]).flat(8);
    if (flat.some((x) => typeof x === 'string'))
      throw new InputError(file, path, 'expected numbers, got strings');
    return Float64Array.from(flat as number[], Number);
  }
  throw new InputError(file, path, `expected numbers, got ${typeof v}`);
}
