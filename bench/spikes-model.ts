/**
 * Spike-model benchmark: training bins/s of the causal spike transformer (paper sizes) at
 * contexts 256, 1024 and 3125 next to the same model in PyTorch, evaluation bins/s of the
 * one-step-ahead predictor, and peak memory. Batches shrink with the context so that
 * PyTorch's math-path attention fits in 24 GB (at the paper's batch 16 and context 3125 one
 * of its attention-score tensors alone holds 2.5·10⁹ floats, 10 GB, and backward keeps
 * several); the engine's own run at the paper's batch 16 is a separate row. The engine rows use its fused causal
 * attention (the default); the "math path" rows switch it off, to show what it is worth.
 */
import {
  Adam,
  Tensor,
  clipGradNorm,
  getNumThreads,
  manualSeed,
  setFusedAttention,
  tidy,
} from '../src/engine/index.js';
import { PAPER_MODEL, SpikeTransformer } from '../src/models/spike-transformer.js';
import { softDiceLoss } from '../src/models/losses.js';
import { predictOneStepAhead } from '../src/pipelines/spikes/predict.js';
import { Rng } from '../src/core/random.js';
import { runPython, type BenchRow } from './harness.js';

const PLAN: [number, number, number][] = [
  [256, 16, 8],
  [1024, 4, 4],
  [3125, 1, 3],
];

type TorchResult = {
  torch: string;
  rows: { context: number; batch: number; binsPerS: number }[];
  peakRssMiB: number;
};

function randomSpikes(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => (rng.uniform() < 0.02 ? 1 : 0));
}

function oursBinsPerSecond(context: number, batch: number, steps: number): number {
  manualSeed(0);
  const model = new SpikeTransformer({ ...PAPER_MODEL, context });
  const opt = new Adam(model.parameters(), { lr: 0.005 });
  const data = Tensor.from(randomSpikes(batch * (context + 1) * 128, context), [
    batch,
    context + 1,
    128,
  ]);
  const step = () =>
    tidy(() => {
      opt.zeroGrad();
      const loss = softDiceLoss(
        model.forward(data.narrow(1, 0, context)).logits,
        data.narrow(1, 1, context),
      );
      loss.backward();
      clipGradNorm(model.parameters(), 1);
      opt.step();
    });
  step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const seconds = (performance.now() - t0) / 1000 / steps;
  model.dispose();
  opt.dispose();
  data.dispose();
  return (batch * context) / seconds;
}

function evaluationBinsPerSecond(context: number, bins: number): number {
  const model = new SpikeTransformer({ ...PAPER_MODEL, context });
  const rng = new Rng(1);
  const raster = {
    bins,
    units: 128,
    data: Uint8Array.from({ length: bins * 128 }, () => (rng.uniform() < 0.02 ? 1 : 0)),
  };
  const t0 = performance.now();
  predictOneStepAhead(model, raster, { context });
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  return bins / seconds;
}

export async function benchSpikeModel(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const ours = PLAN.map(([c, b, s]) => ({
    context: c,
    batch: b,
    binsPerS: oursBinsPerSecond(c, b, s),
  }));
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  // The paper's batch at the longest context, engine only (see the header comment).
  const paperBatch = oursBinsPerSecond(3125, 16, 1);
  const paperPeakMiB = process.resourceUsage().maxRSS / 1024;
  // Last, since the math path raises the process's peak memory.
  setFusedAttention(false);
  const mathPath = PLAN.map(([c, b, s]) => oursBinsPerSecond(c, b, s));
  setFusedAttention(true);
  const args = [String(getNumThreads()), JSON.stringify(PLAN)];
  const same = runPython<TorchResult>('torch/spike_transformer.py', args, 'same');
  const stock = runPython<TorchResult>('torch/spike_transformer.py', args, 'stock');
  ours.forEach((o, i) => {
    // Rows are times per bin (ms) so that the shared table's ratio reads ours/theirs as elsewhere.
    rows.push({
      name: `train step, context ${o.context} (batch ${o.batch}): bins/s ${o.binsPerS.toFixed(0)} vs ${same ? same.rows[i].binsPerS.toFixed(0) : '–'}`,
      oursMs: 1000 / o.binsPerS,
      torchMs: same ? 1000 / same.rows[i].binsPerS : undefined,
      torchStockMs: stock ? 1000 / stock.rows[i].binsPerS : undefined,
    });
  });
  ours.forEach((o, i) => {
    rows.push({
      name: `… math-path attention (fused kernel off), context ${o.context}: bins/s ${mathPath[i].toFixed(0)}`,
      oursMs: 1000 / mathPath[i],
      torchMs: same ? 1000 / same.rows[i].binsPerS : undefined,
      torchStockMs: stock ? 1000 / stock.rows[i].binsPerS : undefined,
    });
  });
  rows.push({
    name: `train step, context 3125, paper batch 16 (engine only): bins/s ${paperBatch.toFixed(0)}`,
    oursMs: 1000 / paperBatch,
  });
  const evalRate = evaluationBinsPerSecond(256, 20_000);
  rows.push({
    name: `evaluation, context 256: ${evalRate.toFixed(0)} bins/s (ms per bin)`,
    oursMs: 1000 / evalRate,
  });
  rows.push({
    name: `peak RSS (MiB) through context 3125 (batches as above): ${peakMiB.toFixed(0)} vs ${same ? same.peakRssMiB.toFixed(0) : '–'} (same) / ${stock ? stock.peakRssMiB.toFixed(0) : '–'} (stock)`,
    oursMs: peakMiB,
    torchMs: same?.peakRssMiB,
    torchStockMs: stock?.peakRssMiB,
  });
  rows.push({
    name: `peak RSS (MiB) after context 3125 at the paper's batch 16 (engine only): ${paperPeakMiB.toFixed(0)}`,
    oursMs: paperPeakMiB,
  });
  return rows;
}
