// Worker entry of `spikes study --executor slurm`: submits the study's jobs, waits for them
// with progress lines (unless detached), and writes the HTML report once every cell is in.
import { UsageError } from '../core/errors.js';
import { serveTask } from '../engine/worker.js';
import { loadManifest } from '../pipelines/spikes/data/manifest.js';
import { settingsOf, type StudyEnvelope } from '../pipelines/spikes/study/settings.js';
import { runStudyOnSlurm, type SlurmOutcome } from '../pipelines/spikes/study/study-slurm.js';
import { writeStudyReport } from '../report/spikes-study.js';

export type SlurmStudyOutcome = SlurmOutcome & { report: string | null };

/** What each Slurm job runs: node ENTRY OPTIONS.json SOURCE MODEL. */
const JOB_ENTRY = new URL('./spikes-study-job.js', import.meta.url).pathname;

await serveTask<StudyEnvelope, string, SlurmStudyOutcome>(async (job, report, signal) => {
  if (!job.slurm) throw new UsageError('a Slurm study needs its executor settings');
  const settings = settingsOf(job);
  const outcome = await runStudyOnSlurm(
    settings,
    { onProgress: report, signal },
    {
      slurm: job.slurm,
      device: job.device,
      // The one parse of this run's manifest; the jobs get it from slurm/options.json.
      manifest: job.parsed ?? loadManifest(settings.manifest),
      entry: JOB_ENTRY,
    },
  );
  if (!outcome.result?.complete) return { ...outcome, report: null };
  report('writing the HTML report');
  return { ...outcome, report: writeStudyReport(settings.out) };
});
