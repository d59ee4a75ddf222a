/**
 * `spikes study --executor slurm`: every model of the study (a source dataset and a model
 * entry) becomes one Slurm job that trains it and scores its row of cells into the study's
 * cell store, which must sit on a file system the nodes share. The submitting process
 * records the jobs in `slurm/jobs.json`, waits (or returns, with `detach`), and once every
 * cell is stored runs the study locally, which finds them all cached and writes the summary.
 * Re-running the same command submits only models whose cells are missing and that have no
 * live job; a resubmitted job resumes training from the model's last epoch checkpoint.
 * Jobs start from `entry`, a script of the layer that runs jobs (src/workers), given the
 * study's `slurm/options.json` (a StudyEnvelope carrying the parsed manifest), a source and a
 * model.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../../../core/atomic.js';
import { UsageError } from '../../../core/errors.js';
import { readValidated } from '../../../core/schema.js';
import { batchScript, type SlurmResources } from '../../../cluster/batch-script.js';
import { folderSharing } from '../../../cluster/shared-folder.js';
import { holderAlive, holderJob } from '../../../cluster/holder.js';
import {
  describeEnd,
  jobStatuses,
  nodeCount,
  slurmAvailable,
  submitBatch,
  type JobPhase,
  type JobStatus,
} from '../../../cluster/slurm.js';
import type { Manifest } from '../data/manifest.js';
import type { SlurmExecution, StudyEnvelope, StudyHooks, StudySettings } from './settings.js';
import { modelFolder, StudyCells, type StudyPlanRecord, type StudyResult } from './study-cells.js';
import { planStudy, runPlannedStudy } from './study.js';

/** A Slurm run of a study: the execution, where jobs train, the parsed manifest, the job entry. */
export interface SlurmRun {
  slurm: SlurmExecution;
  device?: string;
  manifest: Manifest;
  /** The job script: node ENTRY OPTIONS.json SOURCE MODEL. */
  entry: string;
}

/** One model's jobs, oldest first (a resubmission adds one). */
interface UnitJobs {
  model: string;
  source: string;
  jobs: { id: string; submittedAt: string; log: string; script: string }[];
}

const jobsSchema = z.object({
  units: z.record(
    z.object({
      model: z.string(),
      source: z.string(),
      jobs: z.array(
        z.object({ id: z.string(), submittedAt: z.string(), log: z.string(), script: z.string() }),
      ),
    }),
  ),
});

export interface UnitState {
  model: string;
  source: string;
  cellsDone: number;
  cells: number;
  /** The model's latest job and its state (none: never submitted). */
  job?: JobStatus & { log: string };
}

export interface SlurmOutcome {
  /** The study's summary, when every cell is stored and the command waited. */
  result: StudyResult | null;
  units: UnitState[];
  submitted: { model: string; source: string; id: string }[];
  /** Jobs that ended without storing their cells. */
  failed: (JobStatus & { model: string; source: string; log: string })[];
  sharing: string;
  /** Waiting was stopped (Ctrl-C) while jobs were still queued or running; they go on. */
  stoppedWaiting?: boolean;
}

/** The files of the Slurm executor inside a study folder. */
export class SlurmFiles {
  constructor(readonly dir: string) {}
  get root() {
    return join(this.dir, 'slurm');
  }
  get jobsFile() {
    return join(this.root, 'jobs.json');
  }
  get optionsFile() {
    return join(this.root, 'options.json');
  }
  script(model: string, source: string) {
    return join(this.root, 'scripts', `${unitName(model, source)}.sh`);
  }
  log(model: string, source: string) {
    return join(this.root, 'logs', `${unitName(model, source)}-%j.log`);
  }
  readJobs(): Record<string, UnitJobs> {
    return existsSync(this.jobsFile) ? readValidated(this.jobsFile, jobsSchema).units : {};
  }
  writeJobs(units: Record<string, UnitJobs>): void {
    writeFileAtomic(this.jobsFile, JSON.stringify({ units }, null, 2));
  }
}

const unitName = (model: string, source: string) => `${modelFolder(model)}__${source}`;

/** The resources of every job: the command line's, then the manifest's `cluster`. */
export function jobResources(run: SlurmRun): SlurmResources {
  const given = Object.fromEntries(
    Object.entries(run.slurm.resources).filter(([, v]) => v !== undefined),
  );
  const resources: SlurmResources = { ...(run.manifest.cluster ?? {}), ...given };
  // A CUDA study asks for one GPU per job unless told otherwise.
  if (run.device?.startsWith('cuda') && !resources.gpus) resources.gpus = '1';
  return resources;
}

