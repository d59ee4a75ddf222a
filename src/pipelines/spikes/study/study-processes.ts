/**
 * `--workers N`: a study's models are trained in N child processes, each owning a share of
 * the source datasets and writing its cells to the shared cache; the parent then runs the
 * study once more, which finds every cell cached and writes the summary. Processes rather
 * than threads because each libtorch instance keeps global state (threads, RNG) and a crash
 * in one share must not take the others down; cores are split between the children. The
 * children get the manifest as parsed here, and start from `entry`, a script of the layer
 * that runs jobs (src/workers) that passes each message it receives to `runStudy`.
 */
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { reviveError, type SerializedError } from '../../../core/errors.js';
import type { Manifest } from '../data/manifest.js';
import type { StudyEnvelope, StudyHooks, StudySettings } from './settings.js';
import type { StudyResult } from './study-cells.js';
import { runStudy } from './study.js';

export type ChildMessage =
  | { kind: 'progress'; message: string }
  | { kind: 'done'; computed: number }
  | { kind: 'error'; error: SerializedError };

export interface ProcessExecution {
  workers: number;
  /** Where the children train (cpu, cuda, cuda:N). */
  device?: string;
  manifest: Manifest;
  /** The child entry: receives one StudyEnvelope, answers with ChildMessages. */
  entry: URL;
}

export async function runStudyInProcesses(
  o: StudySettings,
  hooks: StudyHooks,
  x: ProcessExecution,
): Promise<StudyResult> {
  const startedAt = new Date();
  const ids = x.manifest.datasets.map((d) => d.id);
  const count = Math.max(1, Math.min(x.workers, ids.length));
  if (count === 1) return runStudy(o, hooks, x.manifest);
  const shares = Array.from({ length: count }, (_, k) => ids.filter((_, i) => i % count === k));
  const threads = Math.max(1, Math.floor(availableParallelism() / count));
  // Hooks do not cross the process boundary (Ctrl-C reaches the children's process group
  // directly); progress comes back as messages.
  const computed = await Promise.all(
    shares.map((sources, k) =>
      runChild(x.entry, { ...o, sources, device: x.device, parsed: x.manifest }, threads, (m) =>
        hooks.onProgress?.(`[worker ${k + 1}] ${m}`),
      ),
    ),
  );
  // The summary's run time is the children's and this pass's, not this pass's alone.
  const result = await runStudy(o, hooks, x.manifest, startedAt);
  const total = computed.reduce((a, b) => a + b, 0);
  result.computedCells = total;
  result.cachedCells -= total;
  return result;
}

function runChild(
  entry: URL,
  envelope: StudyEnvelope,
  threads: number,
  onProgress: (message: string) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(entry, [], {
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
        reject(reviveError(m.error, `study worker (${envelope.sources?.join(', ')})`));
      }
    });
    child.on('exit', (code) => {
      if (!done)
        reject(
          new Error(`study worker (${envelope.sources?.join(', ')}) exited with code ${code}`),
        );
    });
    child.send(envelope);
  });
}
