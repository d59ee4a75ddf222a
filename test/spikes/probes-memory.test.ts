import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { liveTensors, manualSeed } from '../../src/engine/index.js';
import { Rng } from '../../src/core/random.js';
import { PAPER_MODEL, SpikeTransformer } from '../../src/models/spike-transformer.js';
import { MultiScaleGlm } from '../../src/pipelines/spikes/baselines/multiscale-glm.js';
import { probeModel } from '../../src/pipelines/spikes/analysis/probes.js';
import { sliceBins } from '../../src/pipelines/spikes/data/raster.js';
import { cascadeRaster } from './fixtures.js';

const MiB = 2 ** 20;
const statusBytes = (field: string) =>
  Number(
    new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))![1],
  ) * 1024;

test(
  'probeModel at context 1024 with 16 heads: peak RSS growth bounded, every tensor freed',
  { skip: !existsSync('/proc/self/clear_refs') && 'needs Linux /proc to read the peak RSS' },
  () => {
    // 16 heads over 1024 bins: one [16, T, T] float map is 64 MiB. The attention-disabled
    // ablation used to score its batch of 16 windows through a diagonal mask, allocating
    // [16 · 16, T, T] scores and their softmax (2 GiB); interpretation kept the graph of
    // the weights (4 maps) for its gradient and tidy copied every map into JS arrays.
    // Now: the weights (64 MiB), the scores while they are computed (64 MiB) and the JS
    // copies of the maps (≈ 80 MiB) are the largest things alive.
    manualSeed(5);
    const units = 8;
    const model = new SpikeTransformer({
      ...PAPER_MODEL,
      units,
      dModel: 16,
      heads: 16,
      feedforward: 16,
      context: 1024,
    }).eval();
    const all = cascadeRaster(2500, units, 6, 12, 0.02);
    const splits = {
      train: sliceBins(all, 0, 400),
      val: sliceBins(all, 400, 1400),
      test: sliceBins(all, 1400, 2500),
    };
    const labels = splits.test.data.subarray(units);
    const rng = new Rng(7);
    const scores = () => Float32Array.from(labels, (y) => y * 0.5 + rng.uniform() * 0.5);
    const glm = new MultiScaleGlm(
      { maxLag: 8, l2: 1, maxIterations: 0 },
      units,
      Array.from({ length: units }, () => new Float64Array(6)),
      new Float64Array(units).fill(-3),
    );
    const inputs = {
      model,
      loss: 'dice' as const,
      splits,
      probabilities: scores(),
      labels,
      baselineProbabilities: { rate: scores(), glm: scores(), coupledGlm: scores() },
      rateMatchedThreshold: 0.5,
      seed: 1,
      ablationBins: 16,
      glm,
      generationBins: 200,
    };
    const liveBefore = liveTensors();
    const rssBefore = statusBytes('VmRSS');
    writeFileSync('/proc/self/clear_refs', '5'); // resets VmHWM (the peak) to the current RSS
    const probes = probeModel(inputs);
    const grown = statusBytes('VmHWM') - rssBefore;
    assert.equal(liveTensors(), liveBefore, 'every tensor the probes create is freed');
    assert.ok(grown < 400 * MiB, `peak RSS grew by ${(grown / MiB).toFixed(0)} MiB`);
    // The probes ran in full: an interpretation of the whole context, 4 ablations, generation.
    assert.equal(probes.interpretation.window.bins, 1024);
    assert.equal(probes.interpretation.attentionPerHead.length, 16);
    assert.equal(probes.ablations.sampledBins, 16);
    assert.equal(probes.generation?.samples.transformer.bins, 200);
  },
);
