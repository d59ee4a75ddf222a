// Slurm job entry of `spikes study --executor slurm`: trains one model (source dataset ×
// model entry) of the study and stores its row of cells. Usage (written into the job's
// batch script by the executor): node spikes-study-job.js OPTIONS.json SOURCE MODEL.
// SIGTERM (scancel, or the time limit) stops training at the next step; the last committed
// epoch stays, and the resubmitted job resumes from it.
import { readJsonFile } from '../core/json.js';
import { InputError, Interrupted, ResourceError, UsageError } from '../core/errors.js';
import { runInWorker } from '../engine/worker.js';
import type { StudyEnvelope } from '../pipelines/spikes/study/settings.js';
import type { StudyOutcome } from './spikes-study.js';

const [optionsFile, source, model] = process.argv.slice(2);
const stamp = () => new Date().toISOString().slice(0, 19).replace('T', ' ');
// libtorch's threads follow the CPUs Slurm gave the job (read when the addon loads).
process.env.NEUROBRIDGE_THREADS ??= process.env.SLURM_CPUS_PER_TASK ?? '1';

try {
  if (!optionsFile || !source || !model)
    throw new UsageError('usage: spikes-study-job.js OPTIONS.json SOURCE MODEL');
  // The submitter's envelope: settings, device and the manifest as it parsed it.
  const options = readJsonFile<StudyEnvelope>(optionsFile, 'study options');
  console.log(`${stamp()} job ${process.env.SLURM_JOB_ID ?? '(no Slurm)'}: ${source} (${model})`);
  const outcome = await runInWorker<StudyEnvelope, string, StudyOutcome>(
    new URL('./spikes-study.js', import.meta.url),
    { ...options, sources: [source], losses: [model], workers: 1 },
    (line) => console.log(`${stamp()} ${line}`),
    { stopOn: ['SIGTERM'] },
  );
  console.log(
    `${stamp()} done: ${outcome.computedCells} cells computed, ${outcome.cachedCells} found stored`,
  );
} catch (e) {
  const known =
    e instanceof InputError ||
    e instanceof UsageError ||
    e instanceof ResourceError ||
    e instanceof Interrupted;
  console.error(
    `${stamp()} neurobridge job: ${known ? (e as Error).message : String((e as Error).stack ?? e)}`,
  );
  process.exit(e instanceof Interrupted ? 143 : 1);
}
