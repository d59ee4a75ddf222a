/** `neurobridge spikes train`: the causal spike transformer on a manifest dataset. */
import type { Command } from 'commander';
import { runInWorker } from '../engine/worker.js';
import { UsageError } from '../core/errors.js';
import type { SpikeTrainJob, SpikeTrainProgress } from '../workers/spikes-train.js';
import type { ExperimentResult, PresetName } from '../pipelines/spikes/experiment.js';
import type { LossName } from '../models/losses.js';
import { createProgress, type Progress } from './progress.js';

export function registerSpikeModelCommands(spikes: Command): void {
  spikes
    .command('train')
    .description(
      'train the causal spike transformer on one dataset and score it one step ahead on a test split',
    )
    .argument('<manifest>', 'study manifest (YAML or JSON)')
    .requiredOption('--dataset <id>', 'dataset to train on')
    .option('--target <id>', 'dataset whose test split is scored (default: the training dataset)')
    .option('--preset <name>', 'paper | quick | tiny', 'quick')
    .option('--loss <name>', 'dice | focal | bce', 'dice')
    .option(
      '--leaky',
      "reproduce the released code's setup (no causal mask, output aligned with its own input): inflated scores",
      false,
    )
    .option('--seed <n>', 'random seed', '0')
    .option('--max-epochs <n>', 'override the preset')
    .requiredOption(
      '--out <dir>',
      'output folder (checkpoints, train.jsonl, result.json); re-running resumes',
    )
    .action(async (manifest: string, o: Record<string, string | boolean | undefined>) => {
      const preset = o.preset as PresetName;
      if (!['paper', 'quick', 'tiny'].includes(preset))
        throw new UsageError(`--preset: expected paper, quick or tiny, got '${preset}'`);
      const loss = o.loss as LossName;
      if (!['dice', 'focal', 'bce'].includes(loss))
        throw new UsageError(`--loss: expected dice, focal or bce, got '${loss}'`);
      const job: SpikeTrainJob = {
        manifest,
        dataset: String(o.dataset),
        target: String(o.target ?? o.dataset),
        preset,
        loss,
        leaky: Boolean(o.leaky),
        seed: Number(o.seed),
        out: String(o.out),
        maxEpochs: o.maxEpochs ? Number(o.maxEpochs) : undefined,
      };
      let bar: Progress | null = null;
      let lastVal = '';
      const result = await runInWorker<SpikeTrainJob, SpikeTrainProgress, ExperimentResult>(
        new URL('../workers/spikes-train.js', import.meta.url),
        job,
        (p) => {
          if (p.kind === 'phase') return console.error(p.message);
          if (p.kind === 'epoch') {
            lastVal = `ROC ${p.valRocAuc.toFixed(3)} PR ${p.valPrAuc.toFixed(3)}`;
            return;
          }
          bar ??= createProgress('train', p.maxEpochs * p.stepsPerEpoch);
          bar.update(p.epoch * p.stepsPerEpoch + p.step + 1, {
            epoch: p.epoch,
            loss: p.loss,
            ...(lastVal ? { val: lastVal } : {}),
          });
        },
      );
      (bar as Progress | null)?.stop();
      printSummary(result);
      console.log(
        `results: ${job.out}/result.json, log: ${job.out}/train.jsonl, best model: ${job.out}/model/best.safetensors`,
      );
    });
}

function printSummary(r: ExperimentResult): void {
  const row = (name: string, s: ExperimentResult['transformer']) =>
    `${name.padEnd(12)} ROC-AUC ${s.pooled.rocAuc.toFixed(4)}  PR-AUC ${s.pooled.prAuc.toFixed(4)}  AP ${s.pooled.averagePrecision.toFixed(4)}  bits/spike ${s.bitsPerSpike.toFixed(3)}`;
  console.log(
    `test split: ${r.transformer.bins} bins × ${r.transformer.units} units; chance PR-AUC ${r.transformer.chance.prAuc.toFixed(4)}`,
  );
  console.log(row('transformer', r.transformer));
  console.log(row('rate', r.baselines.rate));
  console.log(row('GLM', r.baselines.glm));
  console.log(
    `best epoch ${r.training.bestEpoch} of ${r.training.epoch}; first test bins: context from the val split (min past ${r.prediction.minimumPast} bins)`,
  );
}
