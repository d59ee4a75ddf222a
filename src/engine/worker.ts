/**
 * Runs long engine work (training, evaluation) in a worker thread so the main thread stays
 * free to draw progress. The addon is context-aware, so each worker loads its own instance.
 */
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { reviveError, serializeError, type SerializedError } from '../core/errors.js';

export type WorkerMessage<P, R> =
  | { kind: 'progress'; payload: P }
  | { kind: 'result'; payload: R }
  | ({ kind: 'error' } & SerializedError);

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
        reject(reviveError(m));
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
    port.postMessage({ kind: 'error', ...serializeError(e) } satisfies WorkerMessage<P, R>);
  }
}
