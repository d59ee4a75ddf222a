/**
 * Applying a model trained on one session to another session's neurons (the paper's setting:
 * no unit correspondence, and often not as many units). Three steps, each fitted on the
 * target's validation split only; the target's test split is only scored:
 *   1. alignment (alignment.ts): which target unit sits in each of the model's unit slots;
 *   2. prediction one step ahead on the slotted target (silent slots read zeros);
 *   3. calibration of the output in logit space (stats/logit-combination.ts):
 *        'none'    the source model's probabilities as they are (Dice/focal: its source Platt);
 *        'offsets' a per-unit offset: each target unit's own rate level, the source's dynamics;
 *        'affine'  per-unit offsets and one slope shared by all units (how strongly the
 *                  source's history effects hold on the target); a predictor of several
 *                  streams (the stack, the population GLM's two parts) gets a slope per stream.
 * The population GLM (population-glm.ts) reads the target's population count relative to its
 * mean on the target's validation split: its filters do not depend on unit identity, so it is
 * the stream that carries between sessions whose neurons differ.
 * The baselines are transferred the same way, so every cell compares like with like: the GLMs
 * fitted on the source, slotted and calibrated as the model is; the rate baseline is the
 * constant that uses the same target data: the target's validation rates when the model is
 * calibrated on them, the source slots' rates when it is not.
 */
import {
  fitLogitCombination,
  logitsOf,
  applyLogitCombination,
} from '../../../stats/logit-combination.js';
import { applyPlatt, type PlattScaling } from '../../../stats/calibration.js';
import type { SpikeTransformer } from '../../../models/spike-transformer.js';
import { alignSlots, toSlots, type Slots, type UnitAlignment } from './alignment.js';
import { constantRates } from '../baselines/baselines.js';
import { scoreSpikePredictions, type SpikeScores } from '../model/evaluate.js';
import type { CoupledGlm } from '../baselines/coupled-glm.js';
import type { MultiScaleGlm } from '../baselines/multiscale-glm.js';
import { populationProbabilities, type PopulationGlm } from '../baselines/population-glm.js';
import {
  applyOutputStack,
  lastBinsWithPast,
  predictStreams,
  streamLogits,
  type OutputStack,
  type StreamPredictions,
} from '../baselines/stack.js';
import { sliceBins, unitRates, type SpikeSplits } from '../data/raster.js';

export const TRANSFER_CALIBRATIONS = ['none', 'offsets', 'affine'] as const;
export type TransferCalibration = (typeof TRANSFER_CALIBRATIONS)[number];

/**
 * Penalty of the calibration's per-unit offsets: weak, so each target unit keeps its own rate
 * level as the rate baseline does (its validation rate), yet finite for a unit without a
 * validation spike (its offset settles about 15 logit units down, as the rate baseline's floor
 * of 1e-6). At l2 = 1 (the slopes' penalty) the offsets of a sparse target shrink towards the
 * source's rate level: on the real retina ← IBL cell that cost 0.034 ROC-AUC (0.796 vs 0.830).
 */
const OFFSET_L2 = 1e-3;

export interface TransferSettings {
  alignment: UnitAlignment;
  calibration: TransferCalibration;
  seed: number;
}

/** Cross-dataset cells by default: rate-quantile slots, per-unit offsets and a shared slope. */
export const DEFAULT_TRANSFER = { alignment: 'rate-rank', calibration: 'affine' } as const;

/** What a cross-dataset cell did, stored with its scores. */
/** The scores of one cell: a model scored on a test split (its own, or another dataset's). */
export interface TransferScores {
  /** How the first test bins were handled (see predictOneStepAhead). */
  prediction: { firstScoredBin: number; minimumPast: number; context: number };
  /** Platt scaling applied to the transformer's scores (fitted on the source's val split), if any. */
  calibration: PlattScaling | null;
  transformer: SpikeScores;
  /**
   * glm: the multi-scale history GLM; coupledGlm: Pillow et al.'s coupled GLM; populationGlm:
   * the GLM whose filters all units share (absent in results written before it existed).
   */
  baselines: BaselineRecord<SpikeScores>;
  /**
   * Models stacked with their GLMs (stack.ts): `transformer` scores the stack, this the
   * transformer alone, and `stack` holds the slopes chosen on the source's validation split.
   */
  modelAlone?: SpikeScores;
  stack?: OutputStack;
  /** Cross-dataset cells: the slots and calibration that carried the model over (transfer.ts). */
  transfer?: TransferRecord;
}

