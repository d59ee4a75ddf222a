/**
 * The default model's output: the transformer (with its GLM path) stacked with the three GLMs
 * fitted on the same train split,
 *   logit = a · z_model + b · z_multiscaleGlm + c · z_coupledGlm + d · z_popSelf + e · z_popNetwork,
 * the slopes chosen by likelihood on validation (stats/logit-combination.ts; no offsets, so the
 * rate level stays the one learned on train; slopes pulled towards (1, 0, 0, 0, 0), the model
 * alone).
 * Why: on asynchronous sessions the coupled GLM's raised-cosine filters over every unit's history
 * catch couplings the model's dyadic GLM path starts without, and when validation and test differ
 * in state the model's residual can overshoot its GLM; the population GLM's filters, shared by
 * all units and reaching a second back, catch slow network bursts that 60 s of training do not
 * teach per-unit filters; the stack takes each where held-out likelihood says it helps and
 * tempers over-confident logits. In transfer the same five streams are refitted on the target's
 * validation split (transfer.ts), where the population GLM is the one stream that does not
 * depend on which unit is which.
 */
import {
  applyLogitCombination,
  fitLogitCombination,
  logitsOf,
} from '../../../stats/logit-combination.js';
import type { SpikeTransformer } from '../../../models/spike-transformer.js';
import type { CoupledGlm } from './coupled-glm.js';
import type { MultiScaleGlm } from './multiscale-glm.js';
import type { PopulationGlm, PopulationLogits } from './population-glm.js';
import type { TrainConfig } from '../model/train.js';
import { predictOneStepAhead } from '../model/predict.js';
import { sliceBins, type BinaryRaster } from '../data/raster.js';
import type { SpikeSplits } from '../data/raster.js';

/**
 * The stack's streams, one slope each: the population GLM enters as its two logit parts
 * (population-glm.ts), so a target can keep its network terms without its own-history terms.
 */
export const STACK_STREAMS = [
  'model',
  'glm',
  'coupledGlm',
  'populationSelf',
  'populationNetwork',
] as const;
export type StackStream = (typeof STACK_STREAMS)[number];
/**
 * Each predictor on the same bins (bins × units): the model's and the first two GLMs'
 * probabilities, the population GLM's logits in its two parts.
 */
export interface StreamPredictions {
  model: Float32Array;
  glm: Float32Array;
  coupledGlm: Float32Array;
  populationGlm: PopulationLogits;
}

/** Validation bins a stack or a transfer calibration is fitted on (the last ones). */
export const FIT_BINS = 60_000;

export interface OutputStack {
  /** One slope per stream, in the order of STACK_STREAMS. */
  slopes: number[];
  validationBins: number;
}

/** Models stacked with their GLMs: likelihood-trained with a GLM path (the `default` preset). */
export const stacksWithGlms = (config: TrainConfig): boolean =>
  config.loss === 'bce' && (config.model.history ?? 0) > 0 && !config.model.leaky;

/** The model and the GLMs fitted on the same train split: the stack's predictors. */
export interface StackPredictors {
  model: SpikeTransformer;
  glm: MultiScaleGlm;
  coupledGlm: CoupledGlm;
  populationGlm: PopulationGlm;
}

/** Every stream's one-step-ahead probabilities on `raster`, its past taken from `history`. */
export function predictStreams(
  predictors: StackPredictors,
  raster: BinaryRaster,
  history: BinaryRaster,
): StreamPredictions {
  const { model, glm, coupledGlm, populationGlm } = predictors;
  const p = predictOneStepAhead(model, raster, { context: model.config.context, history });
  return {
    model: p.probabilities,
    glm: glm.predict(raster, 0, history),
    coupledGlm: coupledGlm.predict(raster, 0, history),
    populationGlm: populationGlm.logitParts(raster, 0, history),
  };
}

/** The last FIT_BINS of `r` and the bins before them (or `before`'s end) as their past. */
export function lastBinsWithPast(
  r: BinaryRaster,
  before: BinaryRaster,
): { fit: BinaryRaster; past: BinaryRaster } {
  const start = Math.max(0, r.bins - FIT_BINS);
  return { fit: sliceBins(r, start, r.bins), past: start > 0 ? sliceBins(r, 0, start) : before };
}

export const streamLogits = (p: StreamPredictions): Float32Array[] => [
  logitsOf(p.model),
  logitsOf(p.glm),
  logitsOf(p.coupledGlm),
  p.populationGlm.self,
  p.populationGlm.network,
];

/** Fits the stack on the source's validation split. */
export function fitOutputStack(predictors: StackPredictors, source: SpikeSplits): OutputStack {
  const { fit, past } = lastBinsWithPast(source.val, source.train);
  const onVal = predictStreams(predictors, fit, past);
  const c = fitLogitCombination(streamLogits(onVal), fit.data, fit.units, {
    offsets: false,
    initialSlopes: [1, 0, 0, 0, 0],
  });
  return { slopes: c.slopes, validationBins: fit.bins };
}

/** The stacked probabilities from the streams' probabilities on the same bins. */
export function applyOutputStack(
  stack: OutputStack,
  p: StreamPredictions,
  units: number,
): Float32Array {
  return applyLogitCombination(
    { slopes: stack.slopes, offsets: null, iterations: 0, converged: true },
    streamLogits(p),
    units,
  );
}