export async function runStudyOnSlurm(
  settings: StudySettings,
  hooks: StudyHooks,
  run: SlurmRun,
): Promise<SlurmOutcome> {
  const out = resolve(settings.out);
  const o: StudySettings = { ...settings, out };
  const planned = await planStudy(o, run.manifest, hooks);
  const plan = planned.record;
  const store = new StudyCells(out);
  const files = new SlurmFiles(out);
  const resources = jobResources(run);
  const sharing = checkSharedFolder(out, resources.partition);
  hooks.onProgress?.(`study folder: ${sharing}`);
  const envelope: StudyEnvelope = { ...o, device: run.device, parsed: run.manifest };
  writeFileAtomic(files.optionsFile, JSON.stringify(envelope, null, 2));

  const jobs = files.readJobs();
  const failed: SlurmOutcome['failed'] = [];
  const submitted: SlurmOutcome['submitted'] = [];
  let states = unitStates(store, plan, jobs);
  for (const unit of states) {
    if (unit.cellsDone === unit.cells || isLive(unit.job?.phase)) continue;
    if (unit.job) failed.push({ ...unit.job, model: unit.model, source: unit.source });
    const id = submit(files, jobs, unit, studyName(out), resources, run.entry);
    submitted.push({ model: unit.model, source: unit.source, id });
    hooks.onProgress?.(`submitted ${unit.source} (${unit.model}) as job ${id}`);
  }
  for (const f of failed)
    hooks.onProgress?.(
      `job ${f.id} (${f.source}, ${f.model}) ended ${describeEnd(f)} before storing its cells (log: ${f.log}); resubmitted`,
    );
  states = unitStates(store, plan, jobs);
  if (run.slurm.detach) return { result: null, units: states, submitted, failed, sharing };

  // Wait: report whenever the picture changes; stop waiting (jobs go on) when asked to.
  const reported = new Set<string>();
  let last = '';
  for (;;) {
    states = unitStates(store, plan, jobs);
    const line = progressLine(states);
    if (line !== last) hooks.onProgress?.(line);
    last = line;
    for (const u of states) {
      const job = u.job;
      if (!job || isLive(job.phase) || u.cellsDone === u.cells || reported.has(job.id)) continue;
      reported.add(job.id);
      failed.push({ ...job, model: u.model, source: u.source });
      hooks.onProgress?.(
        `job ${job.id} (${u.source}, ${u.model}) ended ${describeEnd(job)} with ${u.cellsDone}/${u.cells} cells stored; log: ${job.log}${lastLine(job.log)}`,
      );
    }
    if (!states.some((u) => isLive(u.job?.phase) && u.cellsDone < u.cells)) break;
    if (hooks.signal?.aborted)
      return { result: null, units: states, submitted, failed, sharing, stoppedWaiting: true };
    await sleep(run.slurm.pollSeconds * 1000);
  }
  const complete = states.every((u) => u.cellsDone === u.cells);
  // Every cell is stored: the local run only reads them and writes the summary.
  const result = complete ? await runPlannedStudy(planned) : null;
  return { result, units: states, submitted, failed, sharing };
}

/** The log's last line, where a job's one-line error lands. */
function lastLine(log: string): string {
  try {
    const line = readFileSync(log, 'utf8').trim().split('\n').pop();
    return line ? ` (last line: ${line})` : '';
  } catch {
    return '';
  }
}

const isLive = (phase: JobPhase | undefined) => phase === 'queued' || phase === 'running';

/** Where every model stands: cells stored under the planned key, and its latest job. */
function unitStates(
  store: StudyCells,
  plan: StudyPlanRecord,
  jobs: Record<string, UnitJobs>,
  askSlurm = true,
): UnitState[] {
  const latest = (u: { model: string; source: string }) =>
    jobs[unitName(u.model, u.source)]?.jobs.at(-1);
  const ids = plan.units.map(latest).flatMap((j) => (j ? [j.id] : []));
  const statuses = askSlurm ? jobStatuses(ids) : new Map<string, JobStatus>();
  return plan.units.map((u) => {
    const done = plan.datasets.filter(
      (t) => store.cached(u.model, u.source, t, u.cellKeys[t]) !== null,
    ).length;
    const job = latest(u);
    const status: JobStatus | undefined = job
      ? (statuses.get(job.id) ?? { id: job.id, state: 'not asked', phase: 'unknown' })
      : undefined;
    return {
      model: u.model,
      source: u.source,
      cellsDone: done,
      cells: plan.datasets.length,
      job: job && status ? { ...status, log: job.log.replace('%j', job.id) } : undefined,
    };
  });
}

