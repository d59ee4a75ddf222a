/**
 * The default model's output stacked with the coupled GLM: logit = a · z_model + c · z_coupled,
 * two slopes chosen by likelihood on the source's validation split (stats/logit-combination.ts;
 * no offsets, so the rate level stays the one both learned on train). On asynchronous sessions
 * the coupled GLM's raised-cosine filters over every unit's history catch couplings the model's
 * dyadic GLM path starts without, and the stack takes them where validation says they help;
 * where they do not (bursting retinas, whose coupled GLM is far behind), c stays near 0.
 */
import {
  applyLogitCombination,
  fitLogitCombination,
  logitsOf,
  type LogitCombination,
} from '../../stats/logit-combination.js';
import type { SpikeTransformer } from '../../models/spike-transformer.js';
import type { CoupledGlm } from './coupled-glm.js';
import { predictOneStepAhead } from './predict.js';
import { sliceBins } from './raster.js';
import type { SpikeSplits } from './experiment.js';

/** Validation bins the stack is fitted on (the last ones, nearest the test split). */
const STACK_BINS = 60_000;

export interface OutputStack {
  /** Slopes of the model's and the coupled GLM's logits. */
  slopes: [number, number];
  validationBins: number;
}

export function fitOutputStack(
  model: SpikeTransformer,
  coupledGlm: CoupledGlm,
  source: SpikeSplits,
): OutputStack {
  const { val, train } = source;
  const start = Math.max(0, val.bins - STACK_BINS);
  const fit = sliceBins(val, start, val.bins);
  const past = start > 0 ? sliceBins(val, 0, start) : train;
  const model_ = predictOneStepAhead(model, fit, { context: model.config.context, history: past });
  const coupled = coupledGlm.predict(fit, 0, past);
  const c = fitLogitCombination(
    [logitsOf(model_.probabilities), logitsOf(coupled)],
    fit.data,
    fit.units,
    {
      offsets: false,
      initialSlopes: [1, 0],
    },
  );
  return { slopes: [c.slopes[0], c.slopes[1]], validationBins: fit.bins };
}

/** The stacked probabilities from the two predictors' probabilities on the same bins. */
export function applyOutputStack(
  stack: OutputStack,
  model: Float32Array,
  coupled: Float32Array,
  units: number,
): Float32Array {
  const c: LogitCombination = {
    slopes: stack.slopes,
    offsets: null,
    iterations: 0,
    converged: true,
  };
  return applyLogitCombination(c, [logitsOf(model), logitsOf(coupled)], units);
}
