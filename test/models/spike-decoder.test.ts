import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Tensor,
  applyRotary,
  manualSeed,
  noGrad,
  rotaryTables,
  tidy,
} from '../../src/engine/index.js';
import {
  PAPER_MODEL,
  SpikeTransformer,
  type SpikeTransformerConfig,
} from '../../src/models/spike-transformer.js';
import { SpikeDecoder, supportsCachedDecoding } from '../../src/models/spike-decoder.js';
import { generateSpikes } from '../../src/pipelines/spikes/model/generate.js';
import { UsageError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/random.js';

const small: SpikeTransformerConfig = {
  ...PAPER_MODEL,
  units: 6,
  dModel: 16,
  heads: 4,
  feedforward: 16,
  context: 16,
  dropout: 0,
  positional: 'rotary',
  history: 8,
};

/** A model whose transformer and GLM path both matter (the head starts at zero with a GLM path). */
function model(config: SpikeTransformerConfig, seed: number): SpikeTransformer {
  manualSeed(seed);
  const m = new SpikeTransformer(config);
  for (const p of m.head.parameters()) p.normal_(0, 0.5);
  if (m.history) for (const p of m.history.parameters()) p.normal_(0, 0.3);
  return m.eval();
}

function spikes(bins: number, units: number, seed: number) {
  const rng = new Rng(seed);
  return {
    bins,
    units,
    data: Uint8Array.from({ length: bins * units }, () => (rng.uniform() < 0.2 ? 1 : 0)),
  };
}

/** The uncached model's next-bin probabilities after the last `context` bins of `data`. */
function windowProbabilities(m: SpikeTransformer, data: Uint8Array, bins: number): Float32Array {
  const U = m.config.units;
  const start = Math.max(0, bins - m.config.context);
  const length = bins - start;
  return tidy(() =>
    noGrad(
      () =>
        m
          .forward(
            Tensor.from(Float32Array.from(data.subarray(start * U, bins * U)), [1, length, U]),
          )
          .logits.select(1, length - 1)
          .sigmoid()
          .toArray() as Float32Array,
    ),
  );
}

test('rotary positions: a score depends on the distance between query and key only', () => {
  const q = Tensor.from(
    Float32Array.from({ length: 8 }, (_, i) => Math.sin(i + 1)),
    [1, 8],
  );
  const k = Tensor.from(
    Float32Array.from({ length: 8 }, (_, i) => Math.cos(2 * i)),
    [1, 8],
  );
  const score = (tq: number, tk: number) =>
    applyRotary(q, rotaryTables(tq, 1, 8))
      .mul(applyRotary(k, rotaryTables(tk, 1, 8)))
      .sum()
      .item();
  assert.ok(Math.abs(score(5, 2) - score(105, 102)) < 1e-4);
  assert.ok(Math.abs(score(5, 2) - score(5, 3)) > 1e-3, 'a different distance scores differently');
  // Position 0 is the identity rotation.
  assert.deepEqual(applyRotary(q, rotaryTables(0, 1, 8)).toArray(), q.toArray());
});

test('the cached decoder gives the uncached window its probabilities, also once the window slides', () => {
  for (const positional of ['rotary', 'alibi', 'none'] as const) {
    const m = model({ ...small, positional }, 3);
    const stream = spikes(40, 6, 5);
    const decoder = new SpikeDecoder(m);
    let p = decoder.prefill(stream.data.subarray(0, 10 * 6), 10);
    for (let t = 10; t <= 40; t++) {
      const reference = windowProbabilities(m, stream.data, t);
      for (let u = 0; u < 6; u++)
        assert.ok(Math.abs(p[u] - reference[u]) < 1e-5, `${positional}: bin ${t} unit ${u}`);
      if (t < 40) p = decoder.step(stream.data.subarray(t * 6, (t + 1) * 6));
    }
    decoder.dispose();
  }
});

test('cached generation draws the same spikes as uncached generation (same seed)', () => {
  for (const positional of ['rotary', 'alibi'] as const) {
    const m = model({ ...small, positional }, 4);
    const seedWindow = spikes(20, 6, 6);
    const cached = generateSpikes(m, seedWindow, 60, 9, { cache: true });
    const uncached = generateSpikes(m, seedWindow, 60, 9, { cache: false });
    assert.deepEqual(cached.data, uncached.data, positional);
    assert.ok(cached.data.some((v) => v === 1) && cached.data.some((v) => v === 0));
  }
});

test('learned positions or a deeper model cannot use the cache', () => {
  const learned = model({ ...small, positional: 'learned' }, 1);
  assert.equal(supportsCachedDecoding(learned), false);
  assert.throws(() => new SpikeDecoder(learned), UsageError);
  assert.throws(() => generateSpikes(learned, spikes(4, 6, 1), 2, 0, { cache: true }), UsageError);
  // Two layers: layer 2's cached keys would remember bins that left the window.
  assert.equal(supportsCachedDecoding(model({ ...small, layers: 2 }, 1)), false);
});
