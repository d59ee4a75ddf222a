/**
 * `--workers N`: a study's models are trained in N child processes, each owning a share of
 * the source datasets and writing its cells to the shared cache; the parent then runs the
 * study once more, which finds every cell cached and writes the summary. Processes rather
 * than threads because each libtorch instance keeps global state (threads, RNG) and a crash
 * in one share must not take the others down; cores are split between the children.
 */
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { reviveError, type SerializedError } from '../../../core/errors.js';
import { loadManifest } from '../data/manifest.js';
import { runStudy, type StudyOptions, type StudyResult } from './study.js';

export type ChildMessage =
  | { kind: 'progress'; message: string }
  | { kind: 'done'; computed: number }
  | { kind: 'error'; error: SerializedError };

const CHILD = new URL('../../../workers/spikes-study-process.js', import.meta.url);

export async function runStudyInProcesses(o: StudyOptions, workers: number): Promise<StudyResult> {
  const ids = loadManifest(o.manifest).datasets.map((d) => d.id);
  const count = Math.max(1, Math.min(workers, ids.length));
  if (count === 1) return runStudy(o);
  const shares = Array.from({ length: count }, (_, k) => ids.filter((_, i) => i % count === k));
  const threads = Math.max(1, Math.floor(availableParallelism() / count));
  // Functions and signals do not cross the process boundary (Ctrl-C reaches the children's
  // process group directly).
  const { onProgress, onCell: _onCell, signal: _signal, ...plain } = o;
  const computed = await Promise.all(
    shares.map((sources, k) =>
      runChild({ ...plain, sources }, threads, (m) => onProgress?.(`[worker ${k + 1}] ${m}`)),
    ),
  );
  const result = await runStudy(o);
  const total = computed.reduce((a, b) => a + b, 0);
  result.computedCells = total;
  result.cachedCells -= total;
  return result;
}

function runChild(
  options: Omit<StudyOptions, 'onProgress' | 'onCell' | 'signal'>,
  threads: number,
  onProgress: (message: string) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], {
      env: { ...process.env, NEUROBRIDGE_THREADS: String(threads) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let done = false;
    child.on('message', (m: ChildMessage) => {
      if (m.kind === 'progress') onProgress(m.message);
      else if (m.kind === 'done') {
        done = true;
        resolve(m.computed);
      } else {
        done = true;
        reject(reviveError(m.error, `study worker (${options.sources?.join(', ')})`));
      }
    });
    child.on('exit', (code) => {
      if (!done)
        reject(new Error(`study worker (${options.sources?.join(', ')}) exited with code ${code}`));
    });
    child.send(options);
  });
}
