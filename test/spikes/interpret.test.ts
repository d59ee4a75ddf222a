import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, manualSeed, noGrad, tidy } from '../../src/engine/index.js';
import { PAPER_MODEL, SpikeTransformer } from '../../src/models/spike-transformer.js';
import { lossByName } from '../../src/models/losses.js';
import { interpretWindow } from '../../src/pipelines/spikes/analysis/interpret.js';
import { windowsToFloat } from '../../src/pipelines/spikes/data/raster.js';
import { cascadeRaster } from './fixtures.js';

const config = {
  ...PAPER_MODEL,
  units: 6,
  dModel: 16,
  heads: 4,
  feedforward: 16,
  context: 24,
  dropout: 0,
};

test('gradient importance equals central differences of the loss in the embedding', () => {
  manualSeed(2);
  const model = new SpikeTransformer(config).eval();
  const r = cascadeRaster(60, 6, 5, 7, 0.05);
  const T = 16;
  const result = interpretWindow(model, r, 3, T, 'bce');
  // Independent: perturb one embedding entry through the same hook and difference the loss.
  const lossAt = (j: number, k: number, delta: number) =>
    tidy(() =>
      noGrad(() => {
        const both = Tensor.from(windowsToFloat(r, [3], T + 1), [1, T + 1, 6]);
        const bump = new Float32Array(T * 16);
        bump[j * 16 + k] = delta;
        const out = model.forward(both.narrow(1, 0, T), {
          embeddedHook: (h) => h.add(Tensor.from(bump, [1, T, 16])),
        });
        return lossByName('bce')(out.logits, both.narrow(1, 1, T)).item();
      }),
    );
  for (const j of [0, 7, 15]) {
    let g = 0;
    for (let k = 0; k < 16; k++) g += Math.abs((lossAt(j, k, 1e-2) - lossAt(j, k, -1e-2)) / 2e-2);
    assert.ok(
      Math.abs(g - result.gradientImportance[j]) < 0.05 * Math.max(g, 1e-4),
      `bin ${j}: ${result.gradientImportance[j]} vs ${g}`,
    );
  }
});

test('attention maps are causal, rows sum to 1, and AWI and the offset profile follow from them', () => {
  manualSeed(3);
  const model = new SpikeTransformer(config).eval();
  const r = cascadeRaster(60, 6, 6, 7, 0.05);
  const T = 12;
  const x = interpretWindow(model, r, 0, T);
  assert.equal(x.attentionPerHead.length, 4);
  for (let i = 0; i < T; i++) {
    let row = 0;
    for (let j = 0; j < T; j++) {
      const a = x.attention[i * T + j];
      if (j > i) assert.equal(a, 0);
      row += a;
      assert.ok(Math.abs(x.awi[i * T + j] - a * x.gradientImportance[j]) < 1e-12);
    }
    assert.ok(Math.abs(row - 1) < 1e-5);
  }
  const diagonal =
    Array.from({ length: T }, (_, i) => x.attention[i * T + i]).reduce((s, v) => s + v, 0) / T;
  assert.ok(Math.abs(x.attentionByOffset[0] - diagonal) < 1e-6);
  assert.equal(x.attentionByOffset[T - 1], x.attention[(T - 1) * T]);
  for (const c of Object.values(x.correlations))
    assert.ok(c.p >= 0 && c.p <= 1 && Math.abs(c.r) <= 1);
});
