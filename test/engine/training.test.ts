import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Adam,
  AdamW,
  F,
  Linear,
  LSTM,
  Module,
  Tensor,
  clipGradNorm,
  manualSeed,
  noGrad,
  tidy,
  zeros,
} from '../../src/engine/index.js';

class Mlp extends Module {
  readonly l1 = this.registerModule('l1', new Linear(2, 8));
  readonly l2 = this.registerModule('l2', new Linear(8, 1));
  forward(x: Tensor): Tensor {
    return this.l2.forward(this.l1.forward(x).tanh());
  }
}

test('a small MLP learns XOR', () => {
  manualSeed(0);
  const net = new Mlp();
  const opt = new Adam(net.parameters(), { lr: 0.05 });
  const x = Tensor.from([0, 0, 0, 1, 1, 0, 1, 1], [4, 2]);
  const y = Tensor.from([0, 1, 1, 0], [4, 1]);
  let loss = Infinity;
  for (let step = 0; step < 500; step++) {
    loss = tidy(() => {
      opt.zeroGrad();
      const l = F.bceWithLogits(net.forward(x), y);
      l.backward();
      opt.step();
      return l.item();
    });
  }
  const pred = tidy(() => noGrad(() => net.forward(x).sigmoid().toNumbers()));
  assert.ok(loss < 0.05, `final loss ${loss}`);
  assert.deepEqual(
    pred.map((p) => (p > 0.5 ? 1 : 0)),
    [0, 1, 1, 0],
  );
});

test('an LSTM learns to report the first element of a sequence at its end', () => {
  // Task: sequences of ±1; target = the sign of the first step. Needs memory across 8 steps.
  manualSeed(1);
  const lstm = new LSTM(1, 16, { batchFirst: true });
  const head = new Linear(16, 1);
  const opt = new Adam([...lstm.parameters(), ...head.parameters()], { lr: 0.02 });
  const batch = (seed: number) => {
    let s = seed;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let b = 0; b < 32; b++) {
      for (let t = 0; t < 8; t++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        xs.push(s & 1 ? 1 : -1);
      }
      ys.push(xs[b * 8] > 0 ? 1 : 0);
    }
    return { x: Tensor.from(xs, [32, 8, 1]), y: Tensor.from(ys, [32, 1]) };
  };
  for (let step = 0; step < 300; step++) {
    tidy(() => {
      const { x, y } = batch(step + 1);
      opt.zeroGrad();
      const { output } = lstm.forward(x);
      const loss = F.bceWithLogits(head.forward(output.select(1, 7)), y);
      loss.backward();
      clipGradNorm([...lstm.parameters(), ...head.parameters()], 1.0);
      opt.step();
    });
  }
  const accuracy = tidy(() =>
    noGrad(() => {
      lstm.eval();
      const { x, y } = batch(123456);
      const p = head.forward(lstm.forward(x).output.select(1, 7)).gt(0).to('float32');
      return p.eq(y).to('float32').mean().item();
    }),
  );
  assert.ok(accuracy > 0.95, `held-out accuracy ${accuracy}`);
});

test('bidirectional LSTM parameters and output shapes follow torch.nn.LSTM', () => {
  const lstm = new LSTM(5, 7, { numLayers: 2, bidirectional: true, batchFirst: true });
  assert.deepEqual(
    lstm
      .namedParameters()
      .map(([n, t]) => `${n}:${t.shape.join('x')}`)
      .slice(0, 8),
    [
      'weight_ih_l0:28x5',
      'weight_hh_l0:28x7',
      'bias_ih_l0:28',
      'bias_hh_l0:28',
      'weight_ih_l0_reverse:28x5',
      'weight_hh_l0_reverse:28x7',
      'bias_ih_l0_reverse:28',
      'bias_hh_l0_reverse:28',
    ],
  );
  assert.equal(lstm.namedParameters()[8][1].shape[1], 14, 'layer 1 reads both directions');
  tidy(() => {
    const r = lstm.forward(zeros([3, 4, 5]));
    assert.deepEqual(r.output.shape, [3, 4, 14]);
    assert.deepEqual(r.h.shape, [4, 3, 7]);
  });
});

