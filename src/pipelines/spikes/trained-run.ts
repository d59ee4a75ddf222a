/** A folder written by `spikes train`: run.json (job + config) and model/best.safetensors. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../core/errors.js';
import { readJsonFile } from '../../core/json.js';
import { loadSafetensors } from '../../engine/index.js';
import { SpikeTransformer } from '../../models/spike-transformer.js';
import type { TrainConfig } from './train.js';

export interface TrainedRun {
  dir: string;
  /** Absolute manifest path and the dataset the model was trained on. */
  manifest: string;
  dataset: string;
  config: TrainConfig;
  model: SpikeTransformer;
}

export function loadTrainedRun(dir: string): TrainedRun {
  const runFile = join(dir, 'run.json');
  const weights = join(dir, 'model', 'best.safetensors');
  if (!existsSync(runFile))
    throw new InputError(
      runFile,
      undefined,
      'missing: expected a folder written by `neurobridge spikes train`',
    );
  if (!existsSync(weights))
    throw new InputError(weights, undefined, 'missing: training has not finished an epoch yet');
  const run = readJsonFile<{
    job?: { manifest?: string; dataset?: string };
    config?: TrainConfig;
  }>(runFile, 'the run.json of `neurobridge spikes train`');
  if (!run.job?.manifest || !run.job.dataset)
    throw new InputError(runFile, 'job', 'expected manifest and dataset');
  if (!run.config?.model)
    throw new InputError(runFile, 'config.model', 'expected the model configuration');
  const model = new SpikeTransformer(run.config.model);
  model.loadStateDict(loadSafetensors(weights).tensors);
  model.eval();
  return { dir, manifest: run.job.manifest, dataset: run.job.dataset, config: run.config, model };
}
