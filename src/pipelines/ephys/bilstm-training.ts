/**
 * Training of the family BiLSTM through the shared classifier fit (models/classifier-fit.ts)
 * with the paper's settings: AdamW lr 1e-3, weight decay 1e-4, gradient clip 2.0, batch 64,
 * balanced class weights, early stopping with patience 7 on validation macro-F1, best
 * weights restored. Several heads share the body for joint training.
 */
import { Tensor, manualSeed, noGrad, tidy } from '../../engine/index.js';
import { fitClassifier, type ClassifierFitOptions } from '../../models/classifier-fit.js';
import { FamilyBiLstm } from '../../models/family-bilstm.js';
import { macroF1 } from '../../stats/index.js';

/** Cells as a [n, families, width] block plus integer class labels. */
export interface FamilySequences {
  x: Float32Array;
  n: number;
  families: number;
  width: number;
  y: Int32Array;
}

/** The shared classifier fit's settings (models/classifier-fit.ts). */
export type BiLstmTrainOptions = ClassifierFitOptions;
export const PAPER_BILSTM_TRAINING: BiLstmTrainOptions = {
  lr: 1e-3,
  weightDecay: 1e-4,
  clip: 2.0,
  batchSize: 64,
  patience: 7,
  maxEpochs: 100,
  seed: 0,
};

function rows(d: FamilySequences, idx: number[]): Tensor {
  const step = d.families * d.width;
  const out = new Float32Array(idx.length * step);
  idx.forEach((i, k) => out.set(d.x.subarray(i * step, (i + 1) * step), k * step));
  return Tensor.from(out, [idx.length, d.families, d.width]);
}

/** Class-predictions and attention weights for every cell of `d`. */
export function predictFamilies(
  model: FamilyBiLstm,
  d: FamilySequences,
  head = 0,
): { predicted: Int32Array; attention: Float32Array } {
  model.eval();
  return tidy(() =>
    noGrad(() => {
      const r = model.forward(
        rows(
          d,
          Array.from({ length: d.n }, (_, i) => i),
        ),
        head,
      );
      return {
        predicted: Int32Array.from(r.logits.argmax(1).toNumbers()),
        attention: r.attention.contiguous().toArray() as Float32Array,
      };
    }),
  );
}

export interface BiLstmTrainResult {
  bestEpoch: number;
  bestValMacroF1: number;
  history: { epoch: number; loss: number; valMacroF1: number }[];
}

/** Trains `model` (head `head`) in place; restores the weights of the best validation epoch. */
export function trainFamilyBiLstm(
  model: FamilyBiLstm,
  train: FamilySequences,
  val: FamilySequences,
  o: BiLstmTrainOptions = PAPER_BILSTM_TRAINING,
  head = 0,
): BiLstmTrainResult {
  manualSeed(o.seed);
  const r = fitClassifier(
    {
      samples: Array.from({ length: train.n }, (_, i) => i),
      y: train.y,
      classes: model.config.heads[head],
      params: model.parameters(),
      logits: (idx) => model.forward(rows(train, idx), head).logits,
      validate: () =>
        macroF1(Array.from(val.y), Array.from(predictFamilies(model, val, head).predicted)),
      modules: [model],
      beforeEpoch: () => model.train(),
    },
    o,
  );
  return {
    bestEpoch: r.bestEpoch,
    bestValMacroF1: r.bestScore,
    history: r.history.map((h) => ({ epoch: h.epoch, loss: h.loss, valMacroF1: h.score })),
  };
}
