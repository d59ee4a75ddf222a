/** `neurobridge spikes train`: the causal spike transformer on a manifest dataset. */
import { InvalidArgumentError, type Command } from 'commander';
import { runInWorker } from '../engine/worker.js';
import { LOSS_NAMES, type LossName } from '../models/losses.js';
import {
  PRESET_NAMES,
  PRESETS,
  modelVariant,
  type ExperimentResult,
  type PresetName,
} from '../pipelines/spikes/model/experiment.js';
import type { TransferScores } from '../pipelines/spikes/transfer/transfer.js';
import {
  formatHeldOutAp,
  OUTPUT_LABELS,
  STACK_STREAMS,
} from '../pipelines/spikes/baselines/stack.js';
import type { SampleStatistics } from '../pipelines/spikes/analysis/generation-stats.js';
import {
  evaluateRun,
  generateFromRun,
  interpretRun,
  type GenerateOptions,
} from '../commands/spikes-run.js';
import { runFolder } from '../pipelines/spikes/model/trained-run.js';
import type { SpikeTrainJob, SpikeTrainProgress } from '../workers/spikes-train.js';
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
  type TransferSettingsCli,
} from './options.js';
import { createProgress, type Progress } from './progress.js';

export function registerSpikeModelCommands(spikes: Command): void {
  registerEvalCommands(spikes);
  registerInterpretCommand(spikes);
  spikes
    .command('train')
    .description(
      'train the causal spike transformer on one dataset and score it one step ahead on a test split',
    )
    .argument('<manifest>', 'study manifest (YAML or JSON)')
    .requiredOption('--dataset <id>', 'dataset to train on')
    .option('--target <id>', 'dataset whose test split is scored (default: the training dataset)')
    .addOption(
      choice(
        '--preset <name>',
        `${PRESET_NAMES.join(' | ')} (default: the GLM-path transformer on the Bernoulli likelihood; paper: Dice, the published sizes)`,
        PRESET_NAMES,
        'default',
      ),
    )
    .addOption(
      choice('--loss <name>', `${LOSS_NAMES.join(' | ')} (default: the preset's)`, LOSS_NAMES),
    )
    .option(
      '--leaky',
      "reproduce the released code's setup (no causal mask, output aligned with its own input): inflated scores",
      false,
    )
    .option('--seed <n>', 'random seed', seed, 0)
    .option('--max-epochs <n>', 'override the preset', MAX_EPOCHS)
    .addOption(positionalOption())
    .addOption(deviceOption())
    .requiredOption(
      '--out <dir>',
      'output folder (checkpoints, train.jsonl, result.json); re-running resumes',
      outFolder,
    )
    .action(
      async (
        manifest: string,
        o: {
          dataset: string;
          target?: string;
          preset: PresetName;
          loss?: LossName;
          leaky: boolean;
          seed: number;
          maxEpochs?: number;
          positional?: (typeof POSITIONAL_ENCODINGS)[number];
          out: string;
          device: string;
        },
      ) => {
        const job: SpikeTrainJob = {
          manifest,
          dataset: o.dataset,
          target: o.target ?? o.dataset,
          preset: o.preset,
          loss: o.loss ?? PRESETS[o.preset].loss,
          leaky: o.leaky,
          seed: o.seed,
          out: o.out,
          maxEpochs: o.maxEpochs,
          positional: o.positional,
          device: o.device,
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
          { stopOnInterrupt: true },
        );
        (bar as Progress | null)?.stop();
        printSummary(result);
        const files = runFolder(job.out);
        console.log(`results: ${files.result}, log: ${files.log}, best model: ${files.best}`);
      },
    );
}

export const MAX_EPOCHS = integer(1, 1_000_000);
export const WORKERS = integer(1, 256);

