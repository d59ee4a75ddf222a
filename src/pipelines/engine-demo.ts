/**
 * The engine demo: two small learning problems that exercise the whole stack (autograd,
 * Adam, the fused LSTM, scopes). It stands in for `neurobridge demo` until the spike
 * pipeline has its own.
 */
import {
  Adam,
  F,
  LSTM,
  Linear,
  Module,
  Tensor,
  clipGradNorm,
  manualSeed,
  noGrad,
  tidy,
} from '../engine/index.js';

export interface EngineDemoProgress {
  task: string;
  step: number;
  total: number;
  loss: number;
}
export interface EngineDemoResult {
  xorLoss: number;
  xorPredictions: number[];
  lstmAccuracy: number;
  seconds: number;
}

class Mlp extends Module {
  readonly l1 = this.registerModule('l1', new Linear(2, 8));
  readonly l2 = this.registerModule('l2', new Linear(8, 1));
  forward(x: Tensor): Tensor {
    return this.l2.forward(this.l1.forward(x).tanh());
  }
}

export function runEngineDemo(
  seed: number,
  report: (p: EngineDemoProgress) => void,
): EngineDemoResult {
  const started = Date.now();
  manualSeed(seed);
  const mlp = new Mlp();
  const opt = new Adam(mlp.parameters(), { lr: 0.05 });
  const x = Tensor.from([0, 0, 0, 1, 1, 0, 1, 1], [4, 2]);
  const y = Tensor.from([0, 1, 1, 0], [4, 1]);
  let xorLoss = NaN;
  for (let step = 1; step <= 500; step++) {
    xorLoss = tidy(() => {
      opt.zeroGrad();
      const loss = F.bceWithLogits(mlp.forward(x), y);
      loss.backward();
      opt.step();
      return loss.item();
    });
    if (step % 50 === 0) report({ task: 'xor', step, total: 500, loss: xorLoss });
  }
  const xorPredictions = tidy(() => noGrad(() => mlp.forward(x).sigmoid().toNumbers()));

  // Remember the sign of the first of 16 steps: needs the LSTM's memory.
  const lstm = new LSTM(1, 32, { batchFirst: true });
  const head = new Linear(32, 1);
  const params = [...lstm.parameters(), ...head.parameters()];
  const lstmOpt = new Adam(params, { lr: 0.01 });
  const batch = (s: number) => {
    const xs = Array.from({ length: 64 * 16 }, (_, i) =>
      ((Math.imul(i + 1, 2654435761) ^ Math.imul(s, 40503)) >>> 7) & 1 ? 1 : -1,
    );
    const ys = Array.from({ length: 64 }, (_, b) => (xs[b * 16] > 0 ? 1 : 0));
    return { x: Tensor.from(xs, [64, 16, 1]), y: Tensor.from(ys, [64, 1]) };
  };
  for (let step = 1; step <= 300; step++) {
    const loss = tidy(() => {
      const b = batch(step);
      lstmOpt.zeroGrad();
      const l = F.bceWithLogits(head.forward(lstm.forward(b.x).output.select(1, 15)), b.y);
      l.backward();
      clipGradNorm(params, 1);
      lstmOpt.step();
      return l.item();
    });
    if (step % 30 === 0) report({ task: 'lstm', step, total: 300, loss });
  }
  lstm.eval();
  const lstmAccuracy = tidy(() =>
    noGrad(() => {
      const b = batch(999_983);
      const pred = head.forward(lstm.forward(b.x).output.select(1, 15)).gt(0).to('float32');
      return pred.eq(b.y).to('float32').mean().item();
    }),
  );
  return { xorLoss, xorPredictions, lstmAccuracy, seconds: (Date.now() - started) / 1000 };
}
