/**
 * The default model's output: the transformer (with its GLM path) stacked with the three GLMs
 * fitted on the same train split,
 *   logit = a · z_model + b · z_multiscaleGlm + c · z_coupledGlm + d · z_popSelf + e · z_popNetwork,
 * the slopes chosen by likelihood on validation (stats/logit-combination.ts; no offsets, so the
 * rate level stays the one learned on train; slopes pulled towards (1, 0, 0, 0, 0), the model
 * alone). The default then outputs the stack, or one predictor alone where that predictor ranks
 * the validation split's spikes better than the stack does on validation blocks held out from
 * the stack's fit (average precision, the paper's score). Why: the slopes maximise likelihood,
 * and a combination that is better calibrated can still rank spikes worse than its best
 * stream; on the human MTL session the coupled GLM alone ranks better on held-out validation
 * (and on test) while the stack wins on likelihood.
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
import { averagePrecision } from '../../../stats/ranking.js';
import { populationProbabilities } from './population-glm.js';
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

/** What the default outputs: the stack, or one of its predictors alone. */
export const OUTPUT_CHOICES = ['stack', 'model', 'glm', 'coupledGlm', 'populationGlm'] as const;
export type OutputChoice = (typeof OUTPUT_CHOICES)[number];
/** Each choice as the CLI and the reports name it. */
export const OUTPUT_LABELS: Record<OutputChoice, string> = {
  stack: 'stack',
  model: 'transformer',
  glm: 'multi-scale GLM',
  coupledGlm: 'coupled GLM',
  populationGlm: 'population GLM',
};
/** The held-out validation AP of every choice in one line ('–' where a choice had none). */
export function formatHeldOutAp(ap: Record<OutputChoice, number>): string {
  return OUTPUT_CHOICES.map(
    (c) => `${OUTPUT_LABELS[c]} ${Number.isFinite(ap[c]) ? ap[c].toFixed(4) : '–'}`,
  ).join(', ');
}
/**
 * Names the rule that picks the output, for the keys of stored study cells: a cell scored
 * under another rule is not reused.
 */
export const OUTPUT_RULE = 'stack-or-predictor-by-held-out-ap';

/** Held-out scoring of the stack: the fit window's bins in BLOCKS contiguous blocks, FOLDS folds. */
const BLOCKS = 10;
const FOLDS = 5;

export interface OutputStack {
  /** One slope per stream, in the order of STACK_STREAMS, fitted on all fit bins. */
  slopes: number[];
  validationBins: number;
  /** What the default outputs (applyOutputStack). */
  output: OutputChoice;
  /**
   * Average precision of each choice on the fit bins, the stack's from folds fitted without
   * the blocks they score (NaN where the window holds no spike or too few bins to fold).
   */
  heldOutAp: Record<OutputChoice, number>;
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

/** Fits the stack on the source's validation split and chooses the output there. */
export function fitOutputStack(predictors: StackPredictors, source: SpikeSplits): OutputStack {
  const { fit, past } = lastBinsWithPast(source.val, source.train);
  return outputStackOn(predictStreams(predictors, fit, past), fit.data, fit.units);
}

const fitStackSlopes = (logits: Float32Array[], labels: Uint8Array, units: number): number[] =>
  fitLogitCombination(logits, labels, units, { offsets: false, initialSlopes: [1, 0, 0, 0, 0] })
    .slopes;

const stacked = (slopes: number[], logits: Float32Array[], units: number): Float32Array =>
  applyLogitCombination({ slopes, offsets: null, iterations: 0, converged: true }, logits, units);

/**
 * The stack fitted on `labels` (bins × units) from the streams' predictions on the same bins,
 * and the output chosen by held-out average precision (the stack kept on ties).
 */
export function outputStackOn(
  p: StreamPredictions,
  labels: Uint8Array,
  units: number,
): OutputStack {
  const logits = streamLogits(p);
  const bins = labels.length / units;
  const heldOutAp: Record<OutputChoice, number> = {
    stack: bins >= BLOCKS ? averagePrecision(heldOutStack(logits, labels, units), labels) : NaN,
    model: averagePrecision(p.model, labels),
    glm: averagePrecision(p.glm, labels),
    coupledGlm: averagePrecision(p.coupledGlm, labels),
    populationGlm: averagePrecision(populationProbabilities(p.populationGlm), labels),
  };
  const output = Number.isNaN(heldOutAp.stack)
    ? 'stack'
    : OUTPUT_CHOICES.reduce((best, c) => (heldOutAp[c] > heldOutAp[best] ? c : best), 'stack');
  return { slopes: fitStackSlopes(logits, labels, units), validationBins: bins, output, heldOutAp };
}

/**
 * The stack's probabilities on every bin, each from slopes fitted on the other folds: BLOCKS
 * contiguous blocks, fold f holding out blocks f and f + FOLDS, so that every fold is scored
 * on an early and a late stretch of the window.
 */
export function heldOutStack(
  logits: Float32Array[],
  labels: Uint8Array,
  units: number,
): Float32Array {
  const bins = labels.length / units;
  const edge = (b: number) => Math.round((b * bins) / BLOCKS) * units;
  const out = new Float32Array(labels.length);
  for (let f = 0; f < FOLDS; f++) {
    const kept = Array.from({ length: BLOCKS }, (_, b) => b)
      .filter((b) => b % FOLDS !== f)
      .map((b): [number, number] => [edge(b), edge(b + 1)]);
    const slopes = fitStackSlopes(
      logits.map((z) => keepRanges(z, kept)),
      keepRanges(labels, kept),
      units,
    );
    for (let b = f; b < BLOCKS; b += FOLDS) {
      const block = logits.map((z) => z.subarray(edge(b), edge(b + 1)));
      out.set(stacked(slopes, block, units), edge(b));
    }
  }
  return out;
}

/** The values of `ranges` ([start, end) of `values`), one after another. */
function keepRanges<T extends Float32Array | Uint8Array>(values: T, ranges: [number, number][]): T {
  const length = ranges.reduce((n, [a, b]) => n + b - a, 0);
  const out = new (values.constructor as new (n: number) => T)(length);
  let at = 0;
  for (const [a, b] of ranges) {
    out.set(values.subarray(a, b), at);
    at += b - a;
  }
  return out;
}

/**
 * The default's probabilities from the streams' probabilities on the same bins: the stack, or
 * the chosen predictor's own probabilities (the same array, not a copy).
 */
export function applyOutputStack(
  stack: OutputStack,
  p: StreamPredictions,
  units: number,
): Float32Array {
  switch (stack.output) {
    case 'model':
      return p.model;
    case 'glm':
      return p.glm;
    case 'coupledGlm':
      return p.coupledGlm;
    case 'populationGlm':
      return populationProbabilities(p.populationGlm);
    default:
      return stacked(stack.slopes, streamLogits(p), units);
  }
}
