/**
 * Runs long engine work (training, evaluation) in a worker thread so the main thread stays
 * free to draw progress. The addon is context-aware, so each worker loads its own instance.
 */
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { InputError, UsageError } from '../core/errors.js';

export type WorkerMessage<P, R> =
  | { kind: 'progress'; payload: P }
  | { kind: 'result'; payload: R }
  | {
      kind: 'error';
      message: string;
      stack?: string;
      name?: string;
      file?: string;
      field?: string;
    };

/**
 * The worker's error as the parent sees it: input and usage errors keep their class, so the
 * CLI prints them as the one line they are instead of a stack trace.
 */
function rebuildError(m: {
  message: string;
  stack?: string;
  name?: string;
  file?: string;
  field?: string;
}): Error {
  let err: Error;
  if (m.name === 'InputError') {
    err = new InputError(m.file ?? '', m.field, '');
    err.message = m.message; // already names the file and field
  } else if (m.name === 'UsageError') err = new UsageError(m.message);
  else err = new Error(m.message);
  if (m.stack) err.stack = m.stack;
  return err;
}

/** Starts `script` (a module using `serveTask`) and resolves with its result. */
export function runInWorker<I, P, R>(
  script: URL,
  input: I,
  onProgress?: (p: P) => void,
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const worker = new Worker(script, { workerData: input });
    let settled = false;
    worker.on('message', (m: WorkerMessage<P, R>) => {
      if (m.kind === 'progress') onProgress?.(m.payload);
      else if (m.kind === 'result') {
        settled = true;
        resolve(m.payload);
      } else {
        settled = true;
        reject(rebuildError(m));
      }
    });
    worker.on('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.on('exit', (code) => {
      if (!settled)
        reject(new Error(`worker ${script.pathname} exited with code ${code} before answering`));
    });
  });
}

/** Inside a worker: runs task(input, report) and posts its result or error to the parent. */
export async function serveTask<I, P, R>(
  task: (input: I, report: (p: P) => void) => R | Promise<R>,
): Promise<void> {
  if (!parentPort) throw new Error('serveTask must run inside a worker thread');
  const port = parentPort;
  const report = (payload: P) =>
    port.postMessage({ kind: 'progress', payload } satisfies WorkerMessage<P, R>);
  try {
    const payload = await task(workerData as I, report);
    port.postMessage({ kind: 'result', payload } satisfies WorkerMessage<P, R>);
  } catch (e) {
    const err = e as Error;
    port.postMessage({
      kind: 'error',
      message: err.message,
      stack: err.stack,
      name: err.name,
      file: err instanceof InputError ? err.file : undefined,
      field: err instanceof InputError ? err.field : undefined,
    } satisfies WorkerMessage<P, R>);
  }
}
