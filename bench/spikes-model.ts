/**
 * Spike-model benchmark: training bins/s of the causal spike transformer (paper sizes) at
 * contexts 256, 1024 and 3125 next to the same model in PyTorch, evaluation bins/s of the
 * one-step-ahead predictor, and peak memory. Batches shrink with the context to stay in
 * 24 GB (the paper's batch 16 at 3125 would need ~16 GB per attention-score tensor alone).
 */
import {
  Adam,
  Tensor,
  clipGradNorm,
  getNumThreads,
  manualSeed,
  tidy,
} from '../src/engine/index.js';
import { PAPER_MODEL, SpikeTransformer } from '../src/models/spike-transformer.js';
import { softDiceLoss } from '../src/models/losses.js';
import { predictOneStepAhead } from '../src/pipelines/spikes/predict.js';
import { Rng } from '../src/core/random.js';
import { runPython, type BenchRow } from './harness.js';

const PLAN: [number, number, number][] = [
  [256, 16, 5],
  [1024, 4, 3],
  [3125, 1, 2],
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
  const evalRate = evaluationBinsPerSecond(256, 20_000);
  rows.push({
    name: `evaluation, context 256: ${evalRate.toFixed(0)} bins/s (ms per bin)`,
    oursMs: 1000 / evalRate,
  });
  rows.push({
    name: `peak RSS (MiB) through context 3125: ${peakMiB.toFixed(0)} vs ${same ? same.peakRssMiB.toFixed(0) : '–'} (same) / ${stock ? stock.peakRssMiB.toFixed(0) : '–'} (stock)`,
    oursMs: peakMiB,
    torchMs: same?.peakRssMiB,
    torchStockMs: stock?.peakRssMiB,
  });
  return rows;
}
