/**
 * Mouse → human transfer strategies for the family BiLSTM (the ephys system):
 * - human-only: train on human cells alone (the baseline);
 * - pretrain-finetune: train on mouse, then warm up only the human head with the body
 *   frozen, then fine-tune everything on human;
 * - joint: train both heads together on L_human + 0.5 · L_mouse, then fine-tune on human.
 * Classes must already be aligned across species (same label indices).
 */
import { Rng } from '../../core/random.js';
import { AdamW, F, Tensor, clipGradNorm, manualSeed, tidy } from '../../engine/index.js';
import { DEFAULT_FAMILY_BILSTM, FamilyBiLstm } from '../../models/family-bilstm.js';
import {
  trainFamilyBiLstm,
  type BiLstmTrainOptions,
  type FamilySequences,
} from './bilstm-training.js';

import type { TransferStrategy } from './strategy-names.js';

export type { TransferStrategy };

export interface TransferData {
  mouseTrain: FamilySequences;
  mouseVal: FamilySequences;
  humanTrain: FamilySequences;
  humanVal: FamilySequences;
  classes: number;
}

function batchOf(d: FamilySequences, idx: number[]): { x: Tensor; y: Tensor } {
  const step = d.families * d.width;
  const x = new Float32Array(idx.length * step);
  idx.forEach((i, k) => x.set(d.x.subarray(i * step, (i + 1) * step), k * step));
  return {
    x: Tensor.from(x, [idx.length, d.families, d.width]),
    y: Tensor.from(
      idx.map((i) => d.y[i]),
      [idx.length],
      'int64',
    ),
  };
}

/** Joint epochs over both species: each step a human and a mouse batch, loss L_h + w · L_m. */
function trainJointly(
  model: FamilyBiLstm,
  d: TransferData,
  o: BiLstmTrainOptions,
  epochs: number,
  mouseWeight: number,
): void {
  const rng = new Rng(o.seed + 17);
  const params = model.parameters();
  const opt = new AdamW(params, { lr: o.lr, weightDecay: o.weightDecay });
  model.train();
  for (let epoch = 0; epoch < epochs; epoch++) {
    const human = rng.permutation(d.humanTrain.n);
    const mouse = rng.permutation(d.mouseTrain.n);
    const steps = Math.ceil(d.humanTrain.n / o.batchSize);
    const mouseBatch = Math.ceil(d.mouseTrain.n / steps);
    for (let s = 0; s < steps; s++) {
      tidy(() => {
        const h = batchOf(d.humanTrain, human.slice(s * o.batchSize, (s + 1) * o.batchSize));
        const m = batchOf(d.mouseTrain, mouse.slice(s * mouseBatch, (s + 1) * mouseBatch));
        opt.zeroGrad();
        const loss = F.crossEntropy(model.forward(h.x, 0).logits, h.y).add(
          F.crossEntropy(model.forward(m.x, 1).logits, m.y).mul(mouseWeight),
        );
        loss.backward();
        clipGradNorm(params, o.clip);
        opt.step();
      });
    }
  }
  opt.dispose();
}

/** Trains a model for the human cells with the given strategy; head 0 is the human head. */
export function trainWithStrategy(
  strategy: TransferStrategy,
  d: TransferData,
  o: BiLstmTrainOptions,
  hidden = DEFAULT_FAMILY_BILSTM.hidden,
): FamilyBiLstm {
  manualSeed(o.seed);
  const width = d.humanTrain.width;
  const model = new FamilyBiLstm({
    ...DEFAULT_FAMILY_BILSTM,
    hidden,
    width,
    heads: strategy === 'joint' ? [d.classes, d.classes] : [d.classes],
  });
  if (strategy === 'pretrain-finetune') {
    trainFamilyBiLstm(model, d.mouseTrain, d.mouseVal, o);
    // Head warm-up: a fresh human head trained with the body frozen (no gradients reach it).
    const body = model.parameters().filter((p) => !model.classifiers[0].parameters().includes(p));
    body.forEach((p) => p.requiresGrad_(false));
    model.classifiers[0].weight.uniform_(-1 / Math.sqrt(2 * hidden), 1 / Math.sqrt(2 * hidden));
    trainFamilyBiLstm(model, d.humanTrain, d.humanVal, {
      ...o,
      maxEpochs: Math.min(10, o.maxEpochs),
    });
    body.forEach((p) => p.requiresGrad_(true));
  } else if (strategy === 'joint') {
    trainJointly(model, d, o, Math.min(30, o.maxEpochs), 0.5);
  }
  trainFamilyBiLstm(
    model,
    d.humanTrain,
    d.humanVal,
    strategy === 'human-only' ? o : { ...o, lr: o.lr / 2 },
  );
  return model;
}
