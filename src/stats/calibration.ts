/**
 * Platt scaling: p' = σ(a·logit(p) + b), with a and b fitted by maximum likelihood on held-out
 * labels. Turns the scores of a model trained on a non-likelihood objective (Dice, focal)
 * into probabilities, so bits per spike compare with likelihood-trained models; a monotone
 * map, it leaves ROC-AUC and average precision unchanged.
 */
import { fitLogisticNewton, sigmoid } from './logistic-newton.js';
import { logitOf as logit } from './logit-combination.js';

export interface PlattScaling {
  scale: number;
  shift: number;
}

export function fitPlatt(scores: ArrayLike<number>, labels: ArrayLike<number>): PlattScaling {
  const fit = fitLogisticNewton(
    {
      rows: labels.length,
      columns: 1,
      row: (i, x) => {
        x[0] = logit(scores[i]);
        return labels[i];
      },
    },
    { l2: 0 },
  );
  return { scale: fit.weights[0], shift: fit.intercept };
}

export function applyPlatt(scores: ArrayLike<number>, c: PlattScaling): Float32Array {
  const out = new Float32Array(scores.length);
  for (let i = 0; i < out.length; i++) out[i] = sigmoid(c.scale * logit(scores[i]) + c.shift);
  return out;
}
