import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareGenerated } from '../../src/pipelines/spikes/analysis/generation-stats.js';
import {
  MultiScaleGlm,
  fitMultiScaleGlm,
} from '../../src/pipelines/spikes/baselines/multiscale-glm.js';
import { sliceBins } from '../../src/pipelines/spikes/data/raster.js';
import { Rng } from '../../src/core/random.js';

/** 6 units at ~5 Hz plus `bursts` planted population bursts (every unit fires for 20 ms). */
function withBursts(bins: number, bursts: number, seed: number) {
  const rng = new Rng(seed);
  const U = 6;
  const data = new Uint8Array(bins * U);
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform() < 0.005 ? 1 : 0;
  for (let b = 0; b < bursts; b++) {
    const start = Math.floor(((b + 0.5) * bins) / bursts / 10) * 10; // aligned to 10 ms bins
    for (let t = start; t < start + 20; t += 2) for (let u = 0; u < U; u++) data[t * U + u] = 1;
  }
  return { bins, units: U, data };
}

test('a sample identical to the observed bins matches it exactly; planted bursts are counted', () => {
  const observed = withBursts(20_000, 8, 1);
  const c = compareGenerated(observed, { copy: observed });
  const s = c.samples.copy;
  assert.equal(s.rateCorrelation, 1);
  assert.equal(s.isiKs, 0);
  assert.ok(Math.abs(s.pairwiseCorrelationMatch - 1) < 1e-12);
  assert.equal(c.observed.burstsPerSecond, 8 / 20, '8 planted bursts in 20 s');
  assert.ok(c.observed.meanBurstSpikes >= 60, 'each burst: 6 units × 10 spikes');
  const quiet = withBursts(20_000, 0, 2);
  assert.ok(compareGenerated(observed, { quiet }).samples.quiet.burstsPerSecond < 0.1);
});

test('GLM samples keep a refractory period the GLM encodes and the rates it was fitted on', () => {
  // A unit that never fires in two consecutive bins: lag-1 own weight −30.
  const refractory = new MultiScaleGlm(
    { maxLag: 4, l2: 1, maxIterations: 10 },
    1,
    [Float64Array.from([-30, 0, 0, 0])],
    Float64Array.from([0]),
  );
  const seed = { bins: 1, units: 1, data: Uint8Array.from([0]) };
  const s = refractory.sample(seed, 5000, 3);
  let spikes = 0;
  for (let t = 0; t < s.bins; t++) {
    spikes += s.data[t];
    if (t > 0) assert.ok(!(s.data[t] && s.data[t - 1]), `two spikes in a row at ${t}`);
  }
  assert.ok(
    Math.abs(spikes / 5000 - 1 / 3) < 0.03,
    `alternating p = ½ with refractoriness: ${spikes}`,
  );
  // Fitted on data, its free-running rate is near the data's.
  const data = withBursts(30_000, 0, 4);
  const glm = fitMultiScaleGlm(sliceBins(data, 0, 20_000), { maxLag: 16 });
  const sample = glm.sample(sliceBins(data, 19_900, 20_000), 10_000, 5);
  const c = compareGenerated(sliceBins(data, 20_000, 30_000), { glm: sample });
  const ratio = c.samples.glm.meanRateHz / c.observed.meanRateHz;
  assert.ok(ratio > 0.85 && ratio < 1.15, `rate ratio ${ratio}`);
});
