import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, manualSeed, noGrad, tidy } from '../../src/engine/index.js';
import { PAPER_MODEL, SpikeTransformer } from '../../src/models/spike-transformer.js';

const small = {
  ...PAPER_MODEL,
  units: 6,
  dModel: 16,
  heads: 4,
  feedforward: 16,
  context: 32,
  dropout: 0,
};

function randomSpikes(T: number, units: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: T * units }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 16) % 5 === 0 ? 1 : 0;
  });
}

test('causality: changing inputs at bins ≥ t leaves the predictions for bins ≤ t unchanged', () => {
  manualSeed(0);
  const model = new SpikeTransformer(small).eval();
  const T = 20;
  const x = randomSpikes(T, 6, 1);
  const t = 11;
  const y = [...x];
  for (let i = t * 6; i < T * 6; i++) y[i] = 1 - y[i]; // flip every bin from t on
  const [a, b] = tidy(() =>
    noGrad(() =>
      [x, y].map((d) => model.forward(Tensor.from(d, [1, T, 6])).logits.toArray() as Float32Array),
    ),
  );
  // Position p predicts bin p+1 from bins ≤ p: positions < t see identical inputs.
  for (let i = 0; i < t * 6; i++) assert.equal(a[i], b[i], `position ${Math.floor(i / 6)} changed`);
  let changed = 0;
  for (let i = t * 6; i < T * 6; i++) if (a[i] !== b[i]) changed++;
  assert.ok(changed > 0, 'later positions do react to the change');
});

test('leaky mode (released code) lets a position see its own and future bins', () => {
  manualSeed(0);
  const model = new SpikeTransformer({ ...small, leaky: true }).eval();
  const T = 12;
  const x = randomSpikes(T, 6, 2);
  const y = [...x];
  y[(T - 1) * 6] = 1 - y[(T - 1) * 6]; // change only the last bin
  const [a, b] = tidy(() =>
    noGrad(() =>
      [x, y].map((d) => model.forward(Tensor.from(d, [1, T, 6])).logits.toArray() as Float32Array),
    ),
  );
  assert.notEqual(a[0], b[0], 'without the mask, position 0 sees the last bin');
});

test('attention weights are returned per layer, causal rows sum to one', () => {
  const model = new SpikeTransformer({ ...small, layers: 2 }).eval();
  tidy(() =>
    noGrad(() => {
      const r = model.forward(Tensor.from(randomSpikes(8, 6, 3), [1, 8, 6]), { needWeights: true });
      assert.equal(r.attention.length, 2);
      assert.deepEqual(r.attention[0].shape, [1, 4, 8, 8]);
      const w = r.attention[0].toArray() as Float32Array;
      for (let i = 0; i < 8; i++) {
        let row = 0;
        for (let j = 0; j < 8; j++) {
          if (j > i) assert.equal(w[i * 8 + j], 0);
          row += w[i * 8 + j];
        }
        assert.ok(Math.abs(row - 1) < 1e-5);
      }
    }),
  );
});

test('the model rejects inputs longer than its context', () => {
  const model = new SpikeTransformer(small);
  assert.throws(
    () => tidy(() => model.forward(Tensor.from(new Float32Array(40 * 6), [1, 40, 6]))),
    /40 bins exceeds the model's context 32/,
  );
});

test('lastLogits equals the last row of the full forward pass (positions, depth, norms, GLM path, attention off)', () => {
  const variants = [
    {},
    { positional: 'rotary' as const },
    { positional: 'alibi' as const },
    { positional: 'none' as const, normFirst: true },
    { layers: 2 },
    { history: 8 },
    { leaky: true },
  ];
  const T = 23;
  for (const [n, v] of variants.entries()) {
    manualSeed(n);
    const model = new SpikeTransformer({ ...small, ...v }).eval();
    // A GLM path starts with a zero head; give the head weights so both paths count.
    for (const p of model.head.parameters()) p.normal_(0, 0.3);
    for (const disableAttention of [false, true]) {
      if (disableAttention && v.leaky) continue;
      const [full, last] = tidy(() =>
        noGrad(() => {
          const x = Tensor.from(randomSpikes(3 * T, 6, 7 + n), [3, T, 6]);
          return [
            model
              .forward(x, { disableAttention })
              .logits.select(1, T - 1)
              .toArray(),
            model.lastLogits(x, { disableAttention }).squeeze(1).toArray(),
          ] as Float32Array[];
        }),
      );
      assert.equal(last.length, full.length);
      for (let i = 0; i < full.length; i++)
        assert.ok(
          Math.abs(full[i] - last[i]) < 1e-5,
          `variant ${JSON.stringify(v)} attention off ${disableAttention}: logit ${i} ${last[i]} vs ${full[i]}`,
        );
    }
  }
});
