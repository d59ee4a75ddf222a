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
 *                  source's history effects hold on the target).
 * The baselines are transferred the same way, so every cell compares like with like: the GLMs
 * fitted on the source, slotted and calibrated as the model is; the rate baseline is the
 * constant that uses the same target data: the target's validation rates when the model is
 * calibrated on them, the source slots' rates when it is not.
 */
import {
  fitLogitCombination,
  logitsOf,
  applyLogitCombination,
} from '../../stats/logit-combination.js';
import { applyPlatt, type PlattScaling } from '../../stats/calibration.js';
import type { SpikeTransformer } from '../../models/spike-transformer.js';
import { alignSlots, toSlots, type Slots, type UnitAlignment } from './alignment.js';
import { scoreSpikePredictions } from './evaluate.js';
import type { CoupledGlm } from './coupled-glm.js';
import type { MultiScaleGlm } from './multiscale-glm.js';
import { predictOneStepAhead } from './predict.js';
import { sliceBins, unitRates, type BinaryRaster } from './raster.js';
import type { SpikeSplits, TransferScores } from './experiment.js';

export const TRANSFER_CALIBRATIONS = ['none', 'offsets', 'affine'] as const;
export type TransferCalibration = (typeof TRANSFER_CALIBRATIONS)[number];

export interface TransferSettings {
  alignment: UnitAlignment;
  calibration: TransferCalibration;
  seed: number;
}

/** Cross-dataset cells by default: rate-quantile slots, per-unit offsets and a shared slope. */
export const DEFAULT_TRANSFER = { alignment: 'rate-rank', calibration: 'affine' } as const;

/** At most this many of the target's last validation bins fit the calibration (speed). */
const CALIBRATION_BINS = 60_000;

/** What a cross-dataset cell did, stored with its scores. */
export interface TransferRecord {
  alignment: UnitAlignment;
  calibration: TransferCalibration;
  /** slots[s] = target unit in model slot s (−1: silent). */
  slots: Slots;
  /** Target units scored (those in a slot). */
  scoredUnits: number;
  /** Validation bins the calibration was fitted on (0 without calibration). */
  calibrationBins: number;
  /** Fitted slope and offset summary per predictor (calibrated cells only). */
  fitted: Record<
    'transformer' | 'glm' | 'coupledGlm',
    { slope: number; meanOffset: number }
  > | null;
}

type Predictor = (raster: BinaryRaster, history: BinaryRaster) => Float32Array;

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

/** Each unit's rate, constant over `bins` bins (floored as the rate baseline is). */
function constant(rates: ArrayLike<number>, bins: number): Float32Array {
  const out = new Float32Array(bins * rates.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(1e-6, rates[i % rates.length]);
  return out;
}

/**
 * Scores `model` (trained on `source`) on `target`'s test split through the slots and the
 * calibration of `settings`, next to the rate and GLM baselines transferred the same way.
 */
export function scoreTransfer(
  model: SpikeTransformer,
  source: SpikeSplits,
  target: SpikeSplits,
  o: {
    glm: MultiScaleGlm;
    coupledGlm: CoupledGlm;
    /** The source's Platt scaling (Dice/focal models), used when the cell is not calibrated. */
    platt: PlattScaling | false;
    settings: TransferSettings;
  },
): {
  scores: TransferScores;
  probabilities: Float32Array;
  labels: Uint8Array;
  baselineProbabilities: { rate: Float32Array; glm: Float32Array; coupledGlm: Float32Array };
} {
  const { alignment, calibration, seed } = o.settings;
  const slots = alignSlots(alignment, source.train, target.val, model, seed);
  const scored = slots.flatMap((u, s) => (u >= 0 ? [s] : []));
  const N = slots.length;
  const test = toSlots(target.test, slots);
  const val = toSlots(target.val, slots);
  const context = model.config.context;

  const transformer: Predictor = (r, history) => {
    const p = predictOneStepAhead(model, r, { context, history });
    if (p.firstScoredBin !== 0) throw new Error('transfer: prediction needs a history');
    return p.probabilities;
  };
  const predictors: Record<'transformer' | 'glm' | 'coupledGlm', Predictor> = {
    transformer,
    glm: (r, history) => o.glm.predict(r, 0, history),
    coupledGlm: (r, history) => o.coupledGlm.predict(r, 0, history),
  };
  const labels = columns(test.data, N, scored) as Uint8Array;
  const testBins = test.bins;
  const onTest = Object.fromEntries(
    Object.entries(predictors).map(([name, f]) => [name, columns(f(test, val), N, scored)]),
  ) as Record<keyof typeof predictors, Float32Array>;

  let probabilities: Record<keyof typeof predictors, Float32Array>;
  let rate: Float32Array;
  let fitted: TransferRecord['fitted'] = null;
  let calibrationBins = 0;
  if (calibration === 'none') {
    probabilities = {
      ...onTest,
      transformer: o.platt ? applyPlatt(onTest.transformer, o.platt) : onTest.transformer,
    };
    const sourceRates = unitRates(source.train);
    rate = constant(
      scored.map((s) => sourceRates[s]),
      testBins,
    );
  } else {
    // The last CALIBRATION_BINS of validation, their past the bins before them.
    const start = Math.max(0, val.bins - CALIBRATION_BINS);
    const calib = sliceBins(val, start, val.bins);
    const train = target.train;
    const past =
      start > 0
        ? sliceBins(val, 0, start)
        : toSlots(sliceBins(train, Math.max(0, train.bins - context), train.bins), slots);
    calibrationBins = calib.bins;
    const calibLabels = columns(calib.data, N, scored) as Uint8Array;
    probabilities = { ...onTest };
    const record: Record<string, { slope: number; meanOffset: number }> = {};
    for (const name of Object.keys(predictors) as (keyof typeof predictors)[]) {
      const onCalib = logitsOf(columns(predictors[name](calib, past), N, scored));
      const fit = fitLogitCombination([onCalib], calibLabels, scored.length, {
        offsets: true,
        fitSlopes: calibration === 'affine',
        initialSlopes: [1],
      });
      probabilities[name] = applyLogitCombination(fit, [logitsOf(onTest[name])], scored.length);
      const offsets = fit.offsets ?? [];
      record[name] = {
        slope: fit.slopes[0],
        meanOffset: offsets.reduce((a, b) => a + b, 0) / Math.max(1, offsets.length),
      };
    }
    fitted = record as TransferRecord['fitted'];
    rate = constant(
      unitRates({ bins: calib.bins, units: scored.length, data: calibLabels }),
      testBins,
    );
  }
  const units = scored.length;
  const transfer: TransferRecord = {
    alignment,
    calibration,
    slots,
    scoredUnits: units,
    calibrationBins,
    fitted,
  };
  const scores: TransferScores = {
    prediction: { firstScoredBin: 0, minimumPast: Math.floor(context / 2), context },
    calibration: calibration === 'none' ? o.platt || null : null,
    transformer: scoreSpikePredictions(probabilities.transformer, labels, units),
    baselines: {
      rate: scoreSpikePredictions(rate, labels, units),
      glm: scoreSpikePredictions(probabilities.glm, labels, units),
      coupledGlm: scoreSpikePredictions(probabilities.coupledGlm, labels, units),
    },
    transfer,
  };
  return {
    scores,
    probabilities: probabilities.transformer,
    labels,
    baselineProbabilities: { rate, glm: probabilities.glm, coupledGlm: probabilities.coupledGlm },
  };
}
