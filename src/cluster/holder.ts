/**
 * Who holds a claim on a unit of work, and whether that holder still lives: a Slurm job
 * (`slurm:ID`, alive while queued or running) or a process (`pid:PID@HOST`, alive while the
 * process exists; a process on another host is assumed alive, since it cannot be asked).
 */
import { hostname } from 'node:os';
import { jobStatuses, slurmAvailable } from './slurm.js';

export function currentHolder(): string {
  const job = process.env.SLURM_JOB_ID;
  return job ? `slurm:${job}` : `pid:${process.pid}@${hostname()}`;
}

export function holderAlive(holder: string): boolean {
  const slurm = /^slurm:(\d+)$/.exec(holder);
  if (slurm) {
    if (slurm[1] === process.env.SLURM_JOB_ID) return true;
    // Without Slurm's commands nothing can be known: keep the claim.
    if (!slurmAvailable()) return true;
    const phase = jobStatuses([slurm[1]]).get(slurm[1])?.phase;
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
