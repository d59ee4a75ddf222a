/**
 * Pretraining of the cell encoder on rank-value-encoded cells: AdamW, linear warm-up then
 * cosine decay, shuffled batches, and the shared resumable epoch loop (engine/checkpoint.ts:
 * a checkpoint after every epoch, exact resume).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { existsSync } from 'node:fs';
import { InputError, Interrupted, UsageError } from '../../../core/errors.js';
import {
  AdamW,
  checkpointStateSchema,
  clipGradNorm,
  loadSafetensors,
  manualSeed,
  runEpochs,
  saveSafetensors,
  Tensor,
  tidy,
  warmupCosine,
  type CheckpointState,
  type StopSignal,
} from '../../../engine/index.js';
import { CellEncoder, type CellEncoderConfig } from '../../../models/cell-encoder.js';
import { corpusRows, type TokenCorpus } from '../corpus/corpus-files.js';
import { spectralTokenEmbeddings, type EmbeddingInit } from './spectral-init.js';
import { DEFAULT_PRETRAIN_LOSS, pretrainLoss, type PretrainLossOptions } from './pretrain-loss.js';

export interface PretrainConfig {
  model: CellEncoderConfig;
  loss: PretrainLossOptions;
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  warmupFraction: number;
  clipNorm: number;
  seed: number;
  /**
   * The gene embeddings pretraining starts from: `random` (N(0, 1)) or `spectral` (the
   * principal axes of the corpora's token incidence, see spectral-init.ts).
   */
  embeddingInit: EmbeddingInit;
}

/** Pretraining cells: corpora concatenated, and which corpus each cell came from (default: one). */
export interface PretrainingCells extends TokenCorpus {
  corpusOfCell?: Int32Array;
}

export interface PretrainProgress {
  epoch: number;
  step: number;
  steps: number;
  loss: number;
  mlm: number;
  simcse: number;
  /** Non-pad tokens per second over the epoch so far (a per-step figure jumps with the load). */
  tokensPerSecond: number;
}

interface PretrainState extends CheckpointState {
  history: {
    epoch: number;
    loss: number;
    mlm: number;
    simcse: number;
    seconds: number;
    /** Non-pad tokens the epoch processed (absent in checkpoints of earlier versions). */
    tokens?: number;
  }[];
}

const pretrainStateSchema = checkpointStateSchema.extend({
  history: z.array(
    z.object({
      epoch: z.number().int(),
      loss: z.number(),
      mlm: z.number(),
      simcse: z.number(),
      seconds: z.number(),
      tokens: z.number().optional(),
    }),
  ),
}) as unknown as z.ZodType<PretrainState, z.ZodTypeDef, unknown>;

const STATE = 'pretrain-state.json';
export const PRETRAINED_MODEL = 'encoder.safetensors';

export function defaultPretrainConfig(model: CellEncoderConfig): PretrainConfig {
  return {
    model,
    loss: DEFAULT_PRETRAIN_LOSS,
    epochs: 10,
    batchSize: 16,
    lr: 5e-4,
    weightDecay: 0.01,
    warmupFraction: 0.1,
    clipNorm: 1,
    seed: 0,
    embeddingInit: 'spectral',
  };
}

