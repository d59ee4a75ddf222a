/**
 * The classifier fit through the shared resumable loop (engine/checkpoint.ts): after each
 * epoch the weights, the optimizer and the early-stopping state are committed to a folder, so
 * a stopped or killed fit resumes there and ends as an uninterrupted one would. The best
 * epoch's weights are a file of their own, named by epoch and written before the commit, so
 * the state always names a complete one.
 *
 * Like every resumable loop, each epoch draws from generators seeded by (seed, epoch): the
 * addon cannot save libtorch's generator, so reseeding is what makes a resume exact. A
 * checkpointed fit therefore draws other batches and dropout masks than the plain one.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  Module,
  checkpointStateSchema,
  loadSafetensors,
  runEpochs,
  saveSafetensors,
  type CheckpointState,
  type StopSignal,
} from '../engine/index.js';
import {
  EarlyStopping,
  fitTools,
  trainEpoch,
  type ClassifierFitOptions,
  type ClassifierFitResult,
  type ClassifierFitTask,
} from './classifier-epoch.js';

export interface ClassifierCheckpoint {
  /** Folder of the fit's state and checkpoints; a later fit given it resumes from it. */
  dir: string;
  /** Stops the fit between epochs; the committed epochs stay for a resume. */
  signal?: StopSignal;
}

interface FitState extends CheckpointState {
  /** Loss and score are null when not finite (JSON has no NaN). */
  history: { epoch: number; loss: number | null; score: number | null }[];
  bestEpoch: number;
  bestScore: number | null;
  /** File (in the folder) of the best epoch's weights. */
  best: string | null;
}

const STATE_FILE = 'classifier-state.json';
const BEST_PREFIX = 'classifier-best-';

const stateSchema = checkpointStateSchema.extend({
  history: z.array(
    z.object({
      epoch: z.number().int(),
      loss: z.number().nullable(),
      score: z.number().nullable(),
    }),
  ),
  bestEpoch: z.number().int(),
  bestScore: z.number().nullable(),
  best: z.string().nullable(),
}) as unknown as z.ZodType<FitState, z.ZodTypeDef, unknown>;

/** The task's modules as one (their state dicts side by side, as `0.…`, `1.…`). */
class ModuleGroup extends Module {
  constructor(modules: Module[]) {
    super();
    modules.forEach((m, k) => this.registerModule(String(k), m));
  }
}

const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

/** Trains in place, committing each epoch to `checkpoint.dir`; see fitClassifier. */
export function fitClassifierResumable(
  task: ClassifierFitTask,
  o: ClassifierFitOptions,
  checkpoint: ClassifierCheckpoint,
): ClassifierFitResult {
  mkdirSync(checkpoint.dir, { recursive: true });
  const group = new ModuleGroup(task.modules);
  const tools = fitTools(task, o);
  const stopping = new EarlyStopping(o.patience, o.maxEpochs);
  const config = { ...o, samples: task.samples.length, classes: task.classes };
  const bestFile = (epoch: number) => `${BEST_PREFIX}${epoch}.safetensors`;
  let stale: string | null = null;
  const state = runEpochs<FitState>(
    {
      dir: checkpoint.dir,
      stateFile: STATE_FILE,
      filePrefix: 'classifier-epoch-',
      stateSchema,
      model: group,
      optimizer: tools.optimizer,
      initial: {
        epoch: 0,
        checkpoint: null,
        config,
        history: [],
        bestEpoch: -1,
        bestScore: null,
        best: null,
      },
      maxEpochs: o.maxEpochs,
      seed: o.seed,
      modelMetadata: {},
      signal: checkpoint.signal,
    },
    (s, { epoch, rng }) => {
      // The previous best file is no longer named by the committed state.
      if (stale) rmSync(join(checkpoint.dir, stale), { force: true });
      stale = null;
      restoreStopping(stopping, s);
      task.beforeEpoch?.();
      const loss = trainEpoch(task, o, tools, rng.shuffle([...task.samples]));
      const score = task.validate();
      s.history.push({ epoch, loss: finiteOrNull(loss), score: finiteOrNull(score) });
      if (stopping.record(epoch, score)) {
        saveSafetensors(join(checkpoint.dir, bestFile(epoch)), group.stateDict(), {});
        stale = s.best;
        s.best = bestFile(epoch);
        s.bestEpoch = epoch;
        s.bestScore = score;
      }
      s.stopped = !stopping.continues(epoch + 1);
      return true;
    },
  );
  if (stale) rmSync(join(checkpoint.dir, stale), { force: true });
  removeUnnamedBest(checkpoint.dir, state.best);
  if (state.best) group.loadStateDict(loadSafetensors(join(checkpoint.dir, state.best)).tensors);
  tools.dispose();
  const done = state.stopped === true || state.epoch >= o.maxEpochs;
  return {
    bestEpoch: state.bestEpoch,
    bestScore: state.bestScore ?? -Infinity,
    history: state.history.map((h) => ({
      epoch: h.epoch,
      loss: h.loss ?? NaN,
      score: h.score ?? NaN,
    })),
    ...(done ? {} : { interrupted: true as const }),
  };
}

/** Early stopping as the committed state left it (a resumed fit starts from there). */
function restoreStopping(stopping: EarlyStopping, s: FitState): void {
  stopping.bestEpoch = s.bestEpoch;
  stopping.bestScore = s.bestScore ?? -Infinity;
}

/** Best-weight files a kill left behind between writing a new one and the commit. */
function removeUnnamedBest(dir: string, keep: string | null): void {
  for (const f of readdirSync(dir))
    if (f.startsWith(BEST_PREFIX) && f !== keep) rmSync(join(dir, f), { force: true });
}
