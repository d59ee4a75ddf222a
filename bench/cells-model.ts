/**
 * Cells benchmark: rank-value tokenization (cells/s) of a synthetic corpus, and pretraining
 * throughput (non-pad tokens/s of one MLM + SimCSE step: three encoder passes, backward,
 * AdamW) of the cell encoder next to the same encoder and step in PyTorch, same run.
 */
import { AdamW, clipGradNorm, getNumThreads, manualSeed, tidy } from '../src/engine/index.js';
import { CellEncoder, type CellEncoderConfig } from '../src/models/cell-encoder.js';
import { Rng } from '../src/core/random.js';
import { orthologsFromPairs } from '../src/pipelines/cells/corpus/orthologs.js';
import {
  pretrainLoss,
  DEFAULT_PRETRAIN_LOSS,
} from '../src/pipelines/cells/pretrain/pretrain-loss.js';
import { encodeCells, fitGeneMedians } from '../src/pipelines/cells/corpus/rank-encoding.js';
import { Vocabulary } from '../src/pipelines/cells/corpus/vocabulary.js';
import { simulateCellCorpus } from '../src/sim/cells.js';
import { runPython, type BenchRow } from './harness.js';

interface Plan {
  name: string;
  vocab: number;
  length: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  batch: number;
  steps: number;
}

const PLANS: Plan[] = [
  {
    name: 'small (2 layers, hidden 128), 256 tokens',
    vocab: 5000,
    length: 256,
    hidden: 128,
    layers: 2,
    heads: 4,
    intermediate: 256,
    batch: 16,
    steps: 4,
  },
  {
    name: 'paper sizes (6 layers, hidden 256), 512 tokens',
    vocab: 5000,
    length: 512,
    hidden: 256,
    layers: 6,
    heads: 4,
    intermediate: 512,
    batch: 4,
    steps: 2,
  },
];

function batchTokens(p: Plan, seed: number): Int32Array {
  const rng = new Rng(seed);
  const out = new Int32Array(p.batch * p.length);
  for (let b = 0; b < p.batch; b++) {
    const n = Math.floor(p.length / 2) + rng.int(p.length / 2 + 1);
    out[b * p.length] = 2;
    for (let i = 1; i < n; i++) out[b * p.length + i] = 4 + rng.int(p.vocab - 4);
  }
  return out;
}

function oursTokensPerSecond(p: Plan): number {
  manualSeed(0);
  const config: CellEncoderConfig = {
    vocabSize: p.vocab,
    maxLength: p.length,
    hidden: p.hidden,
    layers: p.layers,
    heads: p.heads,
    intermediate: p.intermediate,
    dropout: 0.1,
  };
  const model = new CellEncoder(config);
  model.train();
  const opt = new AdamW(model.parameters(), { lr: 5e-4, weightDecay: 0.01 });
  const tokens = batchTokens(p, 1);
  const rng = new Rng(2);
  const step = () =>
    tidy(() => {
      opt.zeroGrad();
      pretrainLoss(model, tokens, p.length, rng, DEFAULT_PRETRAIN_LOSS).total.backward();
      clipGradNorm(model.parameters(), 1);
      opt.step();
    });
  step();
  const t0 = performance.now();
  for (let i = 0; i < p.steps; i++) step();
  const seconds = (performance.now() - t0) / 1000 / p.steps;
  model.dispose();
  opt.dispose();
  let nonPad = 0;
  for (const t of tokens) if (t) nonPad++;
  return nonPad / seconds;
}

function tokenizationCellsPerSecond(): { cellsPerS: number; cells: number; genes: number } {
  const m = simulateCellCorpus({
    species: 'human',
    cells: 2000,
    seed: 1,
    sharedGenes: 3000,
    speciesGenes: 200,
  });
  const vocab = Vocabulary.build(
    [{ species: 'human', genes: m.geneIds }],
    orthologsFromPairs([]),
    'separate',
  );
  const t0 = performance.now();
  const medians = fitGeneMedians([{ matrix: m, species: 'human' }], vocab);
  encodeCells(m, 'human', vocab, medians, { maxLength: 2048 });
  return {
    cellsPerS: m.nCells / ((performance.now() - t0) / 1000),
    cells: m.nCells,
    genes: m.nGenes,
  };
}

export async function benchCellsModel(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const tok = tokenizationCellsPerSecond();
  rows.push({
    name: `tokenization (medians + rank-value encoding), ${tok.cells} cells × ${tok.genes} genes: ${tok.cellsPerS.toFixed(0)} cells/s (ms per cell)`,
    oursMs: 1000 / tok.cellsPerS,
  });
  const ours = PLANS.map(oursTokensPerSecond);
  const args = [String(getNumThreads()), JSON.stringify(PLANS)];
  type Torch = { rows: { tokensPerS: number }[] };
  const same = runPython<Torch>('torch/cell_encoder.py', args, 'same');
  const stock = runPython<Torch>('torch/cell_encoder.py', args, 'stock');
  PLANS.forEach((p, i) => {
    rows.push({
      name: `pretraining step (MLM + SimCSE), ${p.name}, batch ${p.batch}: tokens/s ${ours[i].toFixed(0)} vs ${same ? same.rows[i].tokensPerS.toFixed(0) : '–'} (ms per 1000 tokens)`,
      oursMs: 1e6 / ours[i],
      torchMs: same ? 1e6 / same.rows[i].tokensPerS : undefined,
      torchStockMs: stock ? 1e6 / stock.rows[i].tokensPerS : undefined,
    });
  });
  return rows;
}
