/**
 * `neurobridge ephys evaluate` and `ephys fit` as functions: cross-validated scores of the
 * sPCA + random forest pipeline and the attention BiLSTM on one cohort (evaluation.json +
 * report.html); the pipeline fitted on a whole cohort and saved as JSON (the writer and the
 * reader of that file side by side), and the scores of a saved model on a cohort (scores.json).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { InputError } from '../core/errors.js';
import { readJsonFile } from '../core/json.js';
import { renderEphysEvaluation, type EphysEvaluation } from '../report/ephys.js';
import { accuracy, confusionMatrix, macroF1, type ConfusionMatrix } from '../stats/index.js';
import { crossValidate, type CvResult } from '../pipelines/ephys/evaluation.js';
import {
  fitForestPipeline,
  forestInputs,
  predictForestPipeline,
  type ForestPipeline,
} from '../pipelines/ephys/forest.js';
import { classCounts, type EphysCohort } from '../pipelines/ephys/cohort.js';
import type { LoadedCohort } from '../pipelines/ephys/load.js';

/** The models `ephys evaluate --models` offers. */
export const EPHYS_MODELS = ['rf', 'bilstm', 'bilstm-no-attention'] as const;
export type EphysModelName = (typeof EPHYS_MODELS)[number];

export interface EvaluateOptions {
  models: EphysModelName[];
  folds: number;
  repeats: number;
  trees: number;
  seed: number;
  out: string;
  onFold?: (model: EphysModelName, done: number, total: number) => void;
  /** Called when a model's cross-validation is done. */
  onModel?: (model: EphysModelName, result: CvResult) => void;
}

/** The cohort summary of the report (and the line printed for it). */
export function describeCohort(l: LoadedCohort): EphysEvaluation['cohort'] {
  return {
    species: l.spec.species,
    cells: l.cohort.ids.length,
    classes: classCounts(l.cohort.labels),
    families: l.cohort.families.map((f) => ({ name: f.name, features: f.features.length })),
  };
}

export async function evaluateCohort(
  loaded: LoadedCohort,
  o: EvaluateOptions,
): Promise<{ evaluation: EphysEvaluation; files: { results: string; report: string } }> {
  const { folds, repeats, seed, trees } = o;
  const results: EphysEvaluation['models'] = {};
  for (const m of o.models) {
    const onFold = (done: number, total: number) => o.onFold?.(m, done, total);
    if (m === 'rf') {
      results[m] = crossValidate(
        loaded.cohort,
        (train, test, s) =>
          predictForestPipeline(fitForestPipeline(train, { seed: s, trees }), test),
        { folds, repeats, seed, onFold },
      );
    } else {
      // Loaded only here: the forest needs no libtorch.
      const { fitPredictBiLstm } = await import('../pipelines/ephys/bilstm-classifier.js');
      const attention: Record<string, number[][]> = {};
      const cv: CvResult = crossValidate(
        loaded.cohort,
        (train, test, s) => {
          const r = fitPredictBiLstm(train, test, s, { attention: m === 'bilstm' });
          for (const [c, w] of Object.entries(r.attentionByClass)) (attention[c] ??= []).push(w);
          return r.predicted;
        },
        { folds, repeats, seed, onFold },
      );
      results[m] =
        m === 'bilstm'
          ? {
              ...cv,
              attentionByClass: Object.fromEntries(
                Object.entries(attention).map(([c, ws]) => [
                  c,
                  ws[0].map((_, f) => ws.reduce((s, w) => s + w[f], 0) / ws.length),
                ]),
              ),
            }
          : cv;
    }
    o.onModel?.(m, results[m]);
  }
  const all = fitForestPipeline(loaded.cohort, { seed, trees: 50 });
  const inputs = forestInputs(all, loaded.cohort);
  const evaluation: EphysEvaluation = {
    cohort: describeCohort(loaded),
    qc: loaded.qc,
    folds,
    repeats,
    models: results,
    spcaScatter: {
      x: inputs.map((r) => r[0] ?? 0),
      y: inputs.map((r) => r[1] ?? 0),
      labels: loaded.cohort.labels,
    },
  };
  const files = { results: join(o.out, 'evaluation.json'), report: join(o.out, 'report.html') };
  writeFileAtomic(files.results, JSON.stringify(evaluation, null, 2));
  writeFileAtomic(files.report, renderEphysEvaluation(evaluation));
  return { evaluation, files };
}

/** A fitted sPCA + forest pipeline on disk, with the families it was fitted on. */
export interface SavedForest {
  kind: 'neurobridge-ephys-forest';
  families: { name: string; features: string[] }[];
  pipeline: ForestPipeline;
}

/** Writes a pipeline fitted on `cohort` as JSON (read back by readForestModel). */
export function saveForestModel(file: string, cohort: EphysCohort, pipeline: ForestPipeline): void {
  const families = cohort.families.map((f) => ({ name: f.name, features: f.features }));
  const saved: SavedForest = { kind: 'neurobridge-ephys-forest', families, pipeline };
  writeFileAtomic(file, JSON.stringify(saved));
}

/** Reads a model written by saveForestModel; refused unless `cohort` has its families and features. */
export function readForestModel(file: string, cohort: EphysCohort): ForestPipeline {
  const saved = readJsonFile<Partial<SavedForest>>(file, 'a model written by `ephys fit`');
  if (saved.kind !== 'neurobridge-ephys-forest' || !saved.families || !saved.pipeline)
    throw new InputError(file, 'kind', 'not a model written by `neurobridge ephys fit`');
  const have = cohort.families.map((f) => `${f.name}:${f.features.join('|')}`).join(',');
  const want = saved.families.map((f) => `${f.name}:${f.features.join('|')}`).join(',');
  if (have !== want)
    throw new InputError(
      file,
      'families',
      'the model was fitted on other families/features than this cohort has after QC',
    );
  return saved.pipeline;
}

/** `ephys fit`: the pipeline fitted on every cell of the cohort, saved to `out`. */
export function fitForestModel(
  loaded: LoadedCohort,
  o: { trees: number; seed: number; out: string },
): ForestPipeline {
  const pipeline = fitForestPipeline(loaded.cohort, { trees: o.trees, seed: o.seed });
  saveForestModel(o.out, loaded.cohort, pipeline);
  return pipeline;
}

/** Scores a model written by `ephys fit` on a cohort; writes `<out>/scores.json`. */
export function scoreSavedForest(
  file: string,
  loaded: LoadedCohort,
  out: string,
): { macroF1: number; accuracy: number; confusion: ConfusionMatrix; file: string } {
  const pipeline = readForestModel(file, loaded.cohort);
  const predicted = predictForestPipeline(pipeline, loaded.cohort);
  const truth = loaded.cohort.labels;
  const result = {
    macroF1: macroF1(truth, predicted),
    accuracy: accuracy(truth, predicted),
    confusion: confusionMatrix(truth, predicted),
  };
  const scores = join(out, 'scores.json');
  writeFileAtomic(scores, JSON.stringify(result, null, 2));
  return { ...result, file: scores };
}
