/**
 * Scores one-step-ahead predictions of a split: pooled and per-unit ranking metrics, chance
 * levels, two stated thresholds with spike / non-spike accuracy, firing-rate correlation,
 * ISI-distribution distance, and bits per spike. Model-agnostic: the transformer and the
 * baselines are all scored by this one function.
 */
import {
  meanSd,
  pearson,
  rankingMetrics,
  rocCurve,
  type RankingMetrics,
} from '../../../stats/index.js';
import {
  binaryAccuracy,
  bitsPerSpike,
  countsPerUnit,
  ksStatistic,
  pooledIsis,
  rateMatchedThreshold,
  youdenThreshold,
  type BinaryAccuracy,
} from '../../../stats/point-process.js';

export interface SpikeScores {
  bins: number;
  units: number;
  /** prAuc is the interpolated PR area; prAucTrapezoid is sklearn's, kept for comparison. */
  pooled: RankingMetrics;
  /** Over units with at least one spike and one empty bin. */
  perUnit: {
    rocAuc: { mean: number; sd: number };
    prAuc: { mean: number; sd: number };
    averagePrecision: { mean: number; sd: number };
    scoredUnits: number;
  };
  /**
   * A predictor without information: ROC-AUC 0.5; PR-AUC and AP equal the spike fraction
   * (the trapezoidal PR area of a constant score would be (1 + spike fraction) / 2).
   */
  chance: { rocAuc: number; prAuc: number; averagePrecision: number };
  thresholds: {
    /** As many predicted spikes as true ones. */
    rateMatched: BinaryAccuracy;
    /** Youden's J maximised subject to FPR ≤ fprCap (released code: 0.005). */
    youden: BinaryAccuracy & { fprCap: number };
  };
  /** Pearson r across units between true and predicted (rate-matched) spike counts. */
  rateCorrelation: number;
  /** KS distance between pooled ISI distributions of true and predicted (rate-matched) spikes. */
  isiKs: number;
  bitsPerSpike: number;
}

export function scoreSpikePredictions(
  probabilities: Float32Array,
  labels: Uint8Array,
  units: number,
  fprCap = 0.005,
): SpikeScores {
  if (probabilities.length !== labels.length) {
    throw new Error(
      `scoreSpikePredictions: ${probabilities.length} scores for ${labels.length} labels`,
    );
  }
  const bins = labels.length / units;
  let spikes = 0;
  for (let i = 0; i < labels.length; i++) spikes += labels[i];
  const spikeFraction = spikes / labels.length;

  const perUnit = { rocAuc: [] as number[], prAuc: [] as number[], ap: [] as number[] };
  const us = new Float32Array(bins);
  const ul = new Uint8Array(bins);
  for (let u = 0; u < units; u++) {
    let count = 0;
    for (let t = 0; t < bins; t++) {
      us[t] = probabilities[t * units + u];
      ul[t] = labels[t * units + u];
      count += ul[t];
    }
    if (count === 0 || count === bins) continue;
    const m = rankingMetrics(us, ul);
    perUnit.rocAuc.push(m.rocAuc);
    perUnit.prAuc.push(m.prAuc);
    perUnit.ap.push(m.averagePrecision);
  }

  const curve = rocCurve(probabilities, labels);
  const rateTh = rateMatchedThreshold(probabilities, labels);
  const youdenTh = youdenThreshold(curve, fprCap);
  const trueCounts = countsPerUnit(labels, units);
  const predictedCounts = countsPerUnit(probabilities, units, rateTh);
  return {
    bins,
    units,
    pooled: rankingMetrics(probabilities, labels),
    perUnit: {
      rocAuc: meanSd(perUnit.rocAuc),
      prAuc: meanSd(perUnit.prAuc),
      averagePrecision: meanSd(perUnit.ap),
      scoredUnits: perUnit.rocAuc.length,
    },
    chance: { rocAuc: 0.5, prAuc: spikeFraction, averagePrecision: spikeFraction },
    thresholds: {
      rateMatched: binaryAccuracy(probabilities, labels, rateTh),
      youden: { ...binaryAccuracy(probabilities, labels, youdenTh), fprCap },
    },
    rateCorrelation: pearson(Array.from(trueCounts), Array.from(predictedCounts)).r,
    isiKs: ksStatistic(pooledIsis(labels, units), pooledIsis(probabilities, units, rateTh)),
    bitsPerSpike: bitsPerSpike(probabilities, labels, units),
  };
}
