/**
 * One resumable training loop for every model (spikes, cells pretraining, the classifier fit
 * of models/classifier-fit.ts when given a folder): after each epoch the model's
 * and the optimizer's state are saved, then the state file that names them (the commit point),
 * then the previous epoch's files are removed, so a kill at any moment leaves a consistent
 * pair. Every epoch reseeds the tensor and the sampling generators from (seed, epoch), so a
 * resumed run draws exactly the batches and dropout masks an uninterrupted one would have.
 * (PyTorch's `state_dict`/`load_state_dict` convention: the model and the optimizer each own
 * their state; this module owns the files and the order they are written in.)
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import { Rng } from '../core/random.js';
import { readValidated } from '../core/schema.js';
import type { Module } from './module.js';
import type { Adam } from './optim.js';
import { loadSafetensors, saveSafetensors } from './safetensors.js';
import { manualSeed } from './runtime.js';

/** What every checkpoint state holds; pipelines add their own fields (history, best epoch …). */
export interface CheckpointState {
  /** Epochs completed. */
  epoch: number;
  /** Prefix of the files holding the model and optimizer after `epoch` epochs. */
  checkpoint: string | null;
  /** The configuration the run was started with; a resume with another one is refused. */
  config: unknown;
  /** Set when the run decided to stop before `maxEpochs` (early stopping). */
  stopped?: boolean;
}

export const checkpointStateSchema = z
  .object({
    epoch: z.number().int().nonnegative(),
    checkpoint: z.string().nullable(),
    config: z.unknown(),
    stopped: z.boolean().optional(),
  })
  .passthrough();

/**
 * Something that says stop: an `AbortSignal` (Ctrl-C, tests), or a flag a worker thread reads
 * from shared memory while it is busy in a synchronous loop.
 */
export type StopSignal = Pick<AbortSignal, 'aborted'>;

export interface EpochLoop<S extends CheckpointState> {
  /** Folder of the state file and the checkpoints. */
  dir: string;
  /** Name of the state file in `dir`, e.g. `state.json`. */
  stateFile: string;
  /** Checkpoint files are `${filePrefix}${epoch}.safetensors` (+ `.optimizer.safetensors`). */
  filePrefix: string;
  /** Validates the fields the pipeline adds to the state when it is read back. */
  stateSchema: z.ZodType<S, z.ZodTypeDef, unknown>;
  model: Module;
  optimizer: Adam;
  /** The state of a run that has not started (used when `dir` holds no state file). */
  initial: S;
  maxEpochs: number;
  seed: number;
  /** Metadata saved with each model checkpoint (e.g. the model's configuration). */
  modelMetadata: Record<string, string>;
  signal?: StopSignal;
}

export interface EpochContext {
  epoch: number;
  /** The epoch's sampling generator (seeded from seed and epoch). */
  rng: Rng;
  /** True once the stop signal fired: the epoch body should return; the epoch is not kept. */
  stopRequested: () => boolean;
}

const modelFile = (prefix: string) => `${prefix}.safetensors`;
const optimizerFile = (prefix: string) => `${prefix}.optimizer.safetensors`;

/** The saved state in `dir`, validated, or null when the run has not started. */
export function readCheckpointState<S extends CheckpointState>(
  dir: string,
  stateFile: string,
  schema: z.ZodType<S, z.ZodTypeDef, unknown>,
): S | null {
  const path = join(dir, stateFile);
  return existsSync(path) ? readValidated(path, schema) : null;
}

/**
 * Resumes from `dir` (model and optimizer restored in place) or starts from `initial`, then
 * runs `runEpoch` for every remaining epoch, committing a checkpoint after each. `runEpoch`
 * returns false when the epoch was cut short by the stop signal (it is then not committed and
 * is redone on resume). Returns the state after the last committed epoch.
 */
export function runEpochs<S extends CheckpointState>(
  loop: EpochLoop<S>,
  runEpoch: (state: S, context: EpochContext) => boolean,
): S {
  const state = resume(loop);
  const stopRequested = () => loop.signal?.aborted === true;
  while (!state.stopped && state.epoch < loop.maxEpochs && !stopRequested()) {
    const epoch = state.epoch;
    manualSeed(loop.seed * 100_003 + epoch);
    const rng = new Rng(loop.seed * 7_919 + epoch);
    if (!runEpoch(state, { epoch, rng, stopRequested })) break;
    commit(loop, state, epoch + 1);
  }
  return state;
}

function resume<S extends CheckpointState>(loop: EpochLoop<S>): S {
  const saved = readCheckpointState(loop.dir, loop.stateFile, loop.stateSchema);
  if (!saved) return loop.initial;
  if (JSON.stringify(saved.config) !== JSON.stringify(loop.initial.config)) {
    throw new InputError(
      join(loop.dir, loop.stateFile),
      'config',
      'this folder holds a run with a different configuration; use another output folder (or the same options as that run)',
    );
  }
  if (saved.checkpoint) {
    loop.model.loadStateDict(loadSafetensors(join(loop.dir, modelFile(saved.checkpoint))).tensors);
    const opt = loadSafetensors(join(loop.dir, optimizerFile(saved.checkpoint)));
    loop.optimizer.loadStateDict({
      step: Number(opt.metadata.step),
      lr: Number(opt.metadata.lr),
      tensors: opt.tensors,
    });
  }
  return saved;
}

function commit<S extends CheckpointState>(loop: EpochLoop<S>, state: S, epochs: number): void {
  const previous = state.checkpoint;
  const prefix = `${loop.filePrefix}${epochs}`;
  saveSafetensors(join(loop.dir, modelFile(prefix)), loop.model.stateDict(), loop.modelMetadata);
  const opt = loop.optimizer.stateDict();
  saveSafetensors(join(loop.dir, optimizerFile(prefix)), opt.tensors, {
    step: String(opt.step),
    lr: String(opt.lr),
  });
  state.epoch = epochs;
  state.checkpoint = prefix;
  writeFileAtomic(join(loop.dir, loop.stateFile), JSON.stringify(state, null, 2));
  if (previous && previous !== prefix)
    for (const f of [modelFile(previous), optimizerFile(previous)])
      rmSync(join(loop.dir, f), { force: true });
}