/** `--models` / `--losses`: entries checked when parsed (any loss goes with any preset). */
export function modelList(value: string): string[] {
  const entries = value.split(',').map((s) => s.trim());
  for (const e of entries) {
    try {
      modelVariant(e, 'default');
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  }
  return entries;
}

function registerInterpretCommand(spikes: Command): void {
  spikes
    .command('interpret')
    .description(
      'attention maps, gradient importance, AWI, attention by offset, correlations with activity, and ablations for a trained run',
    )
    .argument('<run>', 'folder written by `spikes train`')
    .option('--dataset <id>', 'dataset whose test split is probed (default: the training dataset)')
    .option(
      '--start <bin>',
      'first bin of the probed window in the test split',
      integer(0, Number.MAX_SAFE_INTEGER),
      0,
    )
    .option(
      '--ablation-bins <n>',
      'test bins sampled for the ablations',
      integer(1, 10_000_000),
      2000,
    )
    .requiredOption(
      '--out <file>',
      'JSON output; the attention and AWI maps go beside it as <file>.attention.npy, .attention-per-head.npy, .awi.npy',
    )
    .action(
      async (
        runDir: string,
        o: { dataset?: string; start: number; ablationBins: number; out: string },
      ) => {
        const { interpretation: x, ablations } = await interpretRun({ ...o, run: runDir });
        for (const [name, c] of Object.entries(x.correlations))
          console.log(`${name}: r = ${c.r.toFixed(3)}, p = ${c.p.toExponential(2)}`);
        for (const [name, d] of Object.entries(ablations.change)) {
          console.log(
            `${name.padEnd(20)} ROC-AUC ${ablations.scores[name as keyof typeof ablations.scores].rocAuc.toFixed(4)} (change ${d.rocAuc.toFixed(4)})`,
          );
        }
        console.log(`written: ${o.out}`);
      },
    );
}

function registerEvalCommands(spikes: Command): void {
  spikes
    .command('eval')
    .description(
      "score a trained model one step ahead on a dataset's test split (transfer when it is another dataset), with baselines, curves and a raster",
    )
    .argument('<run>', 'folder written by `spikes train`')
    .requiredOption('--target <id>', 'dataset of the same manifest whose test split is scored')
    .option(
      '--out <dir>',
      'where to write eval-<target>.json and eval-<target>-raster.svg',
      outFolder,
      '',
    )
    .addOption(alignmentOption())
    .addOption(calibrationOption())
    .action(async (runDir: string, o: { target: string; out: string } & TransferSettingsCli) => {
      const { scores, files } = await evaluateRun({ ...o, run: runDir }, (line) =>
        console.error(line),
      );
      printSummary(scores);
      console.log(`results: ${files.results}, raster: ${files.raster}`);
    });

  spikes
    .command('generate')
    .description(
      'sample a free-running spike train from a trained model, seeded with observed bins',
    )
    .argument('<run>', 'folder written by `spikes train`')
    .option(
      '--dataset <id>',
      'dataset whose test split supplies the seed window (default: the training dataset)',
    )
    .option('--seed-bins <n>', 'observed bins to start from', integer(1, 10_000_000), 256)
    .option(
      '--bins <n>',
      'bins to generate',
      integer(1, 10_000_000, 'the generated raster takes bins × units bytes'),
      1000,
    )
    .option('--seed <n>', 'sampling seed', seed, 0)
    .option(
      '--compare',
      "also sample the multi-scale GLM (fitted on the run's train split) and compare both with the observed bins that followed the seed window (rates, ISIs, pairwise correlations, population bursts): <out>.json",
      false,
    )
    .requiredOption(
      '--out <file>',
      'SVG raster of the seed window and the generated bins (a .npy of the bins is written beside it)',
    )
    .action(async (runDir: string, o: Omit<GenerateOptions, 'run'>) => {
      const r = await generateFromRun({ ...o, run: runDir });
      console.log(
        `generated ${r.bins} bins × ${r.units} units: ${r.files.raster}, ${r.files.npy}, ${r.files.nwb}, ${r.files.alf}/`,
      );
      if (r.comparison) {
        const f = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '–');
        const line = (name: string, x: SampleStatistics) =>
          `${name.padEnd(16)} rate ${f(x.meanRateHz)} Hz  pairwise r ${f(x.meanPairwiseCorrelation)}  bursts/s ${f(x.burstsPerSecond)}  spikes/burst ${f(x.meanBurstSpikes)}`;
        console.log(line('observed', r.comparison.observed));
        for (const [name, x] of Object.entries(r.comparison.samples))
          console.log(
            `${line(name, x)}  rate r ${f(x.rateCorrelation)}  ISI KS ${f(x.isiKs)}  pairwise match ${f(x.pairwiseCorrelationMatch)}`,
          );
        console.log(`comparison: ${r.files.comparison}`);
      }
    });
}

function printSummary(r: TransferScores & { training?: ExperimentResult['training'] }): void {
  const row = (name: string, s: TransferScores['transformer']) =>
    `${name.padEnd(16)} ROC-AUC ${s.pooled.rocAuc.toFixed(4)}  PR-AUC ${s.pooled.prAuc.toFixed(4)} (trapezoid ${s.pooled.prAucTrapezoid.toFixed(4)})  AP ${s.pooled.averagePrecision.toFixed(4)}  bits/spike ${s.bitsPerSpike.toFixed(3)}`;
  console.log(
    `test split: ${r.transformer.bins} bins × ${r.transformer.units} units; chance PR-AUC ${r.transformer.chance.prAuc.toFixed(4)}`,
  );
  console.log(row(r.stack ? 'default output' : 'transformer', r.transformer));
  if (r.modelAlone) console.log(row('transformer alone', r.modelAlone));
  console.log(row('rate', r.baselines.rate));
  console.log(row('multi-scale GLM', r.baselines.glm));
  console.log(row('coupled GLM', r.baselines.coupledGlm));
  if (r.baselines.populationGlm) console.log(row('population GLM', r.baselines.populationGlm));
  if (r.training)
    console.log(
      `best epoch ${r.training.bestEpoch} of ${r.training.epoch}${r.training.bestEpoch === -1 ? ' (−1: the fitted GLM the model started from)' : ''}`,
    );
  if (r.stack) {
    const named = STACK_STREAMS.map((s, k) => `${s} ${r.stack!.slopes[k]?.toFixed(3)}`);
    console.log(`output stacked with its GLMs on the val split: logit slopes ${named.join(', ')}`);
    const output = OUTPUT_LABELS[r.stack.output];
    console.log(
      `output: ${r.stack.output === 'stack' ? 'the stack' : `the ${output} alone`} (held-out validation AP: ${formatHeldOutAp(r.stack.heldOutAp)})`,
    );
  }
  if (r.calibration)
    console.log(
      `scores Platt-calibrated on the source's val split: σ(${r.calibration.scale.toFixed(3)}·logit + ${r.calibration.shift.toFixed(3)})`,
    );
  console.log(
    `first test bins take their past from the val split; every bin had ≥ ${r.prediction.minimumPast} observed past bins`,
  );
}
