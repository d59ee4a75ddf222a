// Worker entry: runs a transfer study (in child processes with `workers` > 1), reports its
// progress lines, and writes the HTML report.
import { Interrupted } from '../core/errors.js';
import { serveTask } from '../engine/worker.js';
import { setDefaultDevice } from '../engine/runtime.js';
import type { StopSignal } from '../engine/checkpoint.js';
import { loadManifest } from '../pipelines/spikes/data/manifest.js';
import {
  settingsOf,
  type StudyEnvelope,
  type StudyHooks,
} from '../pipelines/spikes/study/settings.js';
import type { StudyResult } from '../pipelines/spikes/study/study-cells.js';
import { runStudy } from '../pipelines/spikes/study/study.js';
import { runStudyInProcesses } from '../pipelines/spikes/study/study-processes.js';
import { writeStudyReport } from '../report/spikes-study.js';

export type StudyOutcome = StudyResult & { report: string | null };

/** The child-process entry of `--workers N`. */
const STUDY_PROCESS_ENTRY = new URL('./spikes-study-process.js', import.meta.url);

await serveTask<StudyEnvelope, string, StudyOutcome>(async (job, report, signal) => {
  setDefaultDevice(job.device ?? 'cpu');
  const settings = settingsOf(job);
  // The one parse of this run's manifest (a Slurm job gets it parsed by the submitter).
  const manifest = job.parsed ?? loadManifest(settings.manifest);
  const hooks: StudyHooks = {
    onProgress: report,
    signal,
    onEpoch: (source, model, r) => {
      report(
        `${source} (${model}) epoch ${r.epoch}: train loss ${r.trainLoss.toFixed(4)}, validation bits/spike ${r.valBitsPerSpike.toFixed(4)}, ${r.seconds.toFixed(1)} s`,
      );
      holdForFaultTests(source, r.epoch, signal, report);
    },
  };
  const workers = job.workers ?? 1;
  const result =
    workers > 1
      ? await runStudyInProcesses(settings, hooks, {
          workers,
          device: job.device,
          manifest,
          entry: STUDY_PROCESS_ENTRY,
        })
      : await runStudy(settings, hooks, manifest);
  if (signal.aborted)
    throw new Interrupted(
      `study stopped with ${result.computedCells} new cells stored in ${settings.out}; re-run the same command to resume`,
    );
  if (!result.complete) return { ...result, report: null };
  report('writing the HTML report');
  return { ...result, report: writeStudyReport(settings.out) };
});

/**
 * Fault injection for the Slurm executor's tests, off unless NEUROBRIDGE_TEST_HOLD_AFTER_EPOCHS
 * is set: at the end of that epoch (counting from 1) training waits here until it is told to
 * stop; the epoch is then committed, so a test cancels a job mid-training at a known checkpoint.
 * NEUROBRIDGE_TEST_HOLD_SOURCE limits the hold to the model trained on that dataset.
 */
function holdForFaultTests(
  source: string,
  epoch: number,
  signal: StopSignal,
  report: (m: string) => void,
) {
  const after = Number(process.env.NEUROBRIDGE_TEST_HOLD_AFTER_EPOCHS ?? 0);
  const only = process.env.NEUROBRIDGE_TEST_HOLD_SOURCE;
  if (!(after > 0) || epoch + 1 < after || (only && only !== source)) return;
  report(`holding at the end of epoch ${epoch + 1} (NEUROBRIDGE_TEST_HOLD_AFTER_EPOCHS)`);
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (!signal.aborted) Atomics.wait(nap, 0, 0, 200);
}
