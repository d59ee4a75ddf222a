/**
 * Engine benchmark: 1024³ matmul, one causal self-attention layer (B=1, L=1024, d=128,
 * 16 heads) and a 2-layer bidirectional LSTM (B=64, T=32, in=64, hidden=128), each
 * forward+backward, next to the same computation in PyTorch measured in the same run.
 */
import {
  LSTM,
  MultiheadAttention,
  getNumThreads,
  manualSeed,
  randn,
  tidy,
  type Tensor,
} from '../src/engine/index.js';
import { medianMs, runPython, type BenchRow } from './harness.js';

interface Times {
  matmul: number;
  attention: number;
  lstm: number;
}
type TorchTimes = {
  torch: string;
  threads: number;
  matmul_ms: number;
  attention_ms: number;
  lstm_ms: number;
};

function measureOurs(reps: number): Times {
  manualSeed(0);
  const a = randn([1024, 1024]);
  const b = randn([1024, 1024]);
  // A 12 ms op: five times the repetitions for a stable median (the same in engine.py).
  const matmul = medianMs(() => tidy(() => void a.matmul(b).numel), 5 * reps, 10);

  const attention = new MultiheadAttention(128, 16);
  const x = randn([1, 1024, 128]).requiresGrad_();
  const zero = (ts: Tensor[]) => ts.forEach((t) => t.zeroGrad());
  const attentionMs = medianMs(
    () =>
      tidy(() => {
        attention.forward(x, { causal: true }).output.sum().backward();
        zero([x, ...attention.parameters()]);
      }),
    reps,
  );

  const lstm = new LSTM(64, 128, { numLayers: 2, bidirectional: true, batchFirst: true });
  const seq = randn([64, 32, 64]);
  const lstmMs = medianMs(
    () =>
      tidy(() => {
        lstm.forward(seq).output.sum().backward();
        zero(lstm.parameters());
      }),
    reps,
  );
  for (const t of [a, b, x, seq]) t.dispose();
  attention.dispose();
  lstm.dispose();
  return { matmul, attention: attentionMs, lstm: lstmMs };
}

const fromTorch = (t: TorchTimes): Times => ({
  matmul: t.matmul_ms,
  attention: t.attention_ms,
  lstm: t.lstm_ms,
});
const fastest = (runs: Times[]): Times => ({
  matmul: Math.min(...runs.map((r) => r.matmul)),
  attention: Math.min(...runs.map((r) => r.attention)),
  lstm: Math.min(...runs.map((r) => r.lstm)),
});

/**
 * Both sides are measured in alternating rounds and each keeps its fastest round: on a
 * shared 2-core machine, interference only ever adds time, so the minimum over rounds is
 * the least noisy estimate (single rounds of the biLSTM varied by ±30 %).
 */
export async function benchEngine(reps = 10, rounds = 3): Promise<BenchRow[]> {
  const threads = getNumThreads();
  const args = [String(threads), String(reps)];
  const ours: Times[] = [];
  const same: Times[] = [];
  const stock: Times[] = [];
  for (let round = 0; round < rounds; round++) {
    ours.push(measureOurs(reps));
    const s = runPython<TorchTimes>('torch/engine.py', args, 'same');
    const k = runPython<TorchTimes>('torch/engine.py', args, 'stock');
    if (s) same.push(fromTorch(s));
    if (k) stock.push(fromTorch(k));
  }
  const o = fastest(ours);
  const t = same.length ? fastest(same) : undefined;
  const k = stock.length ? fastest(stock) : undefined;
  const gflops = (ms: number) => (2 * 1024 ** 3) / (ms / 1000) / 1e9;
  return [
    {
      name: `matmul 1024³ (${gflops(o.matmul).toFixed(1)} vs ${t ? gflops(t.matmul).toFixed(1) : '–'} GFLOP/s)`,
      oursMs: o.matmul,
      torchMs: t?.matmul,
      torchStockMs: k?.matmul,
    },
    {
      name: 'causal self-attention L=1024 d=128 h=16, fwd+bwd',
      oursMs: o.attention,
      torchMs: t?.attention,
      torchStockMs: k?.attention,
    },
    {
      name: '2-layer biLSTM B=64 T=32 in=64 h=128, fwd+bwd',
      oursMs: o.lstm,
      torchMs: t?.lstm,
      torchStockMs: k?.lstm,
    },
  ];
}
