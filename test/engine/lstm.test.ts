import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Tensor, tidy, zeros } from '../../src/engine/index.js';
import { gradcheck, values } from '../helpers/gradcheck.js';

// One layer, one direction, input 2, hidden 3, batch 1, 3 steps (time-major).
const [IN, H, T] = [2, 3, 3];
const wIh = values(4 * H * IN, 50, -0.5, 0.5);
const wHh = values(4 * H * H, 51, -0.5, 0.5);
const bIh = values(4 * H, 52, -0.2, 0.2);
const bHh = values(4 * H, 53, -0.2, 0.2);
const xs = values(T * IN, 54);
const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** The LSTM equations (gate order i, f, g, o as in PyTorch), by hand. */
function reference(): { outputs: number[]; c: number[] } {
  let h = new Array(H).fill(0);
  let c = new Array(H).fill(0);
  const outputs: number[] = [];
  for (let t = 0; t < T; t++) {
    const gates = Array.from({ length: 4 * H }, (_, r) => {
      let z = bIh[r] + bHh[r];
      for (let k = 0; k < IN; k++) z += wIh[r * IN + k] * xs[t * IN + k];
      for (let k = 0; k < H; k++) z += wHh[r * H + k] * h[k];
      return z;
    });
    const i = gates.slice(0, H).map(sig);
    const f = gates.slice(H, 2 * H).map(sig);
    const g = gates.slice(2 * H, 3 * H).map(Math.tanh);
    const o = gates.slice(3 * H).map(sig);
    c = c.map((cv, k) => f[k] * cv + i[k] * g[k]);
    h = c.map((cv, k) => o[k] * Math.tanh(cv));
    outputs.push(...h);
  }
  return { outputs, c };
}

const run = (x: Tensor, params: Tensor[]) =>
  F.lstm({
    input: x,
    h0: zeros([1, 1, H], 'float64'),
    c0: zeros([1, 1, H], 'float64'),
    params,
    numLayers: 1,
    bidirectional: false,
    batchFirst: false,
    dropout: 0,
    training: false,
  });

test('fused LSTM forward equals the gate equations computed by hand', () => {
  const ref = reference();
  tidy(() => {
    const p = [
      Tensor.from(wIh, [4 * H, IN], 'float64'),
      Tensor.from(wHh, [4 * H, H], 'float64'),
      Tensor.from(bIh, [4 * H], 'float64'),
      Tensor.from(bHh, [4 * H], 'float64'),
    ];
    const r = run(Tensor.from(xs, [T, 1, IN], 'float64'), p);
    const out = r.output.toNumbers();
    ref.outputs.forEach((v, k) =>
      assert.ok(Math.abs(out[k] - v) < 1e-12, `output[${k}] ${out[k]} vs ${v}`),
    );
    r.c.toNumbers().forEach((v, k) => assert.ok(Math.abs(v - ref.c[k]) < 1e-12));
  });
});

test('fused LSTM gradients equal finite differences', () => {
  gradcheck('lstm', ([x, a, b, c, d]) => run(x, [a, b, c, d]).output.pow(2).sum(), [
    { data: xs, shape: [T, 1, IN] },
    { data: wIh, shape: [4 * H, IN] },
    { data: wHh, shape: [4 * H, H] },
    { data: bIh, shape: [4 * H] },
    { data: bHh, shape: [4 * H] },
  ]);
});

test('mse loss equals the mean squared difference', () => {
  const a = values(6, 60);
  const b = values(6, 61);
  const ref = a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / 6;
  tidy(() => {
    assert.ok(
      Math.abs(
        F.mseLoss(Tensor.from(a, [6], 'float64'), Tensor.from(b, [6], 'float64')).item() - ref,
      ) < 1e-15,
    );
  });
  gradcheck('mse', ([x]) => F.mseLoss(x, Tensor.from(b, [6], 'float64')), [
    { data: a, shape: [6] },
  ]);
});
