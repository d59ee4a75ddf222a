/**
 * Spike-model benchmark: training bins/s of the causal spike transformer (paper sizes) at
 * contexts 256, 1024 and 3125 next to the same model in PyTorch, evaluation bins/s of the
 * one-step-ahead predictor, and peak memory. Batches shrink with the context so that
 * PyTorch's math-path attention fits in 24 GB (at the paper's batch 16 and context 3125 one
 * of its attention-score tensors alone holds 2.5·10⁹ floats, 10 GB, and backward keeps
 * several); the engine's own run at the paper's batch 16 is a separate row. The engine rows use its fused causal
 * attention (the default); the "math path" rows switch it off, to show what it is worth.
 *
 * The floor: each training row is set against the time the FLOPs of one trained bin would
 * take at the sgemm rate libtorch reaches here, measured in the same run (a 1024³ float32
 * matmul). FLOPs per bin, forward, for units U, width E, feed-forward F, context C:
 *   linear layers  2·(U·E + E·3E + E·E + E·F + F·E + E·U)   (embedding, q/k/v, output
 *                  projection, feed-forward, head)
 *   attention      2·E·C   (q·kᵀ and weights·v, 2·E·C each over the full window, halved
 *                  by the causal mask: on average a bin sees (C + 1) / 2 keys)
 * and training costs 3× the forward (the backward pass computes two products per forward
 * product). Softmax, layer norms, dropout and the optimiser are not counted: the floor is
 * what no implementation on this machine can beat, not a target that includes them.
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
import {
  PAPER_MODEL,
  SpikeTransformer,
  type SpikeTransformerConfig,
} from '../src/models/spike-transformer.js';
import { softDiceLoss } from '../src/models/losses.js';
import { predictOneStepAhead } from '../src/pipelines/spikes/model/predict.js';
import { generateSpikes } from '../src/pipelines/spikes/model/generate.js';
import { Rng } from '../src/core/random.js';
import { medianMs, runPython, type BenchRow } from './harness.js';

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

/** FLOPs of one trained bin (forward + backward), per the header's formula. */
export function trainFlopsPerBin(
  c: { units: number; dModel: number; feedforward: number },
  context: number,
): number {
  const { units: U, dModel: E, feedforward: F } = c;
  const linear = 2 * (U * E + 3 * E * E + E * E + 2 * E * F + E * U);
  const attention = 2 * E * context;
  return 3 * (linear + attention);
}

/**
 * float32 GEMM rate (FLOP/s) of libtorch on this machine: the fastest of three rounds, each
 * the median of 7 1024³ matmuls. The first round of a process can run at half speed (84.7
 * against 160–187 GFLOP/s in the five rounds after it, 2026-12-06: OpenBLAS's second thread
 * not yet at work), which would halve the floor and flatter every ratio.
 */
export function sgemmFlopsPerSecond(): number {
  const n = 1024;
  const a = Tensor.from(randomSpikes(n * n, 1), [n, n]);
  const b = Tensor.from(randomSpikes(n * n, 2), [n, n]);
  const ms = Math.min(...[0, 1, 2].map(() => medianMs(() => tidy(() => void a.matmul(b)), 7, 2)));
  a.dispose();
  b.dispose();
  return (2 * n ** 3) / (ms / 1000);
}

function randomSpikes(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => (rng.uniform() < 0.02 ? 1 : 0));
}

