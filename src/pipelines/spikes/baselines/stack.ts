/**
 * The default model's output: the transformer (with its GLM path) stacked with the two GLMs
 * fitted on the same train split,
 *   logit = a · z_model + b · z_multiscaleGlm + c · z_coupledGlm,
 * the slopes chosen by likelihood on validation (stats/logit-combination.ts; no offsets, so the
 * rate level stays the one learned on train; slopes pulled towards (1, 0, 0), the model alone).
 * Why: on asynchronous sessions the coupled GLM's raised-cosine filters over every unit's history
 * catch couplings the model's dyadic GLM path starts without, and when validation and test differ
 * in state the model's residual can overshoot its GLM; the stack takes each where held-out
 * likelihood says it helps and tempers over-confident logits. In transfer the same three streams
 * are refitted on the target's validation split (transfer.ts).
 */
import {
  applyLogitCombination,
  fitLogitCombination,
  logitsOf,
} from '../../../stats/logit-combination.js';
import type { SpikeTransformer } from '../../../models/spike-transformer.js';
import type { CoupledGlm } from './coupled-glm.js';
import type { MultiScaleGlm } from './multiscale-glm.js';
import type { TrainConfig } from '../model/train.js';
import { predictOneStepAhead } from '../model/predict.js';
import { sliceBins, type BinaryRaster } from '../data/raster.js';
import type { SpikeSplits } from '../data/raster.js';

export const STACK_STREAMS = ['model', 'glm', 'coupledGlm'] as const;
export type StackStream = (typeof STACK_STREAMS)[number];
/** Probabilities (bins × units) of each stream on the same bins. */
export type StreamPredictions = Record<StackStream, Float32Array>;

/** Validation bins a stack or a transfer calibration is fitted on (the last ones). */
export const FIT_BINS = 60_000;

export interface OutputStack {
  /** Slopes of the model's, the multi-scale GLM's and the coupled GLM's logits. */
  slopes: [number, number, number];
  validationBins: number;
}

/** Models stacked with their GLMs: likelihood-trained with a GLM path (the `default` preset). */
export const stacksWithGlms = (config: TrainConfig): boolean =>
  config.loss === 'bce' && (config.model.history ?? 0) > 0 && !config.model.leaky;

/** Every stream's one-step-ahead probabilities on `raster`, its past taken from `history`. */
export function predictStreams(
  predictors: { model: SpikeTransformer; glm: MultiScaleGlm; coupledGlm: CoupledGlm },
  raster: BinaryRaster,
  history: BinaryRaster,
): StreamPredictions {
  const { model, glm, coupledGlm } = predictors;
  const p = predictOneStepAhead(model, raster, { context: model.config.context, history });
  return {
    model: p.probabilities,
    glm: glm.predict(raster, 0, history),
    coupledGlm: coupledGlm.predict(raster, 0, history),
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

export const streamLogits = (p: StreamPredictions): Float32Array[] =>
  STACK_STREAMS.map((s) => logitsOf(p[s]));

/** Fits the stack on the source's validation split. */
export function fitOutputStack(
  predictors: { model: SpikeTransformer; glm: MultiScaleGlm; coupledGlm: CoupledGlm },
  source: SpikeSplits,
): OutputStack {
  const { fit, past } = lastBinsWithPast(source.val, source.train);
  const onVal = predictStreams(predictors, fit, past);
  const c = fitLogitCombination(streamLogits(onVal), fit.data, fit.units, {
    offsets: false,
    initialSlopes: [1, 0, 0],
  });
  return { slopes: [c.slopes[0], c.slopes[1], c.slopes[2]], validationBins: fit.bins };
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