export interface TransferRecord {
  alignment: UnitAlignment;
  calibration: TransferCalibration;
  /** slots[s] = target unit in model slot s (−1: silent). */
  slots: Slots;
  /** Target units scored (those in a slot). */
  scoredUnits: number;
  /** Validation bins the calibration was fitted on (0 without calibration). */
  calibrationBins: number;
  /**
   * Per predictor (calibrated cells only): the fitted slopes (a stacked model's: one per stream
   * of STACK_STREAMS; the population GLM's: own-history and network parts) and the mean per-unit offset.
   */
  fitted: Record<
    'transformer' | 'glm' | 'coupledGlm' | 'populationGlm',
    { slopes: number[]; meanOffset: number }
  > | null;
}

/** One value per baseline (scores, probabilities). */
export interface BaselineRecord<T> {
  rate: T;
  glm: T;
  coupledGlm: T;
  populationGlm?: T;
}

/** Columns `keep` of a bins × units array. */
function columns(values: Float32Array | Uint8Array, units: number, keep: number[]) {
  const bins = values.length / units;
  const out =
    values instanceof Uint8Array
      ? new Uint8Array(bins * keep.length)
      : new Float32Array(bins * keep.length);
  for (let t = 0; t < bins; t++)
    for (let k = 0; k < keep.length; k++) out[t * keep.length + k] = values[t * units + keep[k]];
  return out;
}

/**
 * Scores `model` (trained on `source`) on `target`'s test split through the slots and the
 * calibration of `settings`, next to the rate and GLM baselines transferred the same way. A
 * model stacked with its GLMs (stack.ts) is transferred as its stack: with 'affine' the
 * streams' slopes are refitted on the target (from the source's), so a target keeps the
 * transformer only as far as it predicts there.
 */
