/**
 * The one early-stopping fit of the neural classifiers (the cell encoder's cell-type head,
 * the family BiLSTM): AdamW, seeded shuffled batches, cross-entropy with balanced class
 * weights (stats' balancedClassWeights), gradient clipping, a validation score after every
 * epoch, stop once `patience` epochs have passed without a better score, and the weights of
 * the best epoch restored.
 *
 * The caller seeds libtorch (manualSeed) before building its model and calling this; the
 * shuffling stream is `new Rng(seed)` here. Given a checkpoint folder, the fit runs through
 * the shared resumable loop instead (classifier-fit-resume.ts).
 */
import { Rng } from '../core/random.js';
import { keep, tidy, type Module, type Tensor } from '../engine/index.js';
import {
  EarlyStopping,
  fitTools,
  trainEpoch,
  type ClassifierFitOptions,
  type ClassifierFitResult,
  type ClassifierFitTask,
} from './classifier-epoch.js';
import { fitClassifierResumable, type ClassifierCheckpoint } from './classifier-fit-resume.js';

export {
  EarlyStopping,
  type ClassifierCheckpoint,
  type ClassifierFitOptions,
  type ClassifierFitResult,
  type ClassifierFitTask,
};

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
  if (checkpoint) return fitClassifierResumable(task, o, checkpoint);
  const tools = fitTools(task, o);
  const rng = new Rng(o.seed);
  const stopping = new EarlyStopping(o.patience, o.maxEpochs);
  let best: Map<string, Tensor>[] | null = null;
  const history: ClassifierFitResult['history'] = [];
  for (let epoch = 0; stopping.continues(epoch); epoch++) {
    task.beforeEpoch?.();
    const loss = trainEpoch(task, o, tools, rng.shuffle([...task.samples]));
    const score = task.validate();
    history.push({ epoch, loss, score });
    if (stopping.record(epoch, score)) {
      dispose(best);
      best = snapshot(task.modules);
    }
  }
  if (best) task.modules.forEach((m, k) => m.loadStateDict(best![k]));
  dispose(best);
  tools.dispose();
  return { bestEpoch: stopping.bestEpoch, bestScore: stopping.bestScore, history };
}
