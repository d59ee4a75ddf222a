/**
 * Losses for sparse binary targets (spike / no spike per unit-bin), selected by name.
 * Soft Dice is the seed paper's choice: it normalises by the number of spikes, so the
 * ~99 % of empty bins cannot dominate the gradient the way they do in BCE.
 */
import { F, full, type Tensor } from '../engine/index.js';
import { UsageError } from '../core/errors.js';

export const LOSS_NAMES = ['dice', 'focal', 'bce'] as const;
export type LossName = (typeof LOSS_NAMES)[number];

export interface LossOptions {
  /** Dice smoothing ε (numerator and denominator). */
  diceEpsilon?: number;
  /** Focal exponent γ. */
  focalGamma?: number;
  /** Focal weight of the positive class α (1 − α for negatives); null = unweighted. */
  focalAlpha?: number | null;
  /** Weighted BCE: weight of positive targets. */
  bcePosWeight?: number;
}

/** 1 − (2 Σ p y + ε) / (Σ p + Σ y + ε), p = σ(logits), summed over every element. */
export function softDiceLoss(logits: Tensor, target: Tensor, epsilon = 1): Tensor {
  const p = logits.sigmoid();
  const intersection = p.mul(target).sum();
  const denominator = p.sum().add(target.sum()).add(epsilon);
  return intersection.mul(2).add(epsilon).div(denominator).neg().add(1);
}

/**
 * Binary focal loss (Lin et al. 2017): −α y (1−p)^γ log p − (1−α)(1−y) p^γ log(1−p),
 * averaged; log p is computed as logσ(x) for numerical stability.
 */
export function focalLoss(
  logits: Tensor,
  target: Tensor,
  gamma = 2,
  alpha: number | null = null,
): Tensor {
  const logP = logits.logSigmoid();
  const log1mP = logits.neg().logSigmoid();
  const p = logits.sigmoid();
  const positive = target.mul(p.neg().add(1).pow(gamma)).mul(logP);
  const negative = target.neg().add(1).mul(p.pow(gamma)).mul(log1mP);
  const [positiveWeight, negativeWeight] = alpha === null ? [1, 1] : [alpha, 1 - alpha];
  return positive.mul(positiveWeight).add(negative.mul(negativeWeight)).neg().mean();
}

/** BCE with logits, positives weighted by posWeight. */
export function weightedBceLoss(logits: Tensor, target: Tensor, posWeight = 1): Tensor {
  return F.bceWithLogits(logits, target, {
    posWeight: full([1], posWeight, logits.dtype, logits.device),
  });
}

export function lossByName(
  name: LossName,
  o: LossOptions = {},
): (logits: Tensor, target: Tensor) => Tensor {
  switch (name) {
    case 'dice':
      return (l, t) => softDiceLoss(l, t, o.diceEpsilon ?? 1);
    case 'focal':
      return (l, t) => focalLoss(l, t, o.focalGamma ?? 2, o.focalAlpha ?? null);
    case 'bce':
      return (l, t) => weightedBceLoss(l, t, o.bcePosWeight ?? 1);
    default:
      throw new UsageError(`unknown loss '${name as string}' (dice, focal, bce)`);
  }
}