export function scoreTransfer(
  model: SpikeTransformer,
  source: SpikeSplits,
  target: SpikeSplits,
  o: {
    glm: MultiScaleGlm;
    coupledGlm: CoupledGlm;
    populationGlm: PopulationGlm;
    /** The source's Platt scaling (Dice/focal models), used when the cell is not calibrated. */
    platt: PlattScaling | false;
    /** The model's stack with its GLMs, when it has one. */
    stack?: OutputStack | null;
    settings: TransferSettings;
  },
): {
  scores: TransferScores;
  probabilities: Float32Array;
  labels: Uint8Array;
  baselineProbabilities: Required<BaselineRecord<Float32Array>>;
} {
  const { alignment, calibration, seed } = o.settings;
  const slots = alignSlots(alignment, source.train, target.val, model, seed);
  const scored = slots.flatMap((u, s) => (u >= 0 ? [s] : []));
  const N = slots.length;
  const S = scored.length;
  const test = toSlots(target.test, slots);
  const val = toSlots(target.val, slots);
  const context = model.config.context;
  const predictors = {
    model,
    glm: o.glm,
    coupledGlm: o.coupledGlm,
    populationGlm: o.populationGlm.rescaledTo(val),
  };
  const pick = (values: Float32Array) => columns(values, N, scored) as Float32Array;
  const keep = (p: StreamPredictions): StreamPredictions => ({
    model: pick(p.model),
    glm: pick(p.glm),
    coupledGlm: pick(p.coupledGlm),
    populationGlm: { self: pick(p.populationGlm.self), network: pick(p.populationGlm.network) },
  });
  const labels = columns(test.data, N, scored) as Uint8Array;
  const testBins = test.bins;
  const onTest = keep(predictStreams(predictors, test, val));
  // The model's output as its source made it (stacked, or Platt-scaled Dice/focal scores).
  const sourceOutput = (p: StreamPredictions) => {
    if (o.stack) return applyOutputStack(o.stack, p, S);
    return o.platt ? applyPlatt(p.model, o.platt) : p.model;
  };

  let output: Float32Array;
  let glm = onTest.glm;
  let coupledGlm = onTest.coupledGlm;
  let populationGlm = populationProbabilities(onTest.populationGlm);
  let rate: Float32Array;
  let fitted: TransferRecord['fitted'] = null;
  let calibrationBins = 0;
  if (calibration === 'none') {
    output = sourceOutput(onTest);
    const sourceRates = unitRates(source.train);
    rate = constantRates(
      scored.map((s) => sourceRates[s]),
      testBins,
    );
  } else {
    const train = target.train;
    const before = toSlots(sliceBins(train, Math.max(0, train.bins - context), train.bins), slots);
    const { fit: calib, past } = lastBinsWithPast(val, before);
    calibrationBins = calib.bins;
    const calibLabels = columns(calib.data, N, scored) as Uint8Array;
    const onCalib = keep(predictStreams(predictors, calib, past));
    const affine = calibration === 'affine';
    const calibrate = (onFit: Float32Array[], onScore: Float32Array[], start: number[]) => {
      const fit = fitLogitCombination(onFit, calibLabels, S, {
        offsets: true,
        offsetL2: OFFSET_L2,
        fitSlopes: affine,
        initialSlopes: start,
      });
      const offsets = fit.offsets ?? [];
      return {
        probabilities: applyLogitCombination(fit, onScore, S),
        record: {
          slopes: fit.slopes,
          meanOffset: offsets.reduce((a, b) => a + b, 0) / Math.max(1, offsets.length),
        },
      };
    };
    const one = (p: Float32Array) => [logitsOf(p)];
    // The model: its streams from the source's slopes ('affine'), or its source output
    // shifted per unit ('offsets').
    const model =
      o.stack && affine
        ? calibrate(streamLogits(onCalib), streamLogits(onTest), o.stack.slopes)
        : calibrate(one(sourceOutput(onCalib)), one(sourceOutput(onTest)), [1]);
    const glmFit = calibrate(one(onCalib.glm), one(onTest.glm), [1]);
    const coupledFit = calibrate(one(onCalib.coupledGlm), one(onTest.coupledGlm), [1]);
    const parts = (p: StreamPredictions) => [p.populationGlm.self, p.populationGlm.network];
    const populationFit = calibrate(parts(onCalib), parts(onTest), [1, 1]);
    output = model.probabilities;
    glm = glmFit.probabilities;
    coupledGlm = coupledFit.probabilities;
    populationGlm = populationFit.probabilities;
    fitted = {
      transformer: model.record,
      glm: glmFit.record,
      coupledGlm: coupledFit.record,
      populationGlm: populationFit.record,
    };
    rate = constantRates(unitRates({ bins: calib.bins, units: S, data: calibLabels }), testBins);
  }
  const transfer: TransferRecord = {
    alignment,
    calibration,
    slots,
    scoredUnits: S,
    calibrationBins,
    fitted,
  };
  const scores: TransferScores = {
    prediction: { firstScoredBin: 0, minimumPast: Math.floor(context / 2), context },
    calibration: calibration === 'none' ? o.platt || null : null,
    transformer: scoreSpikePredictions(output, labels, S),
    baselines: {
      rate: scoreSpikePredictions(rate, labels, S),
      glm: scoreSpikePredictions(glm, labels, S),
      coupledGlm: scoreSpikePredictions(coupledGlm, labels, S),
      populationGlm: scoreSpikePredictions(populationGlm, labels, S),
    },
    ...(o.stack ? { modelAlone: scoreSpikePredictions(onTest.model, labels, S) } : {}),
    transfer,
  };
  return {
    scores,
    probabilities: output,
    labels,
    baselineProbabilities: { rate, glm, coupledGlm, populationGlm },
  };
}