test('Adam and AdamW steps equal the update rule computed by hand', () => {
  for (const [Opt, decoupled] of [
    [Adam, false],
    [AdamW, true],
  ] as const) {
    const p = Tensor.from([1.0, -2.0], [2], 'float64').requiresGrad_();
    const opt = new Opt([p], { lr: 0.1, betas: [0.9, 0.99], eps: 1e-8, weightDecay: 0.05 });
    let [x0, x1] = [1.0, -2.0];
    const m = [0, 0];
    const v = [0, 0];
    for (let step = 1; step <= 3; step++) {
      tidy(() => {
        opt.zeroGrad();
        p.pow(2).sum().mul(0.5).backward(); // gradient = p
        opt.step();
      });
      const x = [x0, x1];
      const next = x.map((xi, i) => {
        let g = xi;
        let xv = xi;
        if (decoupled) xv = xi * (1 - 0.1 * 0.05);
        else g = g + 0.05 * xi;
        m[i] = 0.9 * m[i] + 0.1 * g;
        v[i] = 0.99 * v[i] + 0.01 * g * g;
        const mh = m[i] / (1 - 0.9 ** step);
        const vh = v[i] / (1 - 0.99 ** step);
        return xv - (0.1 * mh) / (Math.sqrt(vh) + 1e-8);
      });
      [x0, x1] = next;
    }
    const got = p.toNumbers();
    assert.ok(
      Math.abs(got[0] - x0) < 1e-12 && Math.abs(got[1] - x1) < 1e-12,
      `${Opt.name}: ${got} vs ${[x0, x1]}`,
    );
  }
});

test('AdamW with lrScales steps each parameter at its own rate (decay included), by hand', () => {
  const a = Tensor.from([1.5], [1], 'float64').requiresGrad_();
  const b = Tensor.from([-2.0], [1], 'float64').requiresGrad_();
  const scales = [1, 0.25];
  const opt = new AdamW([a, b], { lr: 0.1, weightDecay: 0.05, lrScales: scales });
  const x = [1.5, -2.0];
  const m = [0, 0];
  const v = [0, 0];
  for (let step = 1; step <= 4; step++) {
    tidy(() => {
      opt.zeroGrad();
      a.pow(2).sum().add(b.pow(2).sum()).mul(0.5).backward(); // gradients = a, b
      opt.step();
    });
    for (let i = 0; i < 2; i++) {
      const lr = 0.1 * scales[i];
      const g = x[i];
      m[i] = 0.9 * m[i] + 0.1 * g;
      v[i] = 0.999 * v[i] + 0.001 * g * g;
      const mh = m[i] / (1 - 0.9 ** step);
      const vh = v[i] / (1 - 0.999 ** step);
      x[i] = x[i] * (1 - lr * 0.05) - (lr * mh) / (Math.sqrt(vh) + 1e-8);
    }
  }
  assert.ok(Math.abs(a.toNumbers()[0] - x[0]) < 1e-12, `${a.toNumbers()} vs ${x[0]}`);
  assert.ok(Math.abs(b.toNumbers()[0] - x[1]) < 1e-12, `${b.toNumbers()} vs ${x[1]}`);
  assert.throws(() => new AdamW([a, b], { lrScales: [1] }), /lrScales/);
});

test('clipGradNorm rescales to the requested joint norm and returns the original', () => {
  const a = Tensor.from([3, 0], [2], 'float64').requiresGrad_();
  const b = Tensor.from([0, 4], [2], 'float64').requiresGrad_();
  tidy(() =>
    a
      .mul(Tensor.from([1, 0], [2], 'float64'))
      .sum()
      .mul(3)
      .add(
        b
          .mul(Tensor.from([0, 1], [2], 'float64'))
          .sum()
          .mul(4),
      )
      .backward(),
  );
  const before = clipGradNorm([a, b], 1);
  assert.ok(Math.abs(before - 5) < 1e-12);
  const g = tidy(() => [...a.grad!.toNumbers(), ...b.grad!.toNumbers()]);
  assert.ok(Math.abs(Math.hypot(...g) - 1) < 1e-5);
});

test('train/eval mode reaches sub-modules and switches dropout', () => {
  const net = new Mlp();
  net.eval();
  assert.equal(net.l1.training, false);
  net.train();
  assert.equal(net.l2.training, true);
  assert.deepEqual(
    net.namedParameters().map(([n]) => n),
    ['l1.weight', 'l1.bias', 'l2.weight', 'l2.bias'],
  );
  assert.equal(net.parameterCount(), 2 * 8 + 8 + 8 + 1);
});

test('a fresh process gives the same initial weights without any manualSeed call', async () => {
  const { execFileSync } = await import('node:child_process');
  const engine = new URL('../../src/engine/index.js', import.meta.url).href;
  const script = `const e = await import(${JSON.stringify(engine)}); console.log(new e.Linear(3, 2).weight.toNumbers().join(','));`;
  const run = () =>
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(run(), run());
});
