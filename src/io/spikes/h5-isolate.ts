/**
 * HDF5 spike files are read in a worker thread with a time limit. The HDF5 library can loop
 * forever on a damaged file (a fuzzed global heap did: a string dataset's read never
 * returned), and code stuck in WebAssembly cannot be interrupted from its own thread; a
 * worker can be terminated. One worker serves every request and is restarted after a
 * timeout; it does not keep the process alive when idle.
 */
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { InputError } from '../../core/errors.js';
import type { ReadOptions, SpikeFormat } from './types.js';

export type IsolatedRequest =
  | { kind: 'read'; format: SpikeFormat; path: string; options: ReadOptions }
  | { kind: 'sniff'; path: string };

export type IsolatedReply =
  | { id: number; ok: true; result: unknown }
  | {
      id: number;
      ok: false;
      error: { input: boolean; name: string; message: string; file?: string; field?: string };
    };

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout;
  path: string;
  /** The worker serving it: only its own requests fail when a worker exits. */
  worker: Worker;
}

let worker: Worker | undefined;
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
  const w = new Worker(new URL('./h5-worker.js', import.meta.url));
  w.on('message', (reply: IsolatedReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(revive(reply.error));
  });
  w.on('error', (err) => {
    if (worker === w) worker = undefined;
    settleAll(w, () => err);
  });
  w.on('exit', () => {
    if (worker === w) worker = undefined;
    settleAll(
      w,
      (p) => new InputError(p.path, undefined, 'the HDF5 reader stopped before finishing'),
    );
  });
  // After the listeners: adding a 'message' listener refs the port again.
  w.unref();
  worker = w;
  return w;
}

/** An error from the worker, as the same kind of error here. */
function revive(e: {
  input: boolean;
  name: string;
  message: string;
  file?: string;
  field?: string;
}) {
  if (e.input) {
    const err = new InputError(e.file ?? '', e.field, '');
    err.message = e.message;
    return err;
  }
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

/** Runs a request in the worker; an InputError naming `path` when it overruns its limit. */
export function runIsolated<T>(req: IsolatedRequest): Promise<T> {
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
      path: req.path,
      worker: w,
    });
    w.postMessage({ id, ...req });
  });
}
