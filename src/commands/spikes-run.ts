/**
 * `neurobridge spikes eval|generate|interpret` as functions on a folder written by
 * `spikes train`: each loads the run and its datasets, computes, writes its outputs and
 * returns what the CLI prints.
 */
import { basename, join } from 'node:path';
import { withAtomicPath, writeFileAtomic } from '../core/atomic.js';
import { UsageError } from '../core/errors.js';
import { NpyStreamWriter, writeNpy } from '../io/npy.js';
import { binaryRasterSvg } from '../report/raster-svg.js';
import { runAblations, type AblationResult } from '../pipelines/spikes/analysis/ablation.js';
import { loadDataset } from '../pipelines/spikes/data/dataset.js';
import { datasetSpec, loadManifest } from '../pipelines/spikes/data/manifest.js';
import type { UnitAlignment } from '../pipelines/spikes/transfer/alignment.js';
import { fitGlmBaselines } from '../pipelines/spikes/baselines/glm-baselines.js';
import {
  DEFAULT_TRANSFER,
  scoreTransfer,
  type TransferCalibration,
  type TransferScores,
} from '../pipelines/spikes/transfer/transfer.js';
import {
  needsCalibration,
  scoreOnTarget,
  sourceCalibration,
} from '../pipelines/spikes/model/experiment.js';
import { generateSpikes } from '../pipelines/spikes/model/generate.js';
import {
  compareGenerated,
  type GenerationComparison,
} from '../pipelines/spikes/analysis/generation-stats.js';
import { interpretWindow, type Interpretation } from '../pipelines/spikes/analysis/interpret.js';
import { fitMultiScaleGlm } from '../pipelines/spikes/baselines/multiscale-glm.js';
import { curvesOf, truthAndPrediction } from '../pipelines/spikes/analysis/probes.js';
import { rasterToSpikeTrains, sliceBins } from '../pipelines/spikes/data/raster.js';
import { fitOutputStack, stacksWithGlms } from '../pipelines/spikes/baselines/stack.js';
import { writeAlf, writeNwb } from '../io/spikes/writers.js';
import { loadTrainedRun } from '../pipelines/spikes/model/trained-run.js';

/** Scores a run one step ahead on `target`'s test split; writes eval-<target>.json and a raster. */
export async function evaluateRun(
  o: {
    run: string;
    target: string;
    out?: string;
    alignment?: UnitAlignment;
    calibration?: TransferCalibration;
  },
  log: (line: string) => void = () => {},
): Promise<{ scores: TransferScores; files: { results: string; raster: string } }> {
  const run = loadTrainedRun(o.run);
  const out = o.out || o.run;
  log(`preparing ${run.dataset} and ${o.target} ...`);
  const manifest = loadManifest(run.manifest);
  const source = await loadDataset(datasetSpec(manifest, run.dataset));
  const target =
    o.target === run.dataset ? source : await loadDataset(datasetSpec(manifest, o.target));
  log('scoring the transformer and the baselines ...');
  // The run's output as `spikes train` scored it: GLMs fitted on the source, the default
  // model stacked with them, Dice/focal scores Platt-scaled.
  const baselines = fitGlmBaselines(source.splits.train);
  const stack = stacksWithGlms(run.config)
    ? fitOutputStack({ model: run.model, ...baselines }, source.splits)
    : undefined;
  const platt = needsCalibration(run.config.loss);
  const { scores, probabilities, labels } =
    o.target === run.dataset
      ? scoreOnTarget(run.model, source.splits, target.splits, {
          calibration: platt,
          ...baselines,
          stack,
        })
      : scoreTransfer(run.model, source.splits, target.splits, {
          ...baselines,
          platt: platt && sourceCalibration(run.model, source.splits),
          stack,
          settings: {
            alignment: o.alignment ?? DEFAULT_TRANSFER.alignment,
            calibration: o.calibration ?? DEFAULT_TRANSFER.calibration,
            seed: 0,
          },
        });
  const curves = curvesOf(probabilities, labels, 500);
  const results = join(out, `eval-${o.target}.json`);
  writeFileAtomic(
    results,
    JSON.stringify({ source: run.dataset, target: o.target, ...scores, curves }, null, 2),
  );
  const threshold = scores.transformer.thresholds.rateMatched.threshold;
  const units = target.splits.test.units;
  const { truth, predicted } = truthAndPrediction(probabilities, labels, units, threshold);
  const raster = join(out, `eval-${o.target}-raster.svg`);
  writeFileAtomic(
    raster,
    binaryRasterSvg([
      { label: `true spikes, ${o.target} test split (first ${truth.bins} bins)`, raster: truth },
      {
        label: `predicted one step ahead (rate-matched threshold ${threshold.toExponential(2)})`,
        raster: predicted,
      },
    ]),
  );
  return { scores, files: { results, raster } };
}

export interface GenerateOptions {
  run: string;
  /** Dataset whose test split supplies the seed window (default: the training dataset). */
  dataset?: string;
  seedBins: number;
  bins: number;
  seed: number;
  /** Also sample the multi-scale GLM and compare both with the observed continuation. */
  compare: boolean;
  /**
   * SVG raster; beside it the samples as `.npy` (bins × units), NWB (`.nwb`, `/units`) and
   * ALF (`-alf/`), and with `compare` the `.json`.
   */
  out: string;
}

