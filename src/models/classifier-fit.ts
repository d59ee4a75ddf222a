/**
 * The one early-stopping fit of the neural classifiers (the cell encoder's cell-type head,
 * the family BiLSTM): AdamW, seeded shuffled batches, cross-entropy with balanced class
 * weights (stats' balancedClassWeights), gradient clipping, a validation score after every
 * epoch, stop once `patience` epochs have passed without a better score, and the weights of
 * the best epoch restored.
 *
 * With `keep: 'epoch-average'` the fit ends instead with the mean of the weights at the end of
 * epochs 1 … last (stochastic weight averaging, Izmailov et al. 2018; averaged densely along
 * the fine-tuning path it is SWAD, Cha et al. 2021, a domain-generalisation method): a
 * cross-species fine-tune selected on a validation split of the *source* species lands on
 * whichever epoch happened to score best there, which varies between seeds; the average of
 * the path does not depend on that choice. Epoch 0 is left out: the new head starts random.
 * Only floating-point tensors are averaged; others keep their last value.
 *
 * The caller seeds libtorch (manualSeed) before building its model and calling this; the
 * shuffling stream is `new Rng(seed)` here. Given a checkpoint folder, the fit runs through
 * the shared resumable loop instead (classifier-fit-resume.ts).
 */
import { UsageError } from '../core/errors.js';
import { Rng } from '../core/random.js';
import { keep, tidy, type Module, type Tensor } from '../engine/index.js';
import {
  EarlyStopping,
  KEPT_WEIGHTS,
  fitTools,
  trainEpoch,
  type ClassifierFitOptions,
  type ClassifierFitResult,
  type ClassifierFitTask,
  type KeptWeights,
} from './classifier-epoch.js';
import { fitClassifierResumable, type ClassifierCheckpoint } from './classifier-fit-resume.js';

export {
  EarlyStopping,
  KEPT_WEIGHTS,
  type KeptWeights,
  type ClassifierCheckpoint,
  type ClassifierFitOptions,
  type ClassifierFitResult,
  type ClassifierFitTask,
};

/** Copies of the modules' parameters and buffers. */
const snapshot = (modules: Module[]): Map<string, Tensor>[] =>
  modules.map((m) => m.cloneStateDict());

function dispose(state: Map<string, Tensor>[] | null): void {
  state?.forEach((m) => m.forEach((t) => t.dispose()));
}

const isFloat = (t: Tensor) => t.dtype === 'float32' || t.dtype === 'float64';

/** The running mean of the modules' weights over the epochs added to it. */
class WeightAverage {
  private mean: Map<string, Tensor>[] | null = null;
  private count = 0;

  add(modules: Module[]): void {
    if (!this.mean) {
      this.mean = snapshot(modules);
      this.count = 1;
      return;
    }
    this.count++;
    const n = this.count;
    const previous = this.mean;
    this.mean = tidy(() =>
      modules.map((m, k) => {
        const next = new Map<string, Tensor>();
        for (const [name, t] of m.stateDict()) {
          const avg = previous[k].get(name)!;
          // mean_n = mean_{n-1} + (w − mean_{n-1}) / n, which stays exact for n = 1, 2, …
          next.set(
            name,
            keep(isFloat(t) ? avg.add(t.detach().sub(avg).div(n)) : t.detach().clone()),
          );
        }
        return next;
      }),
    );
    dispose(previous);
  }

  /** Loads the mean into the modules; false when no epoch was added. */
  loadInto(modules: Module[]): boolean {
    if (!this.mean) return false;
    modules.forEach((m, k) => m.loadStateDict(this.mean![k]));
    return true;
  }

  dispose(): void {
    dispose(this.mean);
    this.mean = null;
  }
}

/**
 * Trains in place; the modules end with the weights of the best validation epoch. With
 * `checkpoint`, every epoch is committed to its folder and a fit given the same folder
 * resumes there (a stopped fit returns `interrupted`).
 */
export function fitClassifier(
  task: ClassifierFitTask,
  o: ClassifierFitOptions,
  checkpoint?: ClassifierCheckpoint,
): ClassifierFitResult {
  const averaging = (o.keep ?? 'best-epoch') === 'epoch-average';
  if (checkpoint) {
    if (averaging)
      throw new UsageError(
        "option `keep` 'epoch-average' is not available with a checkpointed fit: use 'best-epoch'",
      );
    return fitClassifierResumable(task, o, checkpoint);
  }
  const tools = fitTools(task, o);
  const rng = new Rng(o.seed);
  const stopping = new EarlyStopping(o.patience, o.maxEpochs);
  let best: Map<string, Tensor>[] | null = null;
  const average = new WeightAverage();
  const history: ClassifierFitResult['history'] = [];
  for (let epoch = 0; stopping.continues(epoch); epoch++) {
    task.beforeEpoch?.();
    const loss = trainEpoch(task, o, tools, rng.shuffle([...task.samples]));
    const score = task.validate();
    history.push({ epoch, loss, score });
    if (averaging) {
      if (epoch >= 1 || o.maxEpochs === 1) average.add(task.modules);
      stopping.record(epoch, score);
    } else if (stopping.record(epoch, score)) {
      dispose(best);
      best = snapshot(task.modules);
    }
  }
  let averageScore: number | undefined;
  if (averaging && average.loadInto(task.modules)) averageScore = task.validate();
  else if (best) task.modules.forEach((m, k) => m.loadStateDict(best![k]));
  dispose(best);
  average.dispose();
  tools.dispose();
  return {
    bestEpoch: stopping.bestEpoch,
    bestScore: stopping.bestScore,
    history,
    ...(averageScore === undefined ? {} : { averageScore }),
  };
}