function oursBinsPerSecond(
  context: number,
  batch: number,
  steps: number,
  positional: SpikeTransformerConfig['positional'] = PAPER_MODEL.positional,
): number {
  manualSeed(0);
  const model = new SpikeTransformer({ ...PAPER_MODEL, context, positional });
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

/**
 * Free-running generation at the paper's sizes after a full seed window: rotary and ALiBi
 * positions with the key/value cache (`bins` bins, prefill included) and learned positions,
 * which re-run the window for every bin (`uncachedBins` bins, a rate: it is ~10⁴× slower).
 */
function generationSeconds(context: number, bins: number, uncachedBins: number) {
  const raster = {
    bins: context,
    units: 128,
    data: Uint8Array.from(randomSpikes(context * 128, 3)),
  };
  const cachedSeconds = (positional: 'rotary' | 'alibi') => {
    manualSeed(0);
    const model = new SpikeTransformer({ ...PAPER_MODEL, context, positional });
    const t0 = performance.now();
    generateSpikes(model, raster, bins, 0);
    model.dispose();
    return (performance.now() - t0) / 1000;
  };
  const cached = cachedSeconds('rotary');
  const alibi = cachedSeconds('alibi');
  const learned = new SpikeTransformer({ ...PAPER_MODEL, context });
  const t0 = performance.now();
  generateSpikes(learned, raster, uncachedBins, 0);
  const uncachedPerBin = (performance.now() - t0) / 1000 / uncachedBins;
  learned.dispose();
  return { cached, alibi, uncachedPerBin };
}

function evaluationBinsPerSecond(context: number, bins: number): number {
  const model = new SpikeTransformer({ ...PAPER_MODEL, context });
  const rng = new Rng(1);
  const raster = {
    bins,
    units: 128,
    data: Uint8Array.from({ length: bins * 128 }, () => (rng.uniform() < 0.02 ? 1 : 0)),
  };
  // One untimed pass first: the first call's allocations and page faults took up to half
  // the time of a single timed pass (measured 19,408 then 46,988 bins/s at context 3125).
  predictOneStepAhead(model, raster, { context });
  const t0 = performance.now();
  predictOneStepAhead(model, raster, { context });
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  return bins / seconds;
}

export async function benchSpikeModel(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const sgemm = sgemmFlopsPerSecond();
  /** Measured time per bin over the floor's (FLOPs at the sgemm rate). */
  const floorRatio = (context: number, binsPerS: number) =>
    sgemm / trainFlopsPerBin(PAPER_MODEL, context) / binsPerS;
  rows.push({
    name: `sgemm rate (1024³ float32, ${getNumThreads()} threads): ${(sgemm / 1e9).toFixed(1)} GFLOP/s (ms per 1024³ product)`,
    oursMs: ((2 * 1024 ** 3) / sgemm) * 1000,
  });
  const ours = PLAN.map(([c, b, s]) => ({
    context: c,
    batch: b,
    binsPerS: oursBinsPerSecond(c, b, s),
  }));
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  // The paper's batch at the longest context, engine only (see the header comment).
  const paperBatch = oursBinsPerSecond(3125, 16, 1);
  const paperPeakMiB = process.resourceUsage().maxRSS / 1024;
  const paperBatchAlibi = oursBinsPerSecond(3125, 16, 1, 'alibi');
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
      name: `train step, context ${o.context} (batch ${o.batch}): bins/s ${o.binsPerS.toFixed(0)} vs ${same ? same.rows[i].binsPerS.toFixed(0) : '–'}, ${floorRatio(o.context, o.binsPerS).toFixed(2)}× the floor`,
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
    name: `train step, context 3125, paper batch 16 (engine only): bins/s ${paperBatch.toFixed(0)}, ${floorRatio(3125, paperBatch).toFixed(2)}× the floor (${((trainFlopsPerBin(PAPER_MODEL, 3125) * paperBatch) / 1e9).toFixed(1)} GFLOP/s)`,
    oursMs: 1000 / paperBatch,
  });
  rows.push({
    name: `… the same with ALiBi positions instead of learned ones: bins/s ${paperBatchAlibi.toFixed(0)} (${(paperBatch / paperBatchAlibi).toFixed(2)}× the learned model's time per bin)`,
    oursMs: 1000 / paperBatchAlibi,
  });
  for (const [context, bins] of [
    [256, 20_000],
    [3125, 20_000],
  ]) {
    const rate = evaluationBinsPerSecond(context, bins);
    rows.push({
      name: `evaluation one step ahead, context ${context} (half-window stride): ${rate.toFixed(0)} bins/s (ms per bin)`,
      oursMs: 1000 / rate,
    });
  }
  const generation = generationSeconds(3125, 3000, 5);
  rows.push({
    name: `generation of 3,000 bins at context 3125, rotary + key/value cache: ${generation.cached.toFixed(1)} s (ALiBi + cache: ${generation.alibi.toFixed(1)} s); learned positions re-run the window: ${generation.uncachedPerBin.toFixed(2)} s per bin (${((generation.uncachedPerBin * 3000) / 60).toFixed(0)} min for 3,000) (ms per bin)`,
    oursMs: (generation.cached / 3000) * 1000,
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
