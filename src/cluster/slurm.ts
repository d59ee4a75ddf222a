/**
 * A thin client of Slurm's command-line tools (`sbatch`, `squeue`, `sacct`, `scancel`,
 * `sinfo`). The CLI rather than slurmrestd: every cluster's login node has the commands,
 * few sites open the REST daemon to users, and no maintained npm package wraps either.
 */
import { execFileSync } from 'node:child_process';
import { UsageError } from '../core/errors.js';

/** Slurm's job states, reduced to what a study needs to decide. */
export type JobPhase = 'queued' | 'running' | 'completed' | 'failed' | 'unknown';

export interface JobStatus {
  id: string;
  /** Slurm's own state name (PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, CANCELLED, …). */
  state: string;
  phase: JobPhase;
  /** `exit:signal`, when accounting knows it. */
  exitCode?: string;
}

const QUEUED = new Set(['PENDING', 'CONFIGURING', 'REQUEUED', 'RESIZING', 'SUSPENDED']);
const RUNNING = new Set(['RUNNING', 'COMPLETING', 'STAGE_OUT', 'SIGNALING']);

export function phaseOf(state: string): JobPhase {
  // sacct prints e.g. "CANCELLED by 0".
  const s = state.split(' ')[0].toUpperCase();
  if (QUEUED.has(s)) return 'queued';
  if (RUNNING.has(s)) return 'running';
  if (s === 'COMPLETED') return 'completed';
  if (s === '') return 'unknown';
  return 'failed';
}

/** How a job ended, with what a user can do about it. */
export function describeEnd(job: JobStatus): string {
  const state = job.state.split(' ')[0];
  const [exit, signal] = (job.exitCode ?? '').split(':').map(Number);
  if (state === 'TIMEOUT') return 'TIMEOUT (raise option `time`; a resubmitted job resumes)';
  if (state === 'OUT_OF_MEMORY') return 'OUT_OF_MEMORY (raise option `mem`)';
  if (signal === 9)
    return `${state} (killed by signal 9, often the out-of-memory killer: raise option \`mem\`)`;
  if (exit > 0) return `${state} (exit code ${exit})`;
  return job.state;
}

function run(command: string, args: string[], input?: string): string {
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 60_000,
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT')
      throw new UsageError(
        `${command} not found: option \`slurm\` needs Slurm's commands on this machine (a cluster's login node; for a local test cluster: scripts/slurm-local.sh start)`,
      );
    const detail = (err.stderr ?? err.message).trim().split('\n').pop();
    throw new UsageError(`${command} ${args.slice(0, 2).join(' ')} failed: ${detail}`);
  }
}

/** True when `sinfo` answers (Slurm's commands exist and the controller is reachable). */
export function slurmAvailable(): boolean {
  try {
    execFileSync('sinfo', ['-h', '-o', '%D'], { stdio: 'pipe', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** How many nodes the cluster (or `partition`) has. */
export function nodeCount(partition?: string): number {
  const args = ['-h', '-o', '%D'];
  if (partition) args.push('-p', partition);
  return run('sinfo', args)
    .split('\n')
    .filter(Boolean)
    .reduce((sum, line) => sum + Number(line.trim()), 0);
}

/** Submits a batch script (its `#SBATCH` lines carry the resources); returns the job id. */
export function submitBatch(scriptPath: string): string {
  const out = run('sbatch', ['--parsable', scriptPath]).trim();
  // --parsable prints "id" or "id;cluster".
  const id = out.split(';')[0];
  if (!/^\d+$/.test(id)) throw new UsageError(`sbatch ${scriptPath}: unexpected answer "${out}"`);
  return id;
}

export function cancelJobs(ids: string[]): void {
  if (ids.length > 0) run('scancel', ids);
}

/**
 * The status of each job: live jobs from `squeue`; finished ones from accounting (`sacct`,
 * or `sacct -c` where a site keeps only the job-completion log). A job neither knows is
 * `unknown` (e.g. purged from both).
 */
export function jobStatuses(ids: string[]): Map<string, JobStatus> {
  const statuses = new Map<string, JobStatus>();
  if (ids.length === 0) return statuses;
  for (const line of squeueLines(ids)) {
    const [id, state] = line.split('|');
    statuses.set(id, { id, state, phase: phaseOf(state) });
  }
  const finished = ids.filter((id) => !statuses.has(id));
  for (const status of accounting(finished)) statuses.set(status.id, status);
  for (const id of ids)
    if (!statuses.has(id)) statuses.set(id, { id, state: 'UNKNOWN', phase: 'unknown' });
  return statuses;
}

function squeueLines(ids: string[]): string[] {
  try {
    return run('squeue', ['-h', '-j', ids.join(','), '-o', '%i|%T'])
      .split('\n')
      .filter(Boolean);
  } catch {
    // squeue refuses the whole list when one id has left the controller's memory.
    return ids.flatMap((id) => {
      try {
        return run('squeue', ['-h', '-j', id, '-o', '%i|%T']).split('\n').filter(Boolean);
      } catch {
        return [];
      }
    });
  }
}

/**
 * `sacct` over `ids` with `fields` (parsable, one line per job), else the same from the
 * job-completion log (`sacct -c`) where a site keeps no accounting database.
 */
function sacct(ids: string[], fields: string): string[] {
  const args = ['-n', '-P', '-X', '-j', ids.join(','), '-o', fields];
  let text: string;
  try {
    text = run('sacct', args);
  } catch {
    text = run('sacct', ['-c', ...args]);
  }
  return text.split('\n').filter(Boolean);
}

/** Finished jobs as accounting records them (none when neither source answers). */
export function accounting(ids: string[]): JobStatus[] {
  if (ids.length === 0) return [];
  let lines: string[];
  try {
    lines = sacct(ids, 'JobID,State,ExitCode');
  } catch {
    return [];
  }
  const byId = new Map<string, JobStatus>();
  for (const line of lines) {
    const [id, state, exitCode] = line.split('|');
    // The last record of a job id wins (a requeued job has several).
    if (ids.includes(id)) byId.set(id, { id, state, phase: phaseOf(state), exitCode });
  }
  return [...byId.values()];
}

/** Names of jobs accounting knows, by id (the tests check that study jobs are recorded). */
export function accountedJobNames(ids: string[]): Map<string, string> {
  return new Map(sacct(ids, 'JobID,JobName').map((l) => l.split('|') as [string, string]));
}
