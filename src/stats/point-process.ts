/**
 * Metrics for predicted spike probabilities on binned data (rows = bins, columns = units,
 * row-major): likelihood gain in bits per spike, thresholds, binary accuracies, rate and
 * inter-spike-interval comparisons. Plain loops over typed arrays: these run on tens of
 * millions of unit-bins.
 */

const CLIP = 1e-9;

/** Bernoulli log-likelihood of one bin, with the probability clipped away from 0 and 1. */
function bernoulliLogLikelihood(p: number, spike: number): number {
  const q = Math.min(1 - CLIP, Math.max(CLIP, p));
  return spike ? Math.log(q) : Math.log1p(-q);
}

/**
 * Bits per spike (Pei et al. 2021, Neural Latents Benchmark, Bernoulli form): the
 * log-likelihood of the predictions minus that of each unit's constant mean-rate null (the
 * unit's mean over the evaluated bins, as NLB does), divided by the number of spikes and by
 * ln 2. Positive = better than knowing only the rates.
 */
export function bitsPerSpike(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  units: number,
): number {
  const bins = labels.length / units;
  const rate = new Float64Array(units);
  let spikes = 0;
  for (let i = 0; i < labels.length; i++) {
    rate[i % units] += labels[i];
    spikes += labels[i];
  }
  for (let u = 0; u < units; u++) rate[u] /= bins;
  let gain = 0;
  for (let i = 0; i < labels.length; i++) {
    gain +=
      bernoulliLogLikelihood(probabilities[i], labels[i]) -
      bernoulliLogLikelihood(rate[i % units], labels[i]);
  }
  return spikes > 0 ? gain / spikes / Math.LN2 : NaN;
}

/**
 * Bernoulli log-likelihood of each of `blocks` contiguous stretches of bins (rows), e.g. for
 * a paired comparison of two models over the same stretches.
 */
export function blockLogLikelihoods(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  units: number,
  blocks: number,
): number[] {
  const bins = labels.length / units;
  const sums = new Array<number>(blocks).fill(0);
  for (let t = 0; t < bins; t++) {
    const block = Math.min(blocks - 1, Math.floor((t * blocks) / bins));
    for (let u = 0; u < units; u++)
      sums[block] += bernoulliLogLikelihood(probabilities[t * units + u], labels[t * units + u]);
  }
  return sums;
}

/**
 * The threshold at which the number of predicted spikes equals the number of true spikes
 * (the k-th largest score, k = number of positives; ties may admit a few more).
 */
export function rateMatchedThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let k = 0;
  for (let i = 0; i < labels.length; i++) k += labels[i];
  if (k === 0) return Infinity;
  const sorted = Float64Array.from(scores).sort();
  return sorted[sorted.length - k];
}

export interface BinaryAccuracy {
  threshold: number;
  /** Fraction of spike bins predicted as spikes (sensitivity, TPR). */
  spikeAccuracy: number;
  /** Fraction of empty bins predicted as empty (specificity, 1 − FPR). */
  nonSpikeAccuracy: number;
  predictedSpikes: number;
  trueSpikes: number;
}

/** Predictions are spikes where score ≥ threshold. */
export function binaryAccuracy(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold: number,
): BinaryAccuracy {
  let tp = 0,
    fp = 0,
    pos = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = scores[i] >= threshold;
    if (labels[i]) {
      pos++;
      if (predicted) tp++;
    } else if (predicted) fp++;
  }
  const neg = labels.length - pos;
  return {
    threshold,
    spikeAccuracy: pos ? tp / pos : NaN,
    nonSpikeAccuracy: neg ? 1 - fp / neg : NaN,
    predictedSpikes: tp + fp,
    trueSpikes: pos,
  };
}

/**
 * Youden's J (TPR − FPR) maximised over the ROC points whose FPR does not exceed `fprCap`
 * (the released code's rule, cap 0.005). Takes the curve so callers reuse one sort.
 */
export function youdenThreshold(
  curve: { fpr: ArrayLike<number>; tpr: ArrayLike<number>; thresholds: ArrayLike<number> },
  fprCap: number,
): number {
  let best = -Infinity;
  let threshold = Infinity;
  for (let i = 0; i < curve.fpr.length; i++) {
    if (curve.fpr[i] > fprCap) continue;
    const j = curve.tpr[i] - curve.fpr[i];
    if (j > best) {
      best = j;
      threshold = curve.thresholds[i];
    }
  }
  return threshold;
}

/** Spike counts per unit of a binary raster (or of scores ≥ threshold). */
export function countsPerUnit(
  values: ArrayLike<number>,
  units: number,
  threshold = 0.5,
): Float64Array {
  const counts = new Float64Array(units);
  for (let i = 0; i < values.length; i++) if (values[i] >= threshold) counts[i % units]++;
  return counts;
}

/** Inter-spike intervals (in bins) of every unit, pooled. */
export function pooledIsis(
  values: ArrayLike<number>,
  units: number,
  threshold = 0.5,
): Float64Array {
  const last = new Float64Array(units).fill(-1);
  const out: number[] = [];
  const bins = values.length / units;
  for (let t = 0; t < bins; t++) {
    for (let u = 0; u < units; u++) {
      if (values[t * units + u] >= threshold) {
        if (last[u] >= 0) out.push(t - last[u]);
        last[u] = t;
      }
    }
  }
  return Float64Array.from(out);
}

/** Two-sample Kolmogorov–Smirnov statistic sup |F_a − F_b| (NaN if a sample is empty). */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length === 0 || b.length === 0) return NaN;
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let i = 0,
    j = 0,
    d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}
