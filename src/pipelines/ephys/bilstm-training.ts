/**
 * Training of the family BiLSTM (AdamW lr 1e-3, weight decay 1e-4, gradient clip 2.0,
 * batch 64, class-weighted cross-entropy, early stopping with patience 7 on validation
 * macro-F1, best weights restored). Several heads share the body for joint training.
 */
import { Rng } from '../../core/random.js';
import {
  AdamW,
  F,
  Tensor,
  clipGradNorm,
  keep,
  manualSeed,
  noGrad,
  tidy,
} from '../../engine/index.js';
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

export interface BiLstmTrainOptions {
  lr: number;
  weightDecay: number;
  clip: number;
  batchSize: number;
  patience: number;
  maxEpochs: number;
  seed: number;
}
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
  const rng = new Rng(o.seed);
  const classes = model.config.heads[head];
  const counts = new Float64Array(classes);
  for (const c of train.y) counts[c]++;
  // Inverse-frequency class weights (sklearn's 'balanced'): n / (classes · count).
  const weight = keep(
    Tensor.from(
      Array.from(counts, (c) => (c ? train.n / (classes * c) : 0)),
      [classes],
    ),
  );
  const params = model.parameters();
  const opt = new AdamW(params, { lr: o.lr, weightDecay: o.weightDecay });
  let best = { epoch: -1, f1: -Infinity, state: null as Map<string, Tensor> | null };
  const history: BiLstmTrainResult['history'] = [];
  for (let epoch = 0; epoch < o.maxEpochs && epoch - best.epoch <= o.patience; epoch++) {
    model.train();
    const order = rng.permutation(train.n);
    let lossSum = 0;
    let batches = 0;
    for (let s = 0; s < train.n; s += o.batchSize) {
      const idx = order.slice(s, s + o.batchSize);
      lossSum += tidy(() => {
        opt.zeroGrad();
        const loss = F.crossEntropy(
          model.forward(rows(train, idx), head).logits,
          Tensor.from(
            idx.map((i) => train.y[i]),
            [idx.length],
            'int64',
          ),
          {
            weight,
          },
        );
        loss.backward();
        clipGradNorm(params, o.clip);
        opt.step();
        return loss.item();
      });
      batches++;
    }
    const f1 = macroF1(Array.from(val.y), Array.from(predictFamilies(model, val, head).predicted));
    history.push({ epoch, loss: lossSum / batches, valMacroF1: f1 });
    if (f1 > best.f1) {
      best.state?.forEach((t) => t.dispose());
      best = {
        epoch,
        f1,
        state: new Map([...model.stateDict()].map(([k, t]) => [k, keep(t.clone())])),
      };
    }
  }
  if (best.state) {
    model.loadStateDict(best.state);
    best.state.forEach((t) => t.dispose());
  }
  weight.dispose();
  opt.dispose();
  return { bestEpoch: best.epoch, bestValMacroF1: best.f1, history };
}
