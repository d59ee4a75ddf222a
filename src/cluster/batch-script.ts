/**
 * The resources a Slurm job asks for, and the batch script that asks for them. Options a
 * site needs beyond these (account, QOS, constraints, …) pass through `extra` unchanged.
 */
import { z } from 'zod';

export const slurmResourcesSchema = z
  .object({
    partition: z.string().min(1).optional(),
    /** Slurm time format, e.g. `2:00:00` or `1-00:00:00`. */
    time: z
      .string()
      .regex(/^(\d+-)?\d+(:\d+){0,2}$/, 'expected a Slurm time such as 2:00:00 or 1-00:00:00')
      .optional(),
    cpus: z.number().int().positive().optional(),
    /** Slurm memory, e.g. `8G` or `16000M`. */
    mem: z
      .string()
      .regex(/^\d+[KMGT]?$/i, 'expected a Slurm memory size such as 8G')
      .optional(),
    /** GPUs per job: a count or `type:count` (e.g. `a100:1`). */
    gpus: z
      .string()
      .regex(/^([A-Za-z0-9_-]+:)?\d+$/, 'expected a GPU count such as 1 or a100:1')
      .optional(),
    /** Further `sbatch` options, e.g. `--account=lab` or `--qos=long`. */
    extra: z.array(z.string().regex(/^--?[A-Za-z]/, 'expected an sbatch option')).optional(),
  })
  .strict();

export type SlurmResources = z.infer<typeof slurmResourcesSchema>;

export interface BatchJob {
  name: string;
  /** Slurm expands `%j` to the job id. */
  log: string;
  workDir: string;
  resources: SlurmResources;
  env: Record<string, string>;
  /** The command, already split into arguments (each is shell-quoted here). */
  command: string[];
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function batchScript(job: BatchJob): string {
  const r = job.resources;
  const directives = [
    `--job-name=${job.name}`,
    `--output=${job.log}`,
    `--chdir=${job.workDir}`,
    '--ntasks=1',
    `--cpus-per-task=${r.cpus ?? 1}`,
    ...(r.partition ? [`--partition=${r.partition}`] : []),
    ...(r.time ? [`--time=${r.time}`] : []),
    ...(r.mem ? [`--mem=${r.mem}`] : []),
    ...(r.gpus ? [`--gpus=${r.gpus}`] : []),
    ...(r.extra ?? []),
  ];
  return [
    '#!/bin/bash',
    ...directives.map((d) => `#SBATCH ${d}`),
    ...Object.entries(job.env).map(([k, v]) => `export ${k}=${quote(v)}`),
    `exec ${job.command.map(quote).join(' ')}`,
    '',
  ].join('\n');
}
