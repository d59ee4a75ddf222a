/**
 * `neurobridge cells classify` as a function: fine-tune a cell-type classifier on one
 * tokenized corpus and score it on another (e.g. mouse → human), next to the same classifier
 * trained from scratch; writes classification.json and report.html.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { InputError, UsageError } from '../core/errors.js';
import { CellEncoder } from '../models/cell-encoder.js';
import { manualSeed } from '../engine/index.js';
import { renderCellsReport } from '../report/cells.js';
import type { ConfusionMatrix } from '../stats/index.js';
import {
  corpusRows,
  readTokenizedCorpus,
  readVocabulary,
  type TokenCorpus,
} from '../pipelines/cells/corpus-files.js';
import { loadPretrainedRun } from '../pipelines/cells/pretrain.js';
import {
  embedCells,
  sharedTokenView,
  trainCellClassifier,
  type CellClassifier,
  type Pooling,
  type VocabularyView,
} from '../pipelines/cells/tasks.js';
import { SPECIAL_TOKENS } from '../pipelines/cells/vocabulary.js';
import { readExpression } from '../pipelines/cells/expression.js';
import { linearBaseline } from '../pipelines/cells/linear-baseline.js';
import { accuracy, confusionMatrix, macroF1, perClassF1 } from '../stats/index.js';
import { stratifiedSplit } from '../stats/splits.js';

export interface ClassifyOptions {
  /** Folder written by `cells pretrain`. */
  run: string;
  /** Folder written by `cells tokenize`. */
  tokens: string;
  train: string;
  test: string;
  /** Cell annotation holding the classes. */
  label: string;
  /** Train only the head on a frozen encoder. */
  freeze: boolean;
  epochs: number;
  /** Also train the same classifier from scratch (randomly initialised encoder). */
  scratch: boolean;
  /** Train on the cells of the classes the test corpus has only (e.g. 13 mouse types → 5 human). */
  onlyTestClasses?: boolean;
  /** The linear baseline (logistic regression on log1p CP10k); default on. */
  linear?: boolean;
  /**
   * When `test` is `train`: the stratified fraction of its cells held out for testing
   * (default 0.2); the rest is the training pool. Only for a single corpus.
   */
  testFraction?: number;
  /** Fine-tuning learning rate and pooling (default: DEFAULT_CLASSIFIER's). */
  lr?: number;
  /** The encoder's learning rate as a multiple of `lr` (default: DEFAULT_CLASSIFIER's). */
  encoderLrScale?: number;
  pooling?: Pooling;
  /**
   * Tokens the neural classifiers see (training, validation and test cells alike); default
   * `shared` when the two corpora are of different species, `all` otherwise.
   */
  vocabularyView?: VocabularyView;
  seed: number;
  out: string;
}

export interface ClassificationRow {
  model: 'pretrained encoder' | 'from scratch' | 'logistic regression (log1p CP10k)';
  accuracy: number;
  macroF1: number;
  perClassF1: Record<string, number>;
  confusion: ConfusionMatrix;
  /** Early stopping's pick on the training corpus' validation cells (neural models only). */
  validation?: CellClassifier['validation'];
}

export interface ClassifyResult {
  rows: ClassificationRow[];
  /** The tokens the neural classifiers saw. */
  vocabularyView: VocabularyView;
  confusion: ConfusionMatrix;
  files: { results: string; report: string };
}

/** Class labels of a corpus' cells; an InputError names the corpus file and column. */
export function corpusLabels(
  tokensDir: string,
  cells: { name: string; obs: Record<string, (string | number)[]> },
  label: string,
  minClasses = 1,
): string[] {
  const file = join(tokensDir, `${cells.name}.cells.json`);
  const col = cells.obs[label];
  if (!col)
    throw new InputError(
      file,
      `obs.${label}`,
      `no such cell annotation (--label); have ${Object.keys(cells.obs).join(', ') || 'none'}`,
    );
  const labels = col.map(String);
  const classes = new Set(labels);
  if (classes.size < minClasses)
    throw new InputError(
      file,
      `obs.${label}`,
      `need at least ${minClasses} classes to train a classifier, found ${classes.size}${classes.size ? ` (${[...classes].join(', ')})` : ''}`,
    );
  return labels;
}

