/**
 * The attention BiLSTM as a cohort classifier: standardise on the training cells, hold out
 * a stratified 20 % of them for early stopping, train (AdamW, clipping, class weights,
 * patience on validation macro-F1), predict. Per-family attention is averaged per class.
 */
import { UsageError } from '../../core/errors.js';
import { DEFAULT_FAMILY_BILSTM, FamilyBiLstm } from '../../models/family-bilstm.js';
import { stratifiedSplit } from '../../stats/splits.js';
import {
  PAPER_BILSTM_TRAINING,
  predictFamilies,
  trainFamilyBiLstm,
  type BiLstmTrainOptions,
} from './bilstm-training.js';
import { subsetCohort, type EphysCohort } from './cohort.js';
import { fitStandardizer, standardize } from './qc.js';
import { toFamilySequences } from './sequences.js';

export interface BiLstmClassifierOptions {
  attention?: boolean;
  hidden?: number;
  training?: Partial<BiLstmTrainOptions>;
}

export interface BiLstmPrediction {
  predicted: string[];
  /** Mean attention weight of each family over the test cells of each predicted class. */
  attentionByClass: Record<string, number[]>;
}

export function fitPredictBiLstm(
  train: EphysCohort,
  test: EphysCohort,
  seed: number,
  o: BiLstmClassifierOptions = {},
): BiLstmPrediction {
  if (train.families.every((f) => f.features.length === 1))
    throw new UsageError(
      'every family has a single feature: the BiLSTM input LayerNorm would erase it; group the features into families (option `grouping`)',
    );
  const classes = [...new Set(train.labels)].sort();
  const s = fitStandardizer(train);
  const [fit, val] = stratifiedSplit(train.labels, [0.8, 0.2], seed);
  const width = Math.max(...train.families.map((f) => f.features.length));
  const seq = (c: EphysCohort) => toFamilySequences(standardize(c, s), classes, width);
  const model = new FamilyBiLstm({
    ...DEFAULT_FAMILY_BILSTM,
    hidden: o.hidden ?? DEFAULT_FAMILY_BILSTM.hidden,
    attention: o.attention ?? true,
    width,
    heads: [classes.length],
  });
  trainFamilyBiLstm(model, seq(subsetCohort(train, fit)), seq(subsetCohort(train, val)), {
    ...PAPER_BILSTM_TRAINING,
    ...o.training,
    seed,
  });
  const testSeq = seq(test);
  const { predicted, attention } = predictFamilies(model, testSeq);
  model.dispose();
  const F = testSeq.families;
  const attentionByClass: Record<string, number[]> = {};
  const counts: Record<string, number> = {};
  predicted.forEach((k, i) => {
    const c = classes[k];
    attentionByClass[c] ??= new Array<number>(F).fill(0);
    counts[c] = (counts[c] ?? 0) + 1;
    for (let f = 0; f < F; f++) attentionByClass[c][f] += attention[i * F + f];
  });
  for (const c of Object.keys(attentionByClass))
    attentionByClass[c] = attentionByClass[c].map((v) => v / counts[c]);
  return { predicted: Array.from(predicted, (k) => classes[k]), attentionByClass };
}
