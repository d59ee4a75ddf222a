/**
 * What a report shows about one trained model on its own dataset, small enough to store as
 * JSON beside a study cell: ROC and PR curves (transformer and baselines, downsampled), a
 * raster of true vs predicted spikes, a reduced interpretation (attention, AWI, gradient
 * importance, attention by offset, correlations with activity) and the ablations.
 */
import { downsampleIndices, downsampleRocCurve, prCurve, rocCurve } from '../../../stats/index.js';
import type { CorrelationResult } from '../../../stats/index.js';
import type { SpikeTransformer } from '../../../models/spike-transformer.js';
import type { LossName } from '../../../models/losses.js';
import { runAblations, type AblationResult } from './ablation.js';
import { interpretWindow } from './interpret.js';
import { sliceBins, type BinaryRaster } from '../data/raster.js';
import { generateSpikes } from '../model/generate.js';
import { compareGenerated, type GenerationComparison } from './generation-stats.js';
import type { MultiScaleGlm } from '../baselines/multiscale-glm.js';
import type { SpikeSplits } from '../data/raster.js';

export interface Curves {
  roc: { fpr: number[]; tpr: number[] };
  pr: { recall: number[]; precision: number[] };
}

/** Spike positions of a raster snippet as flat indices t · units + u (sparse: rasters are ~1 % ones). */
export interface SparseRaster {
  bins: number;
  units: number;
  spikes: number[];
}

/** A T × T map block-averaged to at most `size` × `size`. */
export interface ReducedMap {
  size: number;
  /** Bins of the original window per cell of the reduced map. */
  binsPerCell: number;
  values: number[];
}

export interface InterpretationSummary {
  window: { start: number; bins: number };
  attention: ReducedMap;
  attentionPerHead: ReducedMap[];
  awi: ReducedMap;
  gradientImportance: number[];
  attentionByOffset: number[];
  inputActivity: number[];
  correlations: Record<'queryPeakAttention' | 'keyAttention' | 'keyAwi', CorrelationResult>;
}

export interface ModelProbes {
  curves: { transformer: Curves; rate: Curves; glm: Curves; coupledGlm?: Curves };
  raster: { truth: SparseRaster; predicted: SparseRaster; threshold: number };
  interpretation: InterpretationSummary;
  ablations: AblationResult;
  /** Free-running samples of the transformer and the multi-scale GLM vs held-out bins. */
  generation?: GenerationComparison & { seedBins: number };
}

export function curvesOf(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  maxPoints = 400,
): Curves {
  const roc = downsampleRocCurve(rocCurve(scores, labels), maxPoints);
  const pr = prCurve(scores, labels);
  const keep = downsampleIndices(pr.recall, pr.precision, maxPoints);
  return {
    roc: { fpr: Array.from(roc.fpr), tpr: Array.from(roc.tpr) },
    pr: { recall: keep.map((i) => pr.recall[i]), precision: keep.map((i) => pr.precision[i]) },
  };
}

export function sparseRaster(r: BinaryRaster): SparseRaster {
  const spikes: number[] = [];
  for (let i = 0; i < r.bins * r.units; i++) if (r.data[i]) spikes.push(i);
  return { bins: r.bins, units: r.units, spikes };
}

export function denseRaster(s: SparseRaster): BinaryRaster {
  const data = new Uint8Array(s.bins * s.units);
  for (const i of s.spikes) data[i] = 1;
  return { bins: s.bins, units: s.units, data };
}

/** The first `maxBins` scored bins: observed spikes and spikes predicted above `threshold`. */
export function truthAndPrediction(
  probabilities: ArrayLike<number>,
  labels: Uint8Array,
  units: number,
  threshold: number,
  maxBins = 2000,
): { truth: BinaryRaster; predicted: BinaryRaster } {
  const bins = Math.min(maxBins, Math.floor(labels.length / units));
  const predicted = new Uint8Array(bins * units);
  for (let i = 0; i < predicted.length; i++) predicted[i] = probabilities[i] >= threshold ? 1 : 0;
  return {
    truth: { bins, units, data: labels.subarray(0, bins * units) },
    predicted: { bins, units, data: predicted },
  };
}

