/**
 * HDF5 spike files are read in a worker thread with a time limit. The HDF5 library can loop
 * forever on a damaged file (a fuzzed global heap did: a string dataset's read never
 * returned), and code stuck in WebAssembly cannot be interrupted from its own thread; a
 * worker can be terminated. One worker serves every request and is restarted after a
 * timeout; it does not keep the process alive when idle.
 *
 * h5wasm reserves ~10 GiB of address space per thread that loads it. Under an address-space
 * limit that leaves room for one reservation only (`ulimit -v` 12 GB), reads go where the one
 * can be had: in the worker while it can get it, else in this thread (no time limit then);
 * where neither can, the ResourceError says which limit to raise.
 */
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { InputError, reviveError } from '../../core/errors.js';
import { onWasmMemoryShortage } from '../h5.js';
import { runDirect, type IsolatedReply, type IsolatedRequest } from './h5-direct.js';

export type { IsolatedReply, IsolatedRequest } from './h5-direct.js';

/**
 * The worker's V8 code range, in MB. Node's default reserves 512 MB of address space for it;
 * the reader's code needs a few, and under an address-space limit (`ulimit -v` 12 GB) the
 * worker plus h5wasm's ~10 GiB WebAssembly reservation then fits.
 */
const WORKER_CODE_RANGE_MB = 64;

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout;
  req: IsolatedRequest;
  /** The worker serving it: only its own requests fail when a worker exits. */
  worker: Worker;
}

let worker: Worker | undefined;
/**
 * Set once a worker could not have WebAssembly memory (or this thread needed the memory the
 * idle worker held): from then on requests run in this thread, within its one reservation,
 * without the time limit.
 */
let inThisThread = false;
let nextId = 0;
const pending = new Map<number, Pending>();
let limitOverrideMs: number | undefined;

/**
 * Time allowed to read `bytes` of HDF5: 10 s plus 1 s per 20 MB (h5wasm reads well over
 * 20 MB/s, so a healthy file never comes near it; a 200 KB file that hangs is stopped at 10 s).
 */
export function h5TimeLimitMs(bytes: number): number {
  return limitOverrideMs ?? 10_000 + Math.ceil(bytes / 20e6) * 1000;
}

/** Tests: a fixed time limit (undefined restores the size-based one). */
export function setH5TimeLimit(ms: number | undefined): void {
  limitOverrideMs = ms;
}

function settleAll(w: Worker, error: (p: Pending) => unknown): void {
  for (const [id, p] of pending) {
    if (p.worker !== w) continue;
    clearTimeout(p.timer);
    pending.delete(id);
    p.reject(error(p));
  }
}

function getWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('./h5-worker.js', import.meta.url), {
    resourceLimits: { codeRangeSizeMb: WORKER_CODE_RANGE_MB },
  });
  w.on('message', (reply: IsolatedReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    if (!reply.ok && reply.error.name === 'ResourceError') {
      moveToThisThread(w);
      return;
    }
    pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(reviveError(reply.error));
  });
  w.on('error', (err: Error & { code?: string }) => {
    if (err.code === 'ERR_WORKER_INIT_FAILED') {
      moveToThisThread(w);
      return;
    }
    if (worker === w) worker = undefined;
    settleAll(w, () => err);
  });
  w.on('exit', () => {
    if (worker === w) worker = undefined;
    settleAll(
      w,
      (p) => new InputError(p.req.path, undefined, 'the HDF5 reader stopped before finishing'),
    );
  });
  // After the listeners: adding a 'message' listener refs the port again.
  w.unref();
  worker = w;
  return w;
}

/**
 * Stops `w` (freeing its address space) and runs its requests, and every later one, in this
 * thread: one WebAssembly reservation for the process instead of two.
 */
function moveToThisThread(w: Worker): void {
  inThisThread = true;
  if (worker === w) worker = undefined;
  const moved = [...pending].filter(([, p]) => p.worker === w);
  for (const [id, p] of moved) {
    clearTimeout(p.timer);
    pending.delete(id);
  }
  const rerun = () => {
    for (const [, p] of moved) runDirect(p.req).then(p.resolve, p.reject);
  };
  w.terminate().then(rerun, rerun);
}

// When this thread cannot reserve WebAssembly memory for its own HDF5 reads (an h5ad, an
// icephys NWB) while an idle worker holds a heap, the worker gives way.
onWasmMemoryShortage(async () => {
  const w = worker;
  if (!w || [...pending.values()].some((p) => p.worker === w)) return false;
  inThisThread = true;
  worker = undefined;
  await w.terminate();
  return true;
});

/** Runs a request in the worker; an InputError naming `path` when it overruns its limit. */
export function runIsolated<T>(req: IsolatedRequest): Promise<T> {
  if (inThisThread) return runDirect(req) as Promise<T>;
  let bytes = 0;
  try {
    bytes = statSync(req.path).size;
  } catch {
    // The reader will report the missing file.
  }
  const limit = h5TimeLimitMs(bytes);
  const w = getWorker();
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      if (worker === w) worker = undefined;
      void w.terminate();
      reject(
        new InputError(
          req.path,
          undefined,
          `reading the HDF5 contents took longer than ${limit / 1000} s and was stopped; the file is probably damaged`,
        ),
      );
    }, limit);
    pending.set(id, {
      resolve: resolve as (v: unknown) => void,
      reject,
      timer,
      req,
      worker: w,
    });
    w.postMessage({ id, ...req });
  });
}
