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

export async function benchEngine(reps = 10): Promise<BenchRow[]> {
  manualSeed(0);
  const threads = getNumThreads();

  const a = randn([1024, 1024]);
  const b = randn([1024, 1024]);
  const matmulMs = medianMs(() => tidy(() => void a.matmul(b).numel), reps);

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

  type TorchTimes = {
    torch: string;
    threads: number;
    matmul_ms: number;
    attention_ms: number;
    lstm_ms: number;
  };
  const args = [String(threads), String(reps)];
  const torch = runPython<TorchTimes>('torch/engine.py', args, 'same');
  const stock = runPython<TorchTimes>('torch/engine.py', args, 'stock');
  const gflops = (ms: number) => (2 * 1024 ** 3) / (ms / 1000) / 1e9;
  return [
    {
      name: `matmul 1024³ (${gflops(matmulMs).toFixed(1)} vs ${torch ? gflops(torch.matmul_ms).toFixed(1) : '–'} GFLOP/s)`,
      oursMs: matmulMs,
      torchMs: torch?.matmul_ms,
      torchStockMs: stock?.matmul_ms,
    },
    {
      name: 'causal self-attention L=1024 d=128 h=16, fwd+bwd',
      oursMs: attentionMs,
      torchMs: torch?.attention_ms,
      torchStockMs: stock?.attention_ms,
    },
    {
      name: '2-layer biLSTM B=64 T=32 in=64 h=128, fwd+bwd',
      oursMs: lstmMs,
      torchMs: torch?.lstm_ms,
      torchStockMs: stock?.lstm_ms,
    },
  ];
}
