/**
 * Memory of the self-cell probes (probes.ts) at the paper's sizes: builds a paper-size
 * SpikeTransformer (random weights) and runs each probe stage on a dataset's test split,
 * printing after each stage the resident set (now and the stage's peak, from VmHWM, which is
 * reset before each stage through /proc/self/clear_refs) and the addon's live tensors.
 *
 *   nice -n 15 node dist/bench/probe-memory.js MANIFEST DATASET [stage ...] [--ablation-bins N]
 *     [--ablation-batch N] [--generation-bins N] [--cache DIR] [--positional learned|rotary|alibi]
 *
 * Stages: interpret, ablations, generation, probe (the whole probeModel, as a study runs it);
 * default: all four. Each line ends with the stage's wall time, so the bench also times a
 * paper-size probe; `--positional rotary` or `alibi` lets generation use the key/value cache (learned
 * positions re-run the 3,125-bin window per generated bin). Linux only (reads /proc/self/status).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveTensors, manualSeed } from '../src/engine/index.js';
import { Rng } from '../src/core/random.js';
import { PAPER_MODEL, SpikeTransformer } from '../src/models/spike-transformer.js';
import { runAblations } from '../src/pipelines/spikes/analysis/ablation.js';
import { loadDataset } from '../src/pipelines/spikes/data/dataset.js';
import { datasetSpec, loadManifest } from '../src/pipelines/spikes/data/manifest.js';
import { generateSpikes } from '../src/pipelines/spikes/model/generate.js';
import { interpretWindow } from '../src/pipelines/spikes/analysis/interpret.js';
import { MultiScaleGlm } from '../src/pipelines/spikes/baselines/multiscale-glm.js';
import { probeModel } from '../src/pipelines/spikes/analysis/probes.js';
import { sliceBins } from '../src/pipelines/spikes/data/raster.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const k = args.indexOf(name);
  if (k < 0) return fallback;
  const v = Number(args.splice(k, 2)[1]);
  return v;
};
const cacheFlag = args.indexOf('--cache');
const cache = cacheFlag >= 0 ? args.splice(cacheFlag, 2)[1] : join(tmpdir(), 'nb-probe-memory');
const positionalFlag = args.indexOf('--positional');
const positional = positionalFlag >= 0 ? args.splice(positionalFlag, 2)[1] : 'learned';
if (positional !== 'learned' && positional !== 'rotary' && positional !== 'alibi')
  throw new Error(`--positional: expected learned, rotary or alibi, got ${positional}`);
const ablationBins = flag('--ablation-bins', 1000);
const ablationBatch = flag('--ablation-batch', 16);
const generationBins = flag('--generation-bins', 3000);
const [manifest, dataset, ...stageArgs] = args;
const stages = stageArgs.length ? stageArgs : ['interpret', 'ablations', 'generation', 'probe'];

const GiB = 2 ** 30;
function statusKiB(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync('/proc/self/status', 'utf8'),
  );
  return m ? Number(m[1]) : NaN;
}
function resetPeak(): void {
  writeFileSync('/proc/self/clear_refs', '5'); // 5: reset the peak resident set (VmHWM)
}
function report(stage: string, started: number): void {
  const peak = (statusKiB('VmHWM') * 1024) / GiB;
  const rss = process.memoryUsage().rss / GiB;
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${stage.padEnd(12)} rss ${rss.toFixed(2)} GiB  peak ${peak.toFixed(2)} GiB  live tensors ${liveTensors()}  ${seconds.toFixed(0)} s`,
  );
}
function stage(name: string, run: () => unknown): void {
  if (!stages.includes(name)) return;
  resetPeak();
  const started = performance.now();
  run();
  report(name, started);
}

const setupStarted = performance.now();
const data = await loadDataset(datasetSpec(loadManifest(manifest), dataset), cache);
const { test, val } = data.splits;
manualSeed(0);
const model = new SpikeTransformer({ ...PAPER_MODEL, units: test.units, positional }).eval();
console.log(
  `${dataset}: test ${test.bins} bins × ${test.units} units; model context ${model.config.context}, ${model.config.heads} heads, d ${model.config.dModel}, ${positional} positions`,
);
report('setup', setupStarted);
const T = Math.min(model.config.context, test.bins - 1);
// A multi-scale GLM with small random weights: only its sampling runs here.
const rng = new Rng(1);
const glm = new MultiScaleGlm(
  { maxLag: 64, l2: 1, maxIterations: 0 },
  test.units,
  Array.from({ length: test.units }, () =>
    Float64Array.from({ length: 14 }, () => rng.normal() * 0.01),
  ),
  new Float64Array(test.units).fill(-4),
);

stage('interpret', () => interpretWindow(model, test, 0, T, 'dice'));
stage('ablations', () =>
  runAblations(model, test, val, { bins: ablationBins, seed: 0, batchSize: ablationBatch }),
);
stage('generation', () => {
  const seedBins = Math.min(model.config.context, Math.floor(test.bins / 2));
  const seedWindow = sliceBins(test, 0, seedBins);
  generateSpikes(model, seedWindow, generationBins, 0);
  glm.sample(seedWindow, generationBins, 0);
});
stage('probe', () => {
  // Scores stand in for the model's: only the probes' memory is measured here.
  const labels = test.data.subarray(test.units);
  const scores = () => Float32Array.from(labels, () => rng.uniform() * 0.1);
  probeModel({
    model,
    loss: 'dice',
    splits: data.splits,
    probabilities: scores(),
    labels,
    baselineProbabilities: { rate: scores(), glm: scores(), coupledGlm: scores() },
    rateMatchedThreshold: 0.09,
    seed: 0,
    ablationBins,
    glm,
    generationBins,
  });
});
