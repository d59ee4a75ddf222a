/**
 * The one early-stopping fit of the neural classifiers (the cell encoder's cell-type head,
 * the family BiLSTM): AdamW, seeded shuffled batches, cross-entropy with balanced class
 * weights (stats' balancedClassWeights), gradient clipping, a validation score after every
 * epoch, stop once `patience` epochs have passed without a better score, and the weights of
 * the best epoch restored.
 *
 * The caller seeds libtorch (manualSeed) before building its model and calling this; the
 * shuffling stream is `new Rng(seed)` here.
 */
import { Rng } from '../core/random.js';
import { AdamW, F, Tensor, clipGradNorm, keep, tidy, type Module } from '../engine/index.js';
import { balancedClassWeights } from '../stats/classification.js';

export interface ClassifierFitOptions {
  lr: number;
  weightDecay: number;
  /** Maximum gradient norm. */
  clip: number;
  batchSize: number;
  /** Epochs without a better validation score before stopping. */
  patience: number;
  maxEpochs: number;
  /** Seeds the batch shuffling. */
  seed: number;
}

export interface ClassifierFitTask {
  /** The training samples (whatever indices `logits` reads), shuffled into batches each epoch. */
  samples: readonly number[];
  /** Class index (0 … classes − 1) of every sample, indexed by sample. */
  y: ArrayLike<number>;
  classes: number;
  /** What the optimizer updates (and clipping sees). */
  params: Tensor[];
  /** Logits [batch, classes] of these samples, in training mode. */
  logits: (samples: number[]) => Tensor;
  /** The validation score after an epoch (higher is better, e.g. macro-F1). */
  validate: () => number;
  /** Whose weights the best epoch's snapshot holds and restores. */
  modules: Module[];
  /** Called before each epoch's batches (e.g. to set training mode). */
  beforeEpoch?: () => void;
}

export interface ClassifierFitResult {
  /** The kept epoch (0-based); −1 when no epoch scored (no weights restored then). */
  bestEpoch: number;
  bestScore: number;
  history: { epoch: number; loss: number; score: number }[];
}

/**
 * Early stopping on a validation score: epoch `e` runs while e < maxEpochs and fewer than
 * `patience` epochs after the best one have gone by without a better score.
 */
export class EarlyStopping {
  bestEpoch = -1;
  bestScore = -Infinity;
  constructor(
    readonly patience: number,
    readonly maxEpochs: number,
  ) {}

  /** Whether epoch `epoch` (0-based) runs. */
  continues(epoch: number): boolean {
    return epoch < this.maxEpochs && epoch - this.bestEpoch <= this.patience;
  }

  /** Records an epoch's score; true when it is better than every earlier one. */
  record(epoch: number, score: number): boolean {
    if (!(score > this.bestScore)) return false;
    this.bestEpoch = epoch;
    this.bestScore = score;
    return true;
  }
}

/** Copies of the modules' parameters and buffers. */
function snapshot(modules: Module[]): Map<string, Tensor>[] {
  return tidy(() =>
    modules.map(
      (m) => new Map([...m.stateDict()].map(([k, t]) => [k, keep(t.detach().clone())] as const)),
    ),
  );
}

function dispose(state: Map<string, Tensor>[] | null): void {
  state?.forEach((m) => m.forEach((t) => t.dispose()));
}

/** Trains in place; the modules end with the weights of the best validation epoch. */
export function fitClassifier(
  task: ClassifierFitTask,
  o: ClassifierFitOptions,
): ClassifierFitResult {
  const { samples, y } = task;
  const weight = keep(
    Tensor.from(
      balancedClassWeights(
        samples.map((i) => y[i]),
        task.classes,
      ),
      [task.classes],
      'float32',
    ),
  );
  const optimizer = new AdamW(task.params, { lr: o.lr, weightDecay: o.weightDecay });
  const rng = new Rng(o.seed);
  const stopping = new EarlyStopping(o.patience, o.maxEpochs);
  let best: Map<string, Tensor>[] | null = null;
  const history: ClassifierFitResult['history'] = [];
  for (let epoch = 0; stopping.continues(epoch); epoch++) {
    task.beforeEpoch?.();
    const order = rng.shuffle([...samples]);
    let lossSum = 0;
    let batches = 0;
    for (let s = 0; s < order.length; s += o.batchSize) {
      const idx = order.slice(s, s + o.batchSize);
      lossSum += tidy(() => {
        optimizer.zeroGrad();
        const target = Tensor.from(
          idx.map((i) => y[i]),
          [idx.length],
          'int64',
        );
        const loss = F.crossEntropy(task.logits(idx), target, { weight });
        loss.backward();
        clipGradNorm(task.params, o.clip);
        optimizer.step();
        return loss.item();
      });
      batches++;
    }
    const score = task.validate();
    history.push({ epoch, loss: lossSum / batches, score });
    if (stopping.record(epoch, score)) {
      dispose(best);
      best = snapshot(task.modules);
    }
  }
  if (best) task.modules.forEach((m, k) => m.loadStateDict(best![k]));
  dispose(best);
  optimizer.dispose();
  weight.dispose();
  return { bestEpoch: stopping.bestEpoch, bestScore: stopping.bestScore, history };
}