export function classifyCells(o: ClassifyOptions): ClassifyResult {
  const single = o.test === o.train;
  if (o.testFraction !== undefined && !single)
    throw new UsageError(
      '--test-fraction splits one corpus into training and test cells: give --test the same corpus as --train',
    );
  const train = readTokenizedCorpus(o.tokens, o.train);
  const allTrainLabels = corpusLabels(o.tokens, train.cells, o.label, 2);
  // One corpus: a stratified held-out fraction is the test set, the rest the training pool.
  const [pool, held] = single
    ? stratifiedSplit(allTrainLabels, [1 - (o.testFraction ?? 0.2), o.testFraction ?? 0.2], o.seed)
    : [allTrainLabels.map((_, i) => i), null];
  const test = single
    ? { ...train, corpus: corpusRows(train.corpus, held ?? []) }
    : readTokenizedCorpus(o.tokens, o.test);
  const testLabels = held
    ? held.map((i) => allTrainLabels[i])
    : corpusLabels(o.tokens, test.cells, o.label);
  const testClasses = new Set(testLabels);
  const trainCells = pool.filter((i) => !o.onlyTestClasses || testClasses.has(allTrainLabels[i]));
  const trainLabels = trainCells.map((i) => allTrainLabels[i]);
  if (new Set(trainLabels).size < 2)
    throw new InputError(
      join(o.tokens, `${o.train}.cells.json`),
      `obs.${o.label}`,
      `fewer than 2 of its classes are in the test corpus (${[...testClasses].join(', ')}): nothing to train with --only-test-classes`,
    );
  const view = o.vocabularyView ?? (train.cells.species === test.cells.species ? 'all' : 'shared');
  const inView = vocabularyViewOf(o.tokens, view);
  const trainCorpus = inView(corpusRows(train.corpus, trainCells));
  const testCorpus = inView(test.corpus);
  const options = {
    freezeEncoder: o.freeze,
    epochs: o.epochs,
    seed: o.seed,
    ...(o.lr !== undefined ? { lr: o.lr } : {}),
    ...(o.encoderLrScale !== undefined ? { encoderLrScale: o.encoderLrScale } : {}),
    ...(o.pooling !== undefined ? { pooling: o.pooling } : {}),
  };
  const model = loadPretrainedRun(o.run);
  const before = new Float32Array([
    ...embedCells(model, trainCorpus),
    ...embedCells(model, testCorpus),
  ]);
  const row = (
    name: ClassificationRow['model'],
    predicted: string[],
    validation?: CellClassifier['validation'],
  ): ClassificationRow => ({
    model: name,
    accuracy: accuracy(testLabels, predicted),
    macroF1: macroF1(testLabels, predicted),
    perClassF1: testClassF1(testLabels, predicted),
    confusion: confusionMatrix(testLabels, predicted),
    ...(validation ? { validation } : {}),
  });
  const fineTuned = trainCellClassifier(model, trainCorpus, trainLabels, options);
  const rows: ClassificationRow[] = [
    row('pretrained encoder', fineTuned.predict(testCorpus), fineTuned.validation),
  ];
  if (o.scratch) {
    manualSeed(o.seed);
    const scratch = new CellEncoder(model.config);
    const clf = trainCellClassifier(scratch, trainCorpus, trainLabels, {
      ...options,
      freezeEncoder: false,
    });
    rows.push(row('from scratch', clf.predict(testCorpus), clf.validation));
  }
  if (o.linear !== false) {
    const trainExpression = readExpression(o.tokens, o.train);
    const linear = linearBaseline(
      trainExpression,
      trainCells,
      trainLabels,
      single ? trainExpression : readExpression(o.tokens, o.test),
      held ? { testCells: held } : {},
    );
    rows.push(row('logistic regression (log1p CP10k)', linear.predicted));
  }
  const pretrained = rows[0];
  const files = {
    results: join(o.out, 'classification.json'),
    report: join(o.out, 'report.html'),
  };
  writeFileAtomic(
    files.results,
    JSON.stringify(
      {
        train: o.train,
        test: o.test,
        label: o.label,
        trainCells: trainCells.length,
        testCells: testLabels.length,
        ...(single ? { testFraction: o.testFraction ?? 0.2 } : {}),
        onlyTestClasses: Boolean(o.onlyTestClasses),
        vocabularyView: view,
        meanTokens: { train: meanTokens(trainCorpus), test: meanTokens(testCorpus) },
        rows,
        confusion: pretrained.confusion,
      },
      null,
      2,
    ),
  );
  writeFileAtomic(
    files.report,
    renderCellsReport({
      embeddings: {
        values: before,
        hidden: model.config.hidden,
        species: [
          ...trainLabels.map(() => train.cells.species),
          ...testLabels.map(() => test.cells.species),
        ],
        cellType: [...trainLabels, ...testLabels],
      },
      classification: { rows, confusion: pretrained.confusion },
      seed: o.seed,
    }),
  );
  return { rows, confusion: pretrained.confusion, files, vocabularyView: view };
}

/** The corpus transform of a vocabulary view; `shared` refuses a vocabulary that shares no token. */
function vocabularyViewOf(
  tokensDir: string,
  view: VocabularyView,
): (c: TokenCorpus) => TokenCorpus {
  if (view === 'all') return (c) => c;
  const shared = readVocabulary(tokensDir).vocab.sharedTokens();
  if (shared.size === 0)
    throw new InputError(
      join(tokensDir, 'vocabulary.json'),
      'vocabulary',
      'no token is shared by the two species (a separate vocabulary?): --vocabulary-view shared needs a unified one; use --vocabulary-view all',
    );
  return (c) => sharedTokenView(c, shared);
}

/** Mean gene tokens per cell (not `<cls>`, not padding). */
function meanTokens(c: TokenCorpus): number {
  const cells = c.tokens.length / c.maxLength;
  return (
    c.tokens.reduce((n, t) => n + (t >= SPECIAL_TOKENS.length ? 1 : 0), 0) / Math.max(1, cells)
  );
}

/** F1 of each class the test corpus has (predictions of other classes count as errors). */
function testClassF1(truth: string[], predicted: string[]): Record<string, number> {
  const scores = perClassF1(truth, predicted);
  const present = new Set(truth);
  return Object.fromEntries(
    scores.labels.flatMap((l, k) => (present.has(String(l)) ? [[String(l), scores.f1[k]]] : [])),
  );
}
