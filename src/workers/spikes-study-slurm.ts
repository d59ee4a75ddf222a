// Worker entry of `spikes study --executor slurm`: submits the study's jobs, waits for them
// with progress lines (unless detached), and writes the HTML report once every cell is in.
import { serveTask } from '../engine/worker.js';
import {
  runStudyOnSlurm,
  type SlurmExecution,
  type SlurmOutcome,
} from '../pipelines/spikes/study/study-slurm.js';
import type { StudyOptions } from '../pipelines/spikes/study/study.js';
import { writeStudyReport } from '../report/spikes-study.js';

export type SlurmStudyJob = Omit<StudyOptions, 'onProgress'> & { slurm: SlurmExecution };
export type SlurmStudyOutcome = SlurmOutcome & { report: string | null };

await serveTask<SlurmStudyJob, string, SlurmStudyOutcome>(
  async ({ slurm, ...options }, report, signal) => {
    const outcome = await runStudyOnSlurm({ ...options, onProgress: report, signal }, slurm);
    if (!outcome.result?.complete) return { ...outcome, report: null };
    report('writing the HTML report');
    return { ...outcome, report: writeStudyReport(options.out) };
  },
);