export function reduceMap(values: ArrayLike<number>, T: number, size = 64): ReducedMap {
  const binsPerCell = Math.max(1, Math.ceil(T / size));
  const n = Math.ceil(T / binsPerCell);
  const sum = new Float64Array(n * n);
  const count = new Float64Array(n * n);
  for (let i = 0; i < T; i++) {
    const bi = Math.floor(i / binsPerCell);
    for (let j = 0; j < T; j++) {
      const k = bi * n + Math.floor(j / binsPerCell);
      sum[k] += values[i * T + j];
      count[k]++;
    }
  }
  return { size: n, binsPerCell, values: Array.from(sum, (s, k) => s / count[k]) };
}

export interface ProbeInputs {
  model: SpikeTransformer;
  loss: LossName;
  splits: SpikeSplits;
  probabilities: Float32Array;
  labels: Uint8Array;
  baselineProbabilities: { rate: Float32Array; glm: Float32Array; coupledGlm: Float32Array };
  rateMatchedThreshold: number;
  seed: number;
  ablationBins?: number;
  /** The source's multi-scale GLM, whose samples stand beside the transformer's. */
  glm?: MultiScaleGlm;
  /** Bins sampled free-running for the generation comparison (0: none). */
  generationBins?: number;
}

/** Probes a model on its own dataset's test split (interpretation on the split's first window). */
export function probeModel(p: ProbeInputs): ModelProbes {
  const { splits, labels } = p;
  const units = splits.test.units;
  const { truth, predicted } = truthAndPrediction(
    p.probabilities,
    labels,
    units,
    p.rateMatchedThreshold,
  );
  const interpretation = summariseInterpretation(p.model, splits.test, p.loss);
  const ablations = runAblations(p.model, splits.test, splits.val, {
    bins: p.ablationBins ?? 1000,
    seed: p.seed,
  });
  return {
    curves: {
      transformer: curvesOf(p.probabilities, labels),
      rate: curvesOf(p.baselineProbabilities.rate, labels),
      glm: curvesOf(p.baselineProbabilities.glm, labels),
      coupledGlm: curvesOf(p.baselineProbabilities.coupledGlm, labels),
    },
    raster: {
      truth: sparseRaster(truth),
      predicted: sparseRaster(predicted),
      threshold: p.rateMatchedThreshold,
    },
    interpretation,
    ablations,
    generation: p.glm ? compareGeneration(p.model, p.glm, splits.test, p) : undefined,
  };
}

/**
 * Interprets the test split's first window and reduces it at once, in a function of its own
 * so the full T × T maps (0.7 GB in JS at context 3125 with 16 heads) can be collected before
 * the ablations and generation run.
 */
function summariseInterpretation(
  model: SpikeTransformer,
  test: BinaryRaster,
  loss: LossName,
): InterpretationSummary {
  const T = Math.min(model.config.context, test.bins - 1);
  const x = interpretWindow(model, test, 0, T, loss);
  return {
    window: { start: 0, bins: T },
    attention: reduceMap(x.attention, T),
    attentionPerHead: x.attentionPerHead.map((a) => reduceMap(a, T, 32)),
    awi: reduceMap(x.awi, T),
    gradientImportance: Array.from(x.gradientImportance),
    attentionByOffset: Array.from(x.attentionByOffset),
    inputActivity: Array.from(x.inputActivity),
    correlations: x.correlations,
  };
}

/**
 * Seeds both generators with the test split's first context bins and compares `bins`
 * free-running bins of each with the observed bins that followed.
 */
function compareGeneration(
  model: SpikeTransformer,
  glm: MultiScaleGlm,
  test: BinaryRaster,
  p: ProbeInputs,
): (GenerationComparison & { seedBins: number }) | undefined {
  if (model.config.leaky) return undefined; // predicts its own input bin: cannot generate
  const seedBins = Math.min(model.config.context, Math.floor(test.bins / 2));
  const bins = Math.min(p.generationBins ?? 3000, test.bins - seedBins);
  if (bins < 200) return undefined;
  const seedWindow = sliceBins(test, 0, seedBins);
  return {
    seedBins,
    ...compareGenerated(sliceBins(test, seedBins, seedBins + bins), {
      transformer: generateSpikes(model, seedWindow, bins, p.seed),
      'multi-scale GLM': glm.sample(seedWindow, bins, p.seed),
    }),
  };
}