export async function generateFromRun(o: GenerateOptions): Promise<{
  bins: number;
  units: number;
  comparison: GenerationComparison | null;
  files: { raster: string; npy: string; nwb: string; alf: string; comparison: string | null };
}> {
  const run = loadTrainedRun(o.run);
  const data = await loadDataset(datasetSpec(loadManifest(run.manifest), o.dataset ?? run.dataset));
  const seedBins = Math.min(o.seedBins, data.splits.test.bins);
  const seedWindow = sliceBins(data.splits.test, 0, seedBins);
  const generated = generateSpikes(run.model, seedWindow, o.bins, o.seed);
  writeFileAtomic(
    o.out,
    binaryRasterSvg([
      { label: `observed seed window (${seedBins} bins)`, raster: seedWindow },
      { label: `generated (${generated.bins} bins, free-running)`, raster: generated },
    ]),
  );
  const stem = o.out.replace(/\.svg$/, '');
  const npy = `${stem}.npy`;
  await writeNpy(npy, generated.data, { shape: [generated.bins, generated.units] });
  // The same samples as spike trains other tools read (time 0 = the first generated bin).
  const trains = rasterToSpikeTrains(generated, data.meta.binS, data.meta.unitIds, o.out);
  const nwb = await writeNwb(
    `${stem}.nwb`,
    trains,
    `free-running samples of a neurobridge model trained on ${run.dataset}, seeded with ${seedBins} bins of ${o.dataset ?? run.dataset}'s test split`,
  );
  const alf = await writeAlf(`${stem}-alf`, trains);
  let comparison: GenerationComparison | null = null;
  let json: string | null = null;
  if (o.compare) {
    const observed = sliceBins(
      data.splits.test,
      seedBins,
      Math.min(data.splits.test.bins, seedBins + generated.bins),
    );
    const source = await loadDataset(datasetSpec(loadManifest(run.manifest), run.dataset));
    const glm = fitMultiScaleGlm(source.splits.train);
    comparison = compareGenerated(observed, {
      transformer: sliceBins(generated, 0, observed.bins),
      'multi-scale GLM': glm.sample(seedWindow, observed.bins, o.seed),
    });
    json = `${stem}.json`;
    writeFileAtomic(json, JSON.stringify(comparison, null, 2));
  }
  return {
    bins: generated.bins,
    units: generated.units,
    comparison,
    files: { raster: o.out, npy, nwb, alf, comparison: json },
  };
}

export interface InterpretOptions {
  run: string;
  /** Dataset whose test split is probed (default: the training dataset). */
  dataset?: string;
  /** First bin of the probed window in the test split. */
  start: number;
  /** Test bins sampled for the ablations. */
  ablationBins: number;
  /** JSON output. */
  out: string;
}

export async function interpretRun(
  o: InterpretOptions,
): Promise<{ interpretation: Interpretation; ablations: AblationResult }> {
  const run = loadTrainedRun(o.run);
  const data = await loadDataset(datasetSpec(loadManifest(run.manifest), o.dataset ?? run.dataset));
  const T = Math.min(run.config.model.context, data.splits.test.bins - o.start - 1);
  if (T < 1)
    throw new UsageError(
      `--start: expected a bin before ${data.splits.test.bins - 1} (the test split of ${data.spec.id} has ${data.splits.test.bins} bins), got ${o.start}`,
    );
  const x = interpretWindow(run.model, data.splits.test, o.start, T, run.config.loss);
  const ablations = runAblations(run.model, data.splits.test, data.splits.val, {
    bins: o.ablationBins,
  });
  // The T×T maps go to .npy files beside the JSON: at the paper's context (3,125 bins,
  // 16 heads) they hold ~170 M numbers, past what one JSON string can hold in V8.
  const stem = o.out.replace(/\.json$/i, '');
  const maps = {
    attention: `${stem}.attention.npy`,
    attentionPerHead: `${stem}.attention-per-head.npy`,
    awi: `${stem}.awi.npy`,
  };
  await writeNpy(maps.attention, x.attention, { shape: [T, T] });
  await withAtomicPath(maps.attentionPerHead, (tmp) => {
    const w = new NpyStreamWriter(tmp, 'f4', [x.heads, T, T]);
    for (const head of x.attentionPerHead) w.append(head);
    w.close();
  });
  await writeNpy(maps.awi, x.awi, { shape: [T, T] });
  writeFileAtomic(
    o.out,
    JSON.stringify({
      run: o.run,
      dataset: data.spec.id,
      window: { start: o.start, bins: T },
      heads: x.heads,
      /** File names beside this JSON: mean attention [T, T], per head [heads, T, T], AWI [T, T]. */
      maps: Object.fromEntries(Object.entries(maps).map(([k, f]) => [k, basename(f)])),
      gradientImportance: Array.from(x.gradientImportance),
      attentionByOffset: Array.from(x.attentionByOffset),
      inputActivity: Array.from(x.inputActivity),
      correlations: x.correlations,
      ablations,
    }),
  );
  return { interpretation: x, ablations };
}
