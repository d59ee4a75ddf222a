// Worker entry: trains on one manifest dataset and scores on a target's test split.
import { appendFileSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic.js';
import { serveTask } from '../engine/worker.js';
import { setDefaultDevice } from '../engine/runtime.js';
import { defaultCacheDir, loadDataset } from '../pipelines/spikes/data/dataset.js';
import { datasetSpec, loadManifest } from '../pipelines/spikes/data/manifest.js';
import { runFolder, writeRunRecord } from '../pipelines/spikes/model/trained-run.js';
import {
  runExperiment,
  variantConfig,
  type ExperimentResult,
  type PresetName,
} from '../pipelines/spikes/model/experiment.js';
import type { LossName } from '../models/losses.js';
import type { SpikeTransformerConfig } from '../models/spike-transformer.js';

export interface SpikeTrainJob {
  manifest: string;
  dataset: string;
  target: string;
  preset: PresetName;
  loss: LossName;
  leaky: boolean;
  seed: number;
  out: string;
  cacheDir?: string;
  maxEpochs?: number;
  /** Positions (default: the preset's). */
  positional?: SpikeTransformerConfig['positional'];
  /** Where the model trains: cpu, cuda or cuda:N. */
  device?: string;
}
export type SpikeTrainProgress =
  | {
      kind: 'step';
      epoch: number;
      step: number;
      stepsPerEpoch: number;
      maxEpochs: number;
      loss: number;
    }
  | { kind: 'epoch'; epoch: number; valRocAuc: number; valPrAuc: number; trainLoss: number }
  | { kind: 'phase'; message: string };

await serveTask<SpikeTrainJob, SpikeTrainProgress, ExperimentResult>(
  async (job, report, signal) => {
    setDefaultDevice(job.device ?? 'cpu');
    report({ kind: 'phase', message: `preparing ${job.dataset}` });
    const manifest = loadManifest(job.manifest);
    const cacheDir = job.cacheDir ?? defaultCacheDir(job.manifest);
    const source = await loadDataset(datasetSpec(manifest, job.dataset), cacheDir);
    const target =
      job.target === job.dataset
        ? source
        : await loadDataset(datasetSpec(manifest, job.target), cacheDir);
    const base = variantConfig(
      { key: job.preset, preset: job.preset, loss: job.loss },
      source.meta.units,
      job,
    );
    const config = { ...base, model: { ...base.model, leaky: job.leaky } };
    const files = runFolder(job.out);
    writeRunRecord(job.out, { job, config, sourceKey: source.key, targetKey: target.key });
    const { result } = runExperiment(source.splits, target.splits, config, files.model, {
      signal,
      onStep: (epoch, step, loss) =>
        report({
          kind: 'step',
          epoch,
          step,
          stepsPerEpoch: config.stepsPerEpoch,
          maxEpochs: config.maxEpochs,
          loss,
        }),
      onEpoch: (r) => {
        appendFileSync(files.log, JSON.stringify(r) + '\n');
        report({
          kind: 'epoch',
          epoch: r.epoch,
          valRocAuc: r.valRocAuc,
          valPrAuc: r.valPrAuc,
          trainLoss: r.trainLoss,
        });
      },
    });
    writeFileAtomic(files.result, JSON.stringify(result, null, 2));
    return result;
  },
);
