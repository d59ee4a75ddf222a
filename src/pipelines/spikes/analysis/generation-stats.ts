/**
 * How much a free-running sample looks like held-out data: per-unit rates, the pooled ISI
 * distribution, pairwise spike-count correlations and population bursts, each compared
 * with the observed bins that follow the same seed window. Used for the transformer's and
 * the multi-scale GLM's samples side by side (a generator should at least match the GLM).
 */
import { pearson } from '../../../stats/hypothesis-tests.js';
import { ksStatistic, pooledIsis } from '../../../stats/point-process.js';
import type { BinaryRaster } from '../data/raster.js';

/** Bins (1 ms) per count bin for pairwise correlations, and per population-rate bin for bursts. */
const CORRELATION_BIN = 20;
const BURST_BIN = 10;

export interface SampleStatistics {
  bins: number;
  meanRateHz: number;
  /** Mean Pearson r of spike counts in 20 ms bins over unit pairs that both fired. */
  meanPairwiseCorrelation: number;
  /** Runs of 10 ms bins whose population count exceeds the observed mean + 3 sd. */
  burstsPerSecond: number;
  meanBurstSpikes: number;
}

export interface GenerationComparison {
  observed: SampleStatistics;
  samples: Record<
    string,
    SampleStatistics & {
      /** Pearson r across units between sampled and observed rates. */
      rateCorrelation: number;
      /** KS distance between sampled and observed pooled ISI distributions. */
      isiKs: number;
      /** Pearson r between sampled and observed pairwise correlations (same pairs). */
      pairwiseCorrelationMatch: number;
    }
  >;
}

function binCounts(r: BinaryRaster, width: number): Float64Array[] {
  const n = Math.floor(r.bins / width);
  const counts = Array.from({ length: r.units }, () => new Float64Array(n));
  for (let t = 0; t < n * width; t++)
    for (let u = 0; u < r.units; u++) counts[u][Math.floor(t / width)] += r.data[t * r.units + u];
  return counts;
}

/** r for every unit pair (i < j), NaN where a unit never fired. */
function pairwiseCorrelations(r: BinaryRaster): number[] {
  const counts = binCounts(r, CORRELATION_BIN);
  const out: number[] = [];
  for (let i = 0; i < r.units; i++)
    for (let j = i + 1; j < r.units; j++) out.push(pearson(counts[i], counts[j]).r);
  return out;
}

function populationCounts(r: BinaryRaster): Float64Array {
  const n = Math.floor(r.bins / BURST_BIN);
  const pop = new Float64Array(n);
  for (let t = 0; t < n * BURST_BIN; t++)
    for (let u = 0; u < r.units; u++) pop[Math.floor(t / BURST_BIN)] += r.data[t * r.units + u];
  return pop;
}

function statistics(r: BinaryRaster, burstThreshold: number): SampleStatistics {
  let spikes = 0;
  for (const v of r.data) spikes += v;
  const correlations = pairwiseCorrelations(r).filter(Number.isFinite);
  const pop = populationCounts(r);
  let bursts = 0;
  let burstSpikes = 0;
  for (let k = 0; k < pop.length; k++) {
    if (pop[k] <= burstThreshold) continue;
    if (k === 0 || pop[k - 1] <= burstThreshold) bursts++;
    burstSpikes += pop[k];
  }
  return {
    bins: r.bins,
    meanRateHz: (spikes / r.bins / r.units) * 1000,
    meanPairwiseCorrelation: correlations.length
      ? correlations.reduce((a, b) => a + b, 0) / correlations.length
      : NaN,
    burstsPerSecond: bursts / (r.bins / 1000),
    meanBurstSpikes: bursts ? burstSpikes / bursts : 0,
  };
}

/** Compares each sample with the observed raster (same units, ideally the same length). */
export function compareGenerated(
  observed: BinaryRaster,
  samples: Record<string, BinaryRaster>,
): GenerationComparison {
  const pop = populationCounts(observed);
  const mean = pop.reduce((a, b) => a + b, 0) / Math.max(1, pop.length);
  const sd = Math.sqrt(pop.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, pop.length));
  const threshold = mean + 3 * sd;
  const rates = (r: BinaryRaster) => {
    const x = new Float64Array(r.units);
    for (let i = 0; i < r.data.length; i++) x[i % r.units] += r.data[i];
    return x;
  };
  const observedRates = rates(observed);
  const observedIsis = pooledIsis(observed.data, observed.units);
  const observedPairs = pairwiseCorrelations(observed);
  const out: GenerationComparison = { observed: statistics(observed, threshold), samples: {} };
  for (const [name, r] of Object.entries(samples)) {
    const pairs = pairwiseCorrelations(r);
    const both = observedPairs
      .map((v, k) => [v, pairs[k]])
      .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    out.samples[name] = {
      ...statistics(r, threshold),
      rateCorrelation: pearson(observedRates, rates(r)).r,
      isiKs: ksStatistic(observedIsis, pooledIsis(r.data, r.units)),
      pairwiseCorrelationMatch:
        both.length > 2
          ? pearson(
              both.map((p) => p[0]),
              both.map((p) => p[1]),
            ).r
          : NaN,
    };
  }
  return out;
}
