/**
 * `neurobridge spikes study [run] MANIFEST`, `spikes study status DIR` and `spikes report`:
 * the N × N transfer study on this machine (`--executor local`, processes with `--workers`)
 * or on a Slurm cluster (`--executor slurm`, one job per model).
 */
import { Option, type Command } from 'commander';
import { join, resolve } from 'node:path';
import { slurmResourcesSchema, type SlurmResources } from '../cluster/batch-script.js';
import { describeEnd } from '../cluster/slurm.js';
import { withFlags } from './flags.js';
import { UsageError } from '../core/errors.js';
import { runInWorker } from '../engine/worker.js';
import { LOSS_NAMES } from '../models/losses.js';
import type { UnitAlignment } from '../pipelines/spikes/transfer/alignment.js';
import type { TransferCalibration } from '../pipelines/spikes/transfer/transfer.js';
import { PRESET_NAMES, type PresetName } from '../pipelines/spikes/model/experiment.js';
import type { StudyEnvelope } from '../pipelines/spikes/study/settings.js';
import type { StudyResult } from '../pipelines/spikes/study/study-cells.js';
import { studyStatus } from '../pipelines/spikes/study/study-slurm.js';
import { writeStudyReport } from '../report/spikes-study.js';
import type { StudyOutcome } from '../workers/spikes-study.js';
import type { SlurmStudyOutcome } from '../workers/spikes-study-slurm.js';
import {
  alignmentOption,
  calibrationOption,
  choice,
  deviceOption,
  integer,
  outFolder,
  positionalOption,
  seed,
  type POSITIONAL_ENCODINGS,
} from './options.js';
import { packageVersion } from '../core/package.js';
import { MAX_EPOCHS, WORKERS, modelList } from './spikes-model.js';

export const EXECUTORS = ['local', 'slurm'] as const;
type Executor = (typeof EXECUTORS)[number];

interface StudyCliOptions {
  out: string;
  models?: string[];
  preset: PresetName;
  losses?: string[];
  seed: number;
  maxEpochs?: number;
  positional?: (typeof POSITIONAL_ENCODINGS)[number];
  alignment: UnitAlignment;
  calibration: TransferCalibration;
  workers: number;
  executor: Executor;
  detach?: boolean;
  partition?: string;
  time?: string;
  cpus?: number;
  mem?: string;
  gpus?: string;
  sbatchArg: string[];
  pollSeconds: number;
  device: string;
}

