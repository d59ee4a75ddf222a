import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, manualSeed, noGrad, tidy } from '../../src/engine/index.js';
import { PAPER_MODEL, SpikeTransformer } from '../../src/models/spike-transformer.js';
import { predictOneStepAhead } from '../../src/pipelines/spikes/model/predict.js';
import { concatBins, sliceBins } from '../../src/pipelines/spikes/data/raster.js';
import { cascadeRaster } from './fixtures.js';

const config = {
  ...PAPER_MODEL,
  units: 5,
  dModel: 16,
  heads: 4,
  feedforward: 16,
  context: 16,
  dropout: 0,
};

/** The model's P(spike at bin g) from the observed window [s, g), computed directly. */
function direct(
  model: SpikeTransformer,
  data: Uint8Array,
  units: number,
  s: number,
  g: number,
): number[] {
  return tidy(() =>
    noGrad(() => {
      const x = Tensor.from(data.subarray(s * units, g * units), [1, g - s, units], 'uint8').to(
        'float32',
      );
      return model
        .forward(x)
        .logits.select(1, g - s - 1)
        .sigmoid()
        .toNumbers();
    }),
  );
}

test('every test bin is predicted once, from ≥ context/2 observed past bins within the context', () => {
  manualSeed(0);
  const model = new SpikeTransformer(config).eval();
  const all = cascadeRaster(70, 5, 1);
  const history = sliceBins(all, 0, 30);
  const target = sliceBins(all, 30, 70);
  const r = predictOneStepAhead(model, target, { context: 16, history, batchSize: 3 });
  assert.equal(r.firstScoredBin, 0);
  assert.equal(r.probabilities.length, 40 * 5);
  assert.ok(r.minimumPast >= 8, `minimum past ${r.minimumPast}`);
  // Brute force: bin g's prediction must equal the model run on some window [s, g) whose
  // start is a multiple of 8 in the concatenated recording, with 8 ≤ g − s ≤ 16.
  const full = concatBins(sliceBins(history, 30 - 16, 30), target);
  for (let j = 0; j < 40; j++) {
    const g = j + 16;
    const got = Array.from(r.probabilities.subarray(j * 5, j * 5 + 5));
    const candidates = [];
    for (let s = 0; s < g; s += 8) if (g - s >= 8 && g - s <= 16) candidates.push(s);
    const match = candidates.some((s) =>
      direct(model, full.data, 5, s, g).every((p, u) => Math.abs(p - got[u]) < 1e-6),
    );
    assert.ok(match, `bin ${j}: no window of 8–16 past bins reproduces the prediction`);
  }
});

test('without history bin 0 is not scored and the context covers everything when it is long', () => {
  manualSeed(1);
  const model = new SpikeTransformer({ ...config, context: 64 }).eval();
  const target = cascadeRaster(40, 5, 2);
  const r = predictOneStepAhead(model, target, { context: 64 });
  assert.equal(r.firstScoredBin, 1);
  assert.equal(r.probabilities.length, 39 * 5);
  // One window covers the split: bin g is predicted from bins [0, g).
  for (const g of [1, 7, 39]) {
    const ref = direct(model, target.data, 5, 0, g);
    ref.forEach((p, u) => assert.ok(Math.abs(p - r.probabilities[(g - 1) * 5 + u]) < 1e-6));
  }
});
