/**
 * Runs long engine work (training, evaluation) in a worker thread so the main thread stays
 * free to draw progress. The addon is context-aware, so each worker loads its own instance.
 */
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { reviveError, serializeError, type SerializedError } from '../core/errors.js';
import type { StopSignal } from './checkpoint.js';

export type WorkerMessage<P, R> =
  | { kind: 'progress'; payload: P }
  | { kind: 'result'; payload: R }
  | ({ kind: 'error' } & SerializedError);

/** Starts `script` (a module using `serveTask`) and resolves with its result. */
export function runInWorker<I, P, R>(
  script: URL,
  input: I,
  onProgress?: (p: P) => void,
  o: {
    /**
     * Ctrl-C asks the task to stop at its next step (it sees `signal.aborted`) instead of
     * killing the process; a second Ctrl-C quits at once.
     */
    stopOnInterrupt?: boolean;
    /**
     * Signals that ask the task to stop the same way, without the Ctrl-C message: e.g.
     * SIGTERM, which Slurm sends a job it cancels or whose time runs out.
     */
    stopOn?: NodeJS.Signals[];
  } = {},
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    // A shared flag, not a message: the worker is busy in a synchronous training loop and
    // reads it between steps (its event loop would not deliver a message until the end).
    const stopFlag = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(script, { workerData: { input, stopFlag } });
    let settled = false;
    let interrupts = 0;
    const onInterrupt = () => {
      if (++interrupts > 1) process.exit(130);
      Atomics.store(stopFlag, 0, 1);
      process.stderr.write(
        '\nneurobridge: stopping after the current step (Ctrl-C again to quit now); re-run the same command to resume\n',
      );
    };
    const onStopSignal = () => Atomics.store(stopFlag, 0, 1);
    const stopOn = o.stopOn ?? [];
    if (o.stopOnInterrupt) process.on('SIGINT', onInterrupt);
    for (const s of stopOn) process.on(s, onStopSignal);
    const unlisten = () => {
      process.off('SIGINT', onInterrupt);
      for (const s of stopOn) process.off(s, onStopSignal);
    };
    const settle = () => {
      settled = true;
      unlisten();
    };
    worker.on('message', (m: WorkerMessage<P, R>) => {
      if (m.kind === 'progress') onProgress?.(m.payload);
      else if (m.kind === 'result') {
        settle();
        resolve(m.payload);
      } else {
        settle();
        reject(reviveError(m));
      }
    });
    worker.on('error', (e) => {
      settle();
      reject(e);
    });
    worker.on('exit', (code) => {
      unlisten();
      if (!settled)
        reject(new Error(`worker ${script.pathname} exited with code ${code} before answering`));
    });
  });
}

/** Inside a worker: runs task(input, report) and posts its result or error to the parent. */
export async function serveTask<I, P, R>(
  task: (input: I, report: (p: P) => void, signal: StopSignal) => R | Promise<R>,
): Promise<void> {
  if (!parentPort) throw new Error('serveTask must run inside a worker thread');
  const port = parentPort;
  const { input, stopFlag } = workerData as { input: I; stopFlag: Int32Array };
  const signal: StopSignal = {
    get aborted() {
      return Atomics.load(stopFlag, 0) === 1;
    },
  };
  const report = (payload: P) =>
    port.postMessage({ kind: 'progress', payload } satisfies WorkerMessage<P, R>);
  try {
    const payload = await task(input, report, signal);
    port.postMessage({ kind: 'result', payload } satisfies WorkerMessage<P, R>);
  } catch (e) {
    port.postMessage({ kind: 'error', ...serializeError(e) } satisfies WorkerMessage<P, R>);
  }
}
