// Worker entry: runs a transfer study (in child processes with `workers` > 1), reports its
// progress lines, and writes the HTML report.
import { Interrupted } from '../core/errors.js';
import { serveTask } from '../engine/worker.js';
import { runStudy, type StudyOptions, type StudyResult } from '../pipelines/spikes/study.js';
import { runStudyInProcesses } from '../pipelines/spikes/study-processes.js';
import { writeStudyReport } from '../report/spikes-study.js';

export type StudyJob = Omit<StudyOptions, 'onProgress'> & { workers?: number };
export type StudyOutcome = StudyResult & { report: string | null };

await serveTask<StudyJob, string, StudyOutcome>(async ({ workers, ...options }, report, signal) => {
  const withProgress = { ...options, onProgress: report, signal };
  const result =
    (workers ?? 1) > 1
      ? await runStudyInProcesses(withProgress, workers!)
      : await runStudy(withProgress);
  if (signal.aborted)
    throw new Interrupted(
      `study stopped with ${result.computedCells} new cells stored in ${options.out}; re-run the same command to resume`,
    );
  if (!result.complete) return { ...result, report: null };
  report('writing the HTML report');
  return { ...result, report: writeStudyReport(options.out) };
});