export function registerStudyCommands(spikes: Command): void {
  spikes
    .command('report')
    .description('(re)write the self-contained HTML report of a finished study')
    .argument('<study-dir>', 'the --out folder of `spikes study`')
    .action((dir: string) => console.log(`report: ${writeStudyReport(dir)}`));
  const study = spikes
    .command('study')
    .description(
      'N × N transfer study: a model per dataset, scored on every test split; cells cached, resumable (`spikes study status DIR`: where a study stands)',
    );
  study
    .command('run', { isDefault: true })
    .description(
      'run (or resume) a study; the default: "spikes study MANIFEST" means "spikes study run MANIFEST" ',
    )
    .argument('<manifest>', 'study manifest (YAML or JSON)')
    .requiredOption(
      '--out <dir>',
      'output folder (cells/, models/, study.json); re-running resumes',
      outFolder,
    )
    .option(
      '--models <list>',
      `comma-separated models: presets (${PRESET_NAMES.join(', ')}), losses (${LOSS_NAMES.join(', ')}: with --preset) or PRESET:LOSS, e.g. default,paper:dice`,
      modelList,
    )
    .addOption(choice('--preset <name>', PRESET_NAMES.join(' | '), PRESET_NAMES, 'default'))
    .option(
      '--losses <list>',
      'comma-separated losses trained with --preset (same as --models)',
      modelList,
    )
    .option('--seed <n>', 'random seed', seed, 0)
    .option('--max-epochs <n>', 'override the preset', MAX_EPOCHS)
    .addOption(positionalOption())
    .addOption(alignmentOption())
    .addOption(calibrationOption())
    .addOption(
      choice(
        '--executor <name>',
        'local: this machine (--workers processes); slurm: one Slurm job per model, the folder on a file system the nodes share',
        EXECUTORS,
        'local',
      ),
    )
    .option(
      '--workers <n>',
      'local executor: train and score in N processes (cores are split between them)',
      WORKERS,
      1,
    )
    .addOption(deviceOption())
    .option('--detach', 'slurm: submit the jobs and return (see `spikes study status DIR`)')
    .option('--partition <name>', "slurm: partition (default: the cluster's default)")
    .option('--time <limit>', 'slurm: time limit per job, e.g. 12:00:00 or 2-00:00:00')
    .option('--cpus <n>', 'slurm: CPUs per job (libtorch threads follow)', integer(1, 1024))
    .option('--mem <size>', 'slurm: memory per job, e.g. 16G')
    .option('--gpus <n>', 'slurm: GPUs per job, e.g. 1 or a100:1')
    .option(
      '--sbatch-arg <option>',
      'slurm: an extra sbatch option, e.g. --sbatch-arg=--account=lab (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .addOption(
      new Option('--poll-seconds <n>', 'slurm: how often the queue is asked while waiting')
        .argParser(integer(1, 3600))
        .default(30),
    )
    .action(async (manifest: string, o: StudyCliOptions) => {
      const options: StudyEnvelope = {
        manifest: resolve(manifest),
        out: resolve(o.out),
        preset: o.preset,
        losses: o.models ?? o.losses ?? [o.preset],
        seed: o.seed,
        maxEpochs: o.maxEpochs,
        positional: o.positional,
        codeVersion: packageVersion(),
        alignment: o.alignment,
        calibration: o.calibration,
        device: o.device,
      };
      if (o.executor === 'slurm') return studyOnSlurm(options, o);
      if (o.detach) throw new UsageError('--detach needs --executor slurm');
      const result = await studyAndPrint({ ...options, workers: o.workers });
      console.log(
        `${result.computedCells} cells computed, ${result.cachedCells} from the cache; ${join(o.out, 'study.json')}`,
      );
      if (result.report) console.log(`report: ${result.report}`);
    });
  study
    .command('status')
    .description('where a study stands: cells stored per model, claims, and Slurm jobs')
    .argument('<study-dir>', 'the --out folder of `spikes study`')
    .option('--json', 'print the status as JSON')
    .action((dir: string, o: { json?: boolean }) => {
      const status = studyStatus(resolve(dir));
      if (o.json) return console.log(JSON.stringify(status, null, 2));
      const done = status.units.reduce((a, u) => a + u.cellsDone, 0);
      const total = status.units.reduce((a, u) => a + u.cells, 0);
      console.log(
        `${dir}: ${done}/${total} cells stored${status.summarised ? ', summarised (study.json)' : ''}${status.slurm ? '' : ' (no Slurm here: job states not asked)'}`,
      );
      for (const u of status.units) {
        const job = u.job ? `job ${u.job.id} ${u.job.state}, log ${u.job.log}` : 'no Slurm job';
        const claim = u.claimedBy
          ? `, being computed by ${u.claimedBy}`
          : u.staleClaim
            ? `, left unfinished by ${u.staleClaim} (re-run the study to resume it)`
            : '';
        console.log(`  ${u.source} (${u.model}): ${u.cellsDone}/${u.cells} cells · ${job}${claim}`);
      }
    });
}

/** The resources given on the command line (the manifest's `cluster` fills the rest). */
function resourcesOf(o: StudyCliOptions): SlurmResources {
  const fromOptions = slurmResourcesSchema.safeParse({
    partition: o.partition,
    time: o.time,
    cpus: o.cpus,
    mem: o.mem,
    gpus: o.gpus,
    extra: o.sbatchArg.length ? o.sbatchArg : undefined,
  });
  if (!fromOptions.success) {
    const issue = fromOptions.error.issues[0];
    throw new UsageError(`--${String(issue.path[0])}: ${issue.message}`);
  }
  return Object.fromEntries(
    Object.entries(fromOptions.data).filter(([, v]) => v !== undefined),
  ) as SlurmResources;
}