/** Trains (or resumes) in `dir`; returns the encoder after the last epoch. */
export function pretrainEncoder(
  corpus: PretrainingCells,
  config: PretrainConfig,
  dir: string,
  hooks: {
    onStep?: (p: PretrainProgress) => void;
    /** Stops at the next step (then throws `Interrupted`); the epoch in progress is redone on resume. */
    signal?: StopSignal;
  } = {},
): { model: CellEncoder; history: PretrainState['history'] } {
  const L = corpus.maxLength;
  if (L > config.model.maxLength)
    throw new UsageError(
      `cells of ${L} tokens exceed the model's maxLength ${config.model.maxLength}`,
    );
  const cells = corpus.tokens.length / L;
  manualSeed(config.seed);
  const model = new CellEncoder(config.model);
  // On resume the checkpoint's weights replace these.
  if (config.embeddingInit === 'spectral') initSpectralEmbeddings(model, corpus, config.seed);
  const optimizer = new AdamW(model.parameters(), {
    lr: config.lr,
    weightDecay: config.weightDecay,
  });
  const steps = Math.ceil(cells / config.batchSize);
  const total = steps * config.epochs;
  const lrAt = warmupCosine(config.lr, Math.round(config.warmupFraction * total), total);
  const { crossSpecies, ...lossConfig } = config.loss;
  // The swap function cannot be saved; its weight and τ identify it in the checkpoint state.
  const savedConfig = {
    ...config,
    loss: {
      ...lossConfig,
      crossSpecies: crossSpecies ? { weight: crossSpecies.weight, tau: crossSpecies.tau } : null,
    },
  };
  const state = runEpochs(
    {
      dir,
      stateFile: STATE,
      filePrefix: 'pretrain-epoch-',
      stateSchema: pretrainStateSchema,
      model,
      optimizer,
      initial: { epoch: 0, history: [], checkpoint: null, config: savedConfig },
      maxEpochs: config.epochs,
      seed: config.seed,
      modelMetadata: { config: JSON.stringify(config.model) },
      signal: hooks.signal,
    },
    (state, { epoch, rng, stopRequested }) => {
      const started = Date.now();
      const order = rng.permutation(cells);
      model.train();
      const sums = { loss: 0, mlm: 0, simcse: 0, tokens: 0 };
      for (let s = 0; s < steps; s++) {
        if (stopRequested()) return false;
        const idx = order.slice(s * config.batchSize, (s + 1) * config.batchSize);
        const batch = corpusRows(corpus, idx).tokens;
        optimizer.lr = lrAt(epoch * steps + s);
        const parts = tidy(() => {
          optimizer.zeroGrad();
          const p = pretrainLoss(model, batch, L, rng, { ...lossConfig, crossSpecies });
          p.total.backward();
          clipGradNorm(model.parameters(), config.clipNorm);
          optimizer.step();
          return { loss: p.total.item(), mlm: p.mlm.item(), simcse: p.simcse.item() };
        });
        sums.loss += parts.loss;
        sums.mlm += parts.mlm;
        sums.simcse += parts.simcse;
        for (const t of batch) if (t !== 0) sums.tokens++;
        hooks.onStep?.({
          epoch,
          step: s,
          steps,
          ...parts,
          tokensPerSecond: sums.tokens / ((Date.now() - started) / 1000),
        });
      }
      state.history.push({
        epoch,
        loss: sums.loss / steps,
        mlm: sums.mlm / steps,
        simcse: sums.simcse / steps,
        seconds: (Date.now() - started) / 1000,
        tokens: sums.tokens,
      });
      return true;
    },
  );
  optimizer.dispose();
  if (hooks.signal?.aborted) {
    model.dispose();
    throw new Interrupted(
      `pretraining stopped after epoch ${state.epoch} (checkpoint in ${dir}); re-run the same command to resume`,
    );
  }
  saveEncoder(dir, model);
  model.eval();
  return { model, history: state.history };
}

/** Sets the rows of the genes the cells use to their spectral embeddings; other rows stay. */
export function initSpectralEmbeddings(
  model: CellEncoder,
  cells: PretrainingCells,
  seed: number,
): void {
  const { hidden, vocabSize } = model.config;
  const corpusOfCell = cells.corpusOfCell ?? new Int32Array(cells.tokens.length / cells.maxLength);
  const e = spectralTokenEmbeddings(cells.tokens, cells.maxLength, corpusOfCell, {
    hidden,
    vocabSize,
    seed,
  });
  const name = 'embeddings.word.weight';
  const weight = model.stateDict().get(name)!;
  const values = Float32Array.from(weight.toArray() as Float32Array);
  for (let t = 0; t < vocabSize; t++)
    if (e.seen[t]) values.set(e.weights.subarray(t * hidden, (t + 1) * hidden), t * hidden);
  const initial = Tensor.from(values, [vocabSize, hidden], 'float32');
  model.loadStateDict(new Map([[name, initial]]), false);
  initial.dispose();
}

/**
 * Writes an encoder as `cells pretrain` leaves it (`encoder.safetensors`, its configuration
 * in the metadata), so every command that reads a pretrained run reads it, fine-tuned or not.
 */
export function saveEncoder(dir: string, model: CellEncoder): void {
  saveSafetensors(join(dir, PRETRAINED_MODEL), model.stateDict(), {
    config: JSON.stringify(model.config),
  });
}

export function loadEncoder(path: string): CellEncoder {
  const file = loadSafetensors(path);
  let config: CellEncoderConfig;
  try {
    config = JSON.parse(file.metadata.config ?? '') as CellEncoderConfig;
  } catch {
    throw new InputError(path, 'metadata.config', 'expected the encoder configuration as JSON');
  }
  const model = new CellEncoder(config);
  model.loadStateDict(file.tensors);
  model.eval();
  return model;
}

/** The encoder of a folder written by `cells pretrain`; an InputError when it has none. */
export function loadPretrainedRun(dir: string): CellEncoder {
  const file = join(dir, PRETRAINED_MODEL);
  if (!existsSync(file))
    throw new InputError(
      file,
      undefined,
      'missing: expected a folder written by `neurobridge cells pretrain`',
    );
  return loadEncoder(file);
}