export function progressLine(states: UnitState[]): string {
  const done = states.reduce((a, u) => a + u.cellsDone, 0);
  const total = states.reduce((a, u) => a + u.cells, 0);
  const jobs = states
    .filter((u) => u.job && u.cellsDone < u.cells)
    .map((u) => `${u.source} (${u.model}) job ${u.job!.id} ${u.job!.state}`);
  return `cells ${done}/${total}${jobs.length ? ' · ' + jobs.join(' · ') : ''}`;
}

function submit(
  files: SlurmFiles,
  jobs: Record<string, UnitJobs>,
  unit: UnitState,
  study: string,
  resources: SlurmResources,
  entry: string,
): string {
  const { model, source } = unit;
  const script = files.script(model, source);
  const log = files.log(model, source);
  mkdirSync(join(files.root, 'logs'), { recursive: true });
  writeFileAtomic(
    script,
    batchScript({
      name: `nb-${study}-${source}-${modelFolder(model)}`,
      log,
      workDir: files.dir,
      resources,
      env: {},
      command: [process.execPath, entry, files.optionsFile, source, model],
    }),
  );
  const id = submitBatch(script);
  const key = unitName(model, source);
  jobs[key] ??= { model, source, jobs: [] };
  jobs[key].jobs.push({ id, submittedAt: new Date().toISOString(), log, script });
  files.writeJobs(jobs);
  return id;
}

/** A job name part: the study folder's name, in characters Slurm and shells take as is. */
const studyName = (dir: string) => basename(dir).replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * The study folder must be readable and writable from every node. A local file system is
 * refused when the partition has more than one node; unknown types are allowed with a note.
 */
function checkSharedFolder(dir: string, partition?: string): string {
  const { fileSystem, shared } = folderSharing(dir);
  if (shared) return `${dir} on ${fileSystem}, shared with the nodes`;
  const nodes = nodeCount(partition);
  if (shared === false && nodes > 1)
    throw new UsageError(
      `option \`out\` ${dir} is on ${fileSystem}, local to this machine, but ${partition ? `partition ${partition}` : 'the cluster'} has ${nodes} nodes: put the study folder on a file system the nodes share (NFS, Lustre, GPFS, BeeGFS, CephFS)`,
    );
  if (shared === false)
    return `${dir} on ${fileSystem}: local, which works on this one-node cluster`;
  return `${dir} on ${fileSystem}: not a file system known to be shared; make sure every node sees it`;
}

export interface StudyStatus {
  dir: string;
  /** study.json is written: every cell was stored and summarised. */
  summarised: boolean;
  /** claimedBy: a live holder computing the model; staleClaim: a holder that is gone. */
  units: (UnitState & { claimedBy: string | null; staleClaim: string | null })[];
  /** Slurm's answer was used (false: no Slurm commands here, job states not shown). */
  slurm: boolean;
}

/** `spikes study status DIR`: where every model of a study stands, read from its folder. */
export function studyStatus(dir: string): StudyStatus {
  const store = new StudyCells(dir);
  const plan = store.readPlan();
  const slurm = slurmAvailable();
  const units = unitStates(store, plan, new SlurmFiles(dir).readJobs(), slurm);
  const holders = units.map((u) => store.claimHolder(u.model, u.source));
  // One squeue/sacct call for every claim's job, not one per claim.
  const jobIds = holders.flatMap((h) => {
    const job = h === null ? null : holderJob(h);
    return job === null ? [] : [job];
  });
  const jobs = {
    available: slurm,
    statuses: slurm ? jobStatuses([...new Set(jobIds)]) : new Map<string, JobStatus>(),
  };
  return {
    dir,
    summarised: existsSync(store.summaryFile),
    units: units.map((u, k) => {
      const holder = holders[k];
      const alive = holder !== null && holderAlive(holder, jobs);
      return { ...u, claimedBy: alive ? holder : null, staleClaim: alive ? null : holder };
    }),
    slurm,
  };
}