async function studyOnSlurm(options: StudyEnvelope, o: StudyCliOptions): Promise<void> {
  const job: StudyEnvelope = {
    ...options,
    slurm: { resources: resourcesOf(o), detach: o.detach === true, pollSeconds: o.pollSeconds },
  };
  const outcome = await runInWorker<StudyEnvelope, string, SlurmStudyOutcome>(
    new URL('../workers/spikes-study-slurm.js', import.meta.url),
    job,
    (line) => console.error(withFlags(line)),
    { stopOnInterrupt: true },
  );
  const ids = outcome.submitted.map((s) => s.id);
  if (ids.length) console.log(`submitted ${ids.length} job(s): ${ids.join(', ')}`);
  if (o.detach || outcome.stoppedWaiting) {
    if (outcome.stoppedWaiting) console.log('stopped waiting; the jobs go on');
    console.log(`follow it with: neurobridge spikes study status ${o.out}`);
    return;
  }
  if (outcome.result) {
    printStudyTables(outcome.result);
    console.log(`study: ${join(o.out, 'study.json')}`);
    if (outcome.report) console.log(`report: ${outcome.report}`);
    return;
  }
  const missing = outcome.units.filter((u) => u.cellsDone < u.cells);
  for (const f of outcome.failed)
    console.error(
      withFlags(`job ${f.id} (${f.source}, ${f.model}) ended ${describeEnd(f)}; log: ${f.log}`),
    );
  throw new UsageError(
    `${missing.length} model(s) still lack cells (${missing.map((u) => `${u.source} ${u.model}`).join(', ')}); re-run the same command to collect finished jobs and resubmit the rest`,
  );
}

/** Runs a study in a worker, streaming its progress lines, and prints the grouped table. */
export async function studyAndPrint(options: StudyEnvelope): Promise<StudyOutcome> {
  const result = await runInWorker<typeof options, string, StudyOutcome>(
    new URL('../workers/spikes-study.js', import.meta.url),
    options,
    (line) => console.error(line),
    { stopOnInterrupt: true },
  );
  printStudyTables(result);
  return result;
}

function printStudyTables(result: StudyResult): void {
  const pm = (m: { mean: number; sd: number }) =>
    `${m.mean.toFixed(3)} ± ${Number.isNaN(m.sd) ? '–' : m.sd.toFixed(3)}`;
  const p = (t: { p: number } | null) => (t ? t.p.toExponential(1) : '–');
  console.log(
    `cross-dataset cells: unit alignment ${result.unitAlignment}, calibration on the target's val split ${result.transferCalibration ?? 'none'}`,
  );
  for (const [loss, r] of Object.entries(result.losses)) {
    console.log(
      `\n${loss}: grouped ROC-AUC / PR-AUC / AP / bits per spike, then the multi-scale, coupled and population GLMs' ROC / AP / bits on the same cells (mean ± sd over cells; t-tests of ROC-AUC vs 0.5, the rate baseline and the GLM)`,
    );
    for (const [name, g] of Object.entries(r.groups)) {
      console.log(
        `  ${name.padEnd(28)} n=${g.cells}  ROC ${pm(g.rocAuc)}  PR ${pm(g.prAuc)}  AP ${pm(g.averagePrecision)}  bits ${pm(g.bitsPerSpike)}${g.modelAlone ? `  | transformer alone ROC ${pm(g.modelAlone.rocAuc)}  AP ${pm(g.modelAlone.averagePrecision)}  bits ${pm(g.modelAlone.bitsPerSpike)}` : ''}${g.rate ? `  | rate ROC ${pm(g.rate.rocAuc)}  AP ${pm(g.rate.averagePrecision)}  bits ${pm(g.rate.bitsPerSpike)}` : ''}  | GLM ROC ${pm(g.glm.rocAuc)}  AP ${pm(g.glm.averagePrecision)}  bits ${pm(g.glm.bitsPerSpike)}${g.coupledGlm ? `  | coupled GLM ROC ${pm(g.coupledGlm.rocAuc)}  AP ${pm(g.coupledGlm.averagePrecision)}  bits ${pm(g.coupledGlm.bitsPerSpike)}` : ''}${g.populationGlm ? `  | population GLM ROC ${pm(g.populationGlm.rocAuc)}  AP ${pm(g.populationGlm.averagePrecision)}  bits ${pm(g.populationGlm.bitsPerSpike)}` : ''}  p(chance) ${p(g.rocVsChance)}  p(rate) ${p(g.rocVsRate)}  p(GLM) ${p(g.rocVsGlm)}`,
      );
    }
    console.log(`  3-D map stress ${r.map.stress.toExponential(2)}`);
  }
}
