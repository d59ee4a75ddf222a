/**
 * Who holds a claim on a unit of work, and whether that holder still lives: a Slurm job
 * (`slurm:ID`, alive while queued or running) or a process (`pid:PID@HOST`, alive while the
 * process exists; a process on another host is assumed alive, since it cannot be asked).
 */
import { hostname } from 'node:os';
import { jobStatuses, slurmAvailable, type JobStatus } from './slurm.js';

export function currentHolder(): string {
  const job = process.env.SLURM_JOB_ID;
  return job ? `slurm:${job}` : `pid:${process.pid}@${hostname()}`;
}

/** The Slurm job id of a `slurm:ID` holder, else null. */
export function holderJob(holder: string): string | null {
  return /^slurm:(\d+)$/.exec(holder)?.[1] ?? null;
}

/**
 * Whether `holder` still lives. `jobs`: Slurm's answer fetched once for many holders
 * (`available` false when there are no Slurm commands here); without it, Slurm is asked.
 */
export function holderAlive(
  holder: string,
  jobs?: { available: boolean; statuses: Map<string, JobStatus> },
): boolean {
  const job = holderJob(holder);
  if (job !== null) {
    if (job === process.env.SLURM_JOB_ID) return true;
    // Without Slurm's commands nothing can be known: keep the claim.
    if (!(jobs?.available ?? slurmAvailable())) return true;
    const phase = (jobs?.statuses ?? jobStatuses([job])).get(job)?.phase;
    return phase === 'queued' || phase === 'running';
  }
  const proc = /^pid:(\d+)@(.+)$/.exec(holder);
  if (!proc) return false;
  if (proc[2] !== hostname()) return true;
  try {
    process.kill(Number(proc[1]), 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
