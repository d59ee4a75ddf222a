/**
 * The pieces of the classifier fit that both its runs share, the plain one and the
 * checkpointed one (classifier-fit-resume.ts): options, early stopping, one epoch of batches.
 */
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
  /**
   * Which weights the fit ends with: those of the best validation epoch (default), or the
   * mean of the weights at the end of every epoch from the second to the last one run
   * (stochastic weight averaging; see classifier-fit.ts). Early stopping decides how many
   * epochs run either way.
   */
  keep?: KeptWeights;
}

export const KEPT_WEIGHTS = ['best-epoch', 'epoch-average'] as const;
export type KeptWeights = (typeof KEPT_WEIGHTS)[number];

export interface ClassifierFitTask {
  /** The training samples (whatever indices `logits` reads), shuffled into batches each epoch. */
  samples: readonly number[];
  /** Class index (0 … classes − 1) of every sample, indexed by sample. */
  y: ArrayLike<number>;
  classes: number;
  /** What the optimizer updates (and clipping sees). */
  params: Tensor[];
  /** A multiplier of the learning rate per parameter of `params` (default all 1). */
  lrScales?: readonly number[];
  /** Logits [batch, classes] of these samples, in training mode. */
  logits: (samples: number[]) => Tensor;
  /** The validation score after an epoch (higher is better, e.g. macro-F1). */
  validate: () => number;
  /** Whose weights the best epoch's snapshot holds and restores (and checkpoints save). */
  modules: Module[];
  /** Called before each epoch's batches (e.g. to set training mode). */
  beforeEpoch?: () => void;
  /**
   * A weight per sample (indexed like `y`) multiplying its balanced class weight, e.g.
   * stats' groupEvenWeights; the batch loss is then the weighted mean over its samples.
   */
  sampleWeights?: ArrayLike<number>;
}

export interface ClassifierFitResult {
  /** The kept epoch (0-based); −1 when no epoch scored (no weights restored then). */
  bestEpoch: number;
  bestScore: number;
  history: { epoch: number; loss: number; score: number }[];
  /** With `keep: 'epoch-average'`: the validation score of the averaged weights. */
  averageScore?: number;
  /** Set when a checkpointed fit was stopped by its signal before it finished. */
  interrupted?: true;
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

/** What an epoch trains with: the optimizer and the balanced class weights (kept tensors). */
export interface FitTools {
  optimizer: AdamW;
  weight: Tensor;
  /** The same class weights as numbers, for per-sample weights. */
  classWeights: Float64Array;
  dispose: () => void;
}

export function fitTools(task: ClassifierFitTask, o: ClassifierFitOptions): FitTools {
  const classWeights = balancedClassWeights(
    task.samples.map((i) => task.y[i]),
    task.classes,
  );
  const weight = keep(Tensor.from(classWeights, [task.classes], 'float32'));
  const optimizer = new AdamW(task.params, {
    lr: o.lr,
    weightDecay: o.weightDecay,
    lrScales: task.lrScales,
  });
  return {
    optimizer,
    weight,
    classWeights,
    dispose: () => {
      optimizer.dispose();
      weight.dispose();
    },
  };
}

/** One epoch over the samples in `order`, in batches; the mean batch loss. */
export function trainEpoch(
  task: ClassifierFitTask,
  o: ClassifierFitOptions,
  tools: FitTools,
  order: number[],
): number {
  const { optimizer } = tools;
  let lossSum = 0;
  let batches = 0;
  for (let s = 0; s < order.length; s += o.batchSize) {
    const idx = order.slice(s, s + o.batchSize);
    lossSum += tidy(() => {
      optimizer.zeroGrad();
      const target = Tensor.from(
        idx.map((i) => task.y[i]),
        [idx.length],
        'int64',
      );
      const loss = batchLoss(task, tools, idx, task.logits(idx), target);
      loss.backward();
      clipGradNorm(task.params, o.clip);
      optimizer.step();
      return loss.item();
    });
    batches++;
  }
  return lossSum / batches;
}

/**
 * Cross-entropy of a batch weighted by class (PyTorch's weighted mean: Σ wᵢ·lossᵢ / Σ wᵢ with
 * wᵢ the class weight of sample i's class), times the task's sample weights when it has them.
 */
function batchLoss(
  task: ClassifierFitTask,
  tools: FitTools,
  idx: number[],
  logits: Tensor,
  target: Tensor,
): Tensor {
  const sw = task.sampleWeights;
  if (!sw) return F.crossEntropy(logits, target, { weight: tools.weight });
  const w = idx.map((i) => tools.classWeights[task.y[i]] * sw[i]);
  const total = w.reduce((a, b) => a + b, 0);
  const perSample = F.crossEntropy(logits, target, { reduction: 'none' });
  return perSample
    .mul(Tensor.from(w, [idx.length], 'float32'))
    .sum()
    .div(total);
}
