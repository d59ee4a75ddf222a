/**
 * The folder `spikes train` writes, owned here: `run.json` (the job and the training
 * configuration), `train.jsonl` (one line per epoch), `result.json` (the scores) and
 * `model/` (the training checkpoints and `best.safetensors`). The worker writes it, `spikes
 * eval|generate|interpret` read it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../../../core/errors.js';
import { writeFileAtomic } from '../../../core/atomic.js';
import { readValidated } from '../../../core/schema.js';
import { loadSafetensors } from '../../../engine/index.js';
import {
  SpikeTransformer,
  type SpikeTransformerConfig,
} from '../../../models/spike-transformer.js';
import { BEST_MODEL, type TrainConfig } from './train.js';

/** Paths of a run folder. */
export function runFolder(dir: string) {
  const model = join(dir, 'model');
  return {
    dir,
    record: join(dir, 'run.json'),
    log: join(dir, 'train.jsonl'),
    result: join(dir, 'result.json'),
    /** The training folder (checkpoints, state.json). */
    model,
    best: join(model, BEST_MODEL),
  };
}

export interface RunRecord {
  /** What was asked for; `manifest` is absolute so that the folder works from anywhere. */
  job: { manifest: string; dataset: string };
  config: TrainConfig;
  sourceKey: string;
  targetKey: string;
}

const runRecordSchema = z.object({
  job: z.object({ manifest: z.string().min(1), dataset: z.string().min(1) }).passthrough(),
  config: z
    .object({
      model: z
        .object({ units: z.number().int().positive(), context: z.number().int().positive() })
        .passthrough(),
    })
    .passthrough(),
  sourceKey: z.string(),
  targetKey: z.string(),
}) as unknown as z.ZodType<RunRecord, z.ZodTypeDef, unknown>;

/** Starts a run folder: creates it and writes run.json (the manifest path made absolute). */
export function writeRunRecord(dir: string, record: RunRecord): void {
  mkdirSync(dir, { recursive: true });
  const job = { ...record.job, manifest: resolve(record.job.manifest) };
  writeFileAtomic(runFolder(dir).record, JSON.stringify({ ...record, job }, null, 2));
}

export interface TrainedRun {
  dir: string;
  /** Absolute manifest path and the dataset the model was trained on. */
  manifest: string;
  dataset: string;
  config: TrainConfig;
  model: SpikeTransformer;
}

export function loadTrainedRun(dir: string): TrainedRun {
  const files = runFolder(dir);
  if (!existsSync(files.record))
    throw new InputError(
      files.record,
      undefined,
      'missing: expected a folder written by `neurobridge spikes train`',
    );
  if (!existsSync(files.best))
    throw new InputError(files.best, undefined, 'missing: training has not finished an epoch yet');
  const run = readValidated(files.record, runRecordSchema);
  const model = new SpikeTransformer(run.config.model as SpikeTransformerConfig);
  model.loadStateDict(loadSafetensors(files.best).tensors);
  model.eval();
  return { dir, manifest: run.job.manifest, dataset: run.job.dataset, config: run.config, model };
}
