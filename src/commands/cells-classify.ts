/**
 * `neurobridge cells classify` as a function: fine-tune a cell-type classifier on one
 * tokenized corpus and score it on another (e.g. mouse → human), next to the same classifier
 * trained from scratch; writes classification.json and report.html.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { InputError, UsageError } from '../core/errors.js';
import { CellEncoder } from '../models/cell-encoder.js';
import type { KeptWeights } from '../models/classifier-fit.js';
import { manualSeed } from '../engine/index.js';
import { renderCellsReport } from '../report/cells.js';
import type { ConfusionMatrix } from '../stats/index.js';
import {
  corpusRows,
  readTokenizedCorpora,
  readTokenizedCorpus,
  readVocabulary,
  type TokenCorpus,
} from '../pipelines/cells/corpus/corpus-files.js';
import {
  loadPretrainedRun,
  PRETRAINED_MODEL,
  saveEncoder,
} from '../pipelines/cells/pretrain/pretrain.js';
import {
  DEFAULT_CLASSIFIER,
  embedCells,
  ensemblePredictions,
  sharedTokenView,
  trainCellClassifier,
  type CellClassifier,
  type ClassifierOptions,
  type Pooling,
  type VocabularyView,
} from '../pipelines/cells/tasks/tasks.js';
import { SPECIAL_TOKENS } from '../pipelines/cells/corpus/vocabulary.js';
import {
  concatExpression,
  readExpression,
  tokensExpressedInAll,
  type TokenExpression,
} from '../pipelines/cells/corpus/expression.js';
import { linearBaseline, type LinearFeatures } from '../pipelines/cells/tasks/linear-baseline.js';
import {
  accuracy,
  confusionMatrix,
  groupEvenWeights,
  macroF1,
  perClassF1,
} from '../stats/index.js';
import { stratifiedSplit } from '../stats/splits.js';
import { summarizeSeeds, type SeedSummaryRow } from '../pipelines/cells/tasks/seed-summary.js';

export interface ClassifyOptions {
  /** Folder written by `cells pretrain`. */
  run: string;
  /** Folder written by `cells tokenize`. */
  tokens: string;
  /** Training corpus; several of one species joined by ',' (e.g. two donors) train as one. */
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
   * What the linear baseline reads: log1p CP10k (default) or the rank-value positions the
   * encoder classifiers read, in the same vocabulary view.
   */
  linearFeatures?: LinearFeatures;
  /**
   * When `test` is `train`: the stratified fraction of its cells held out for testing
   * (default 0.2); the rest is the training pool. Only for a single corpus.
   */
  testFraction?: number;
  /** Fine-tuning learning rate and pooling (default: DEFAULT_CLASSIFIER's). */
  lr?: number;
  /** The encoder's learning rate as a multiple of `lr` (default: DEFAULT_CLASSIFIER's). */
  encoderLrScale?: number;
  /** Which fine-tuned weights classify (default: DEFAULT_CLASSIFIER's, the best epoch's). */
  keepWeights?: KeptWeights;
  /** Fine-tune again on all the training cells for the epochs the first fit chose. */
  refit?: boolean;
  pooling?: Pooling;
  /**
   * Tokens the neural classifiers see (training, validation and test cells alike); default
   * `shared` when the two corpora are of different species, `all` otherwise.
   */
  vocabularyView?: VocabularyView;
  /**
   * With several training corpora: within each class every corpus carries the same total
   * weight in the fine-tuning loss and in the linear baseline's (stats' groupEvenWeights), so
   * a class one corpus over-represents cannot be learnt from that corpus' traits.
   */
  balanceCorpora?: boolean;
  /** Fine-tuning seed (and, for one corpus, the seed of its held-out split). */
  seed: number;
  /** Several seeds: one fine-tuning per seed, their mean ± sd (overrides `seed`). */
  seeds?: number[];
  /**
   * Further runs of `cells pretrain` (e.g. other pretraining seeds): each is fine-tuned like
   * `run`, with the same seed and cells, and the pretrained-encoder row classifies with the
   * mean of their class probabilities and `run`'s.
   */
  ensembleRuns?: string[];
  /**
   * Folder to write the fine-tuned encoder to, as `cells pretrain` writes one
   * (`encoder.safetensors`), with `fine-tuning.json` saying how it was made: `cells perturb`
   * and `cells embed` then run on it. One seed, encoder not frozen.
   */
  saveEncoder?: string;
  /** Called after each seed with its results (e.g. to print them as they come). */
  onSeed?: (result: SeedResult) => void;
  out: string;
}

/** The results of one seed, as a single-seed run gives them. */
export interface SeedResult {
  seed: number;
  trainCells: number;
  testCells: number;
  rows: ClassificationRow[];
}

export interface ClassificationRow {
  model:
    | 'pretrained encoder'
    | 'from scratch'
    | 'logistic regression (log1p CP10k)'
    | 'logistic regression (rank-value)';
  accuracy: number;
  macroF1: number;
  perClassF1: Record<string, number>;
  confusion: ConfusionMatrix;
  /** Early stopping's pick on the training corpus' validation cells (neural models only). */
  validation?: CellClassifier['validation'];
  /** With `ensembleRuns`: the members (`run` first), each alone on the same test cells. */
  ensemble?: { run: string; macroF1: number; validation: CellClassifier['validation'] }[];
}

export interface ClassifyResult {
  /** The first seed's rows. */
  rows: ClassificationRow[];
  perSeed: SeedResult[];
  /** Mean ± sd over the seeds, per model. */
  summary: SeedSummaryRow[];
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
): string[] {
  const col = cells.obs[label];
  if (!col)
    throw new InputError(
      join(tokensDir, `${cells.name}.cells.json`),
      `obs.${label}`,
      `no such cell annotation (--label); have ${Object.keys(cells.obs).join(', ') || 'none'}`,
    );
  return col.map(String);
}

/** The class labels of the training corpora's cells, one corpus after another. */
function trainLabelsOf(
  tokensDir: string,
  parts: { name: string; obs: Record<string, (string | number)[]> }[],
  label: string,
): string[] {
  const labels = parts.flatMap((cells) => corpusLabels(tokensDir, cells, label));
  const classes = new Set(labels);
  if (classes.size < 2)
    throw new InputError(
      cellsFiles(
        tokensDir,
        parts.map((p) => p.name),
      ),
      `obs.${label}`,
      `need at least 2 classes to train a classifier, found ${classes.size}${classes.size ? ` (${[...classes].join(', ')})` : ''}`,
    );
  return labels;
}

/** `tok/mm.cells.json`, or `tok/mm.cells.json + tok/mm2.cells.json` for several corpora. */
const cellsFiles = (tokensDir: string, names: string[]) =>
  names.map((n) => join(tokensDir, `${n}.cells.json`)).join(' + ');

/** Training and test cells of one split (a held-out part of one corpus depends on the seed). */
interface ClassifySplit {
  trainCells: number[];
  trainLabels: string[];
  /** The training corpus (index in --train) of each training cell. */
  trainGroups: number[];
  testLabels: string[];
  held: number[] | null;
  trainCorpus: TokenCorpus;
  testCorpus: TokenCorpus;
}

/** Refuses option combinations that cannot run, before anything is read. */
function checkClassifyOptions(o: ClassifyOptions, seeds: number[], trainNames: string[]): void {
  const single = o.test === o.train;
  if (seeds.length === 0 || new Set(seeds).size !== seeds.length)
    throw new UsageError(`--seeds: expected distinct seeds, got ${seeds.join(',')}`);
  if (o.testFraction !== undefined && !single)
    throw new UsageError(
      '--test-fraction splits one corpus into training and test cells: give --test the same corpus as --train',
    );
  if (o.balanceCorpora && trainNames.length < 2)
    throw new UsageError(
      `--balance-corpora evens out training corpora within each class: give --train two or more corpora (a,b), got ${o.train}`,
    );
  if (o.saveEncoder !== undefined && seeds.length > 1)
    throw new UsageError('--save-encoder writes one fine-tuned encoder: give one --seed');
  const runs = [o.run, ...(o.ensembleRuns ?? [])];
  if (new Set(runs).size !== runs.length)
    throw new UsageError(
      `--ensemble-runs: expected runs other than ${o.run} and each other, got ${runs.slice(1).join(',')}`,
    );
  if (o.saveEncoder !== undefined && runs.length > 1)
    throw new UsageError('--save-encoder writes one fine-tuned encoder: not with --ensemble-runs');
  if (o.saveEncoder !== undefined && o.freeze)
    throw new UsageError(
      '--save-encoder with --freeze would write the pretrained encoder unchanged: leave out --freeze',
    );
  if (
    new Set(trainNames).size !== trainNames.length ||
    (trainNames.length > 1 && trainNames.includes(o.test))
  )
    throw new UsageError(
      `--train ${o.train}: expected distinct corpora, none of them the test corpus ${o.test} (to test on a held-out part, give one training corpus)`,
    );
}

export function classifyCells(o: ClassifyOptions): ClassifyResult {
  const single = o.test === o.train;
  const seeds = o.seeds ?? [o.seed];
  const trainNames = o.train.split(',');
  checkClassifyOptions(o, seeds, trainNames);
  const train = readTokenizedCorpora(o.tokens, trainNames);
  const allTrainLabels = trainLabelsOf(o.tokens, train.parts, o.label);
  const allTrainGroups = train.parts.flatMap((p, k) => p.cellIds.map(() => k));
  const test = single ? train : readTokenizedCorpus(o.tokens, o.test);
  const crossTestLabels = single ? [] : corpusLabels(o.tokens, test.cells, o.label);
  const view = o.vocabularyView ?? (train.cells.species === test.cells.species ? 'all' : 'shared');
  // The counts beside the tokens, read once and only if the linear baseline or the view needs them.
  let expression: { train: TokenExpression; test: TokenExpression } | undefined;
  const expressionOf = () => {
    if (!expression) {
      const train = concatExpression(trainNames.map((n) => readExpression(o.tokens, n)));
      expression = { train, test: single ? train : readExpression(o.tokens, o.test) };
    }
    return expression;
  };
  const inView = vocabularyViewOf(o.tokens, view, expressionOf);
  const splitOf = (seed: number): ClassifySplit => {
    // One corpus: a stratified held-out fraction is the test set, the rest the training pool.
    const f = o.testFraction ?? 0.2;
    const [pool, held] = single
      ? stratifiedSplit(allTrainLabels, [1 - f, f], seed)
      : [allTrainLabels.map((_, i) => i), null];
    const testLabels = held ? held.map((i) => allTrainLabels[i]) : crossTestLabels;
    const testClasses = new Set(testLabels);
    const trainCells = pool.filter((i) => !o.onlyTestClasses || testClasses.has(allTrainLabels[i]));
    const trainLabels = trainCells.map((i) => allTrainLabels[i]);
    if (new Set(trainLabels).size < 2)
      throw new InputError(
        cellsFiles(o.tokens, trainNames),
        `obs.${o.label}`,
        `fewer than 2 of its classes are in the test corpus (${[...testClasses].join(', ')}): nothing to train with --only-test-classes`,
      );
    return {
      trainCells,
      trainLabels,
      trainGroups: trainCells.map((i) => allTrainGroups[i]),
      testLabels,
      held,
      trainCorpus: inView(corpusRows(train.corpus, trainCells)),
      testCorpus: inView(held ? corpusRows(train.corpus, held) : test.corpus),
    };
  };
  // Across corpora the split, and so the linear baseline, does not depend on the seed.
  const linearCache = new Map<string, string[]>();
  const linearOf = (seed: number, s: ClassifySplit): string[] => {
    const key = single ? String(seed) : 'all';
    let predicted = linearCache.get(key);
    if (!predicted) {
      const e = expressionOf();
      predicted = linearBaseline(e.train, s.trainCells, s.trainLabels, e.test, {
        ...(s.held ? { testCells: s.held } : {}),
        ...(o.balanceCorpora
          ? { sampleWeights: groupEvenWeights(s.trainLabels, s.trainGroups) }
          : {}),
        ...(o.linearFeatures === 'rank-value'
          ? {
              features: 'rank-value' as const,
              corpora: { train: inView(train.corpus), test: inView(test.corpus) },
            }
          : {}),
      }).predicted;
      linearCache.set(key, predicted);
    }
    return predicted;
  };
  const shown: { embeddings?: Float32Array; split?: ClassifySplit; hidden?: number } = {};
  const perSeed = seeds.map((seed): SeedResult => {
    const s = splitOf(seed);
    // Fine-tuning changes the encoder's weights: every seed starts from the saved run.
    const model = loadPretrainedRun(o.run);
    if (!shown.embeddings) {
      shown.embeddings = new Float32Array([
        ...embedCells(model, s.trainCorpus),
        ...embedCells(model, s.testCorpus),
      ]);
      shown.split = s;
      shown.hidden = model.config.hidden;
    }
    const rows = classifySeed(o, seed, model, s, () => linearOf(seed, s));
    if (o.saveEncoder !== undefined) saveFineTuned(o, o.saveEncoder, model, s, seed, rows[0], view);
    const result = { seed, trainCells: s.trainCells.length, testCells: s.testLabels.length, rows };
    o.onSeed?.(result);
    return result;
  });
  const summary = summarizeSeeds(perSeed, (m) =>
    m.startsWith('logistic') ? linearCache.size : perSeed.length,
  );
  const first = perSeed[0];
  const split = shown.split ?? splitOf(seeds[0]);
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
        trainCells: first.trainCells,
        testCells: first.testCells,
        ...(single ? { testFraction: o.testFraction ?? 0.2 } : {}),
        onlyTestClasses: Boolean(o.onlyTestClasses),
        balanceCorpora: Boolean(o.balanceCorpora),
        vocabularyView: view,
        meanTokens: { train: meanTokens(split.trainCorpus), test: meanTokens(split.testCorpus) },
        seeds,
        summary,
        perSeed,
        // The first seed's results (as a single-seed run writes them).
        rows: first.rows,
        confusion: first.rows[0].confusion,
      },
      null,
      2,
    ),
  );
  writeFileAtomic(
    files.report,
    renderCellsReport({
      embeddings: {
        values: shown.embeddings ?? new Float32Array(),
        hidden: shown.hidden ?? 1,
        species: [
          ...split.trainLabels.map(() => train.cells.species),
          ...split.testLabels.map(() => test.cells.species),
        ],
        cellType: [...split.trainLabels, ...split.testLabels],
      },
      classification: { rows: first.rows, confusion: first.rows[0].confusion, summary, perSeed },
      seed: seeds[0],
    }),
  );
  const out = { rows: first.rows, perSeed, summary, confusion: first.rows[0].confusion };
  return { ...out, files, vocabularyView: view };
}

/** The models of one seed on one split: pretrained (fine-tuned), from scratch, linear. */
function classifySeed(
  o: ClassifyOptions,
  seed: number,
  model: CellEncoder,
  s: ClassifySplit,
  linear: () => string[],
): ClassificationRow[] {
  const options = {
    freezeEncoder: o.freeze,
    epochs: o.epochs,
    seed,
    ...(o.lr !== undefined ? { lr: o.lr } : {}),
    ...(o.encoderLrScale !== undefined ? { encoderLrScale: o.encoderLrScale } : {}),
    ...(o.keepWeights !== undefined ? { keep: o.keepWeights } : {}),
    ...(o.refit !== undefined ? { refit: o.refit } : {}),
    ...(o.pooling !== undefined ? { pooling: o.pooling } : {}),
    ...(o.balanceCorpora ? { groups: s.trainGroups } : {}),
  };
  const row = (
    name: ClassificationRow['model'],
    predicted: string[],
    validation?: CellClassifier['validation'],
  ): ClassificationRow => ({
    model: name,
    accuracy: accuracy(s.testLabels, predicted),
    macroF1: macroF1(s.testLabels, predicted),
    perClassF1: testClassF1(s.testLabels, predicted),
    confusion: confusionMatrix(s.testLabels, predicted),
    ...(validation ? { validation } : {}),
  });
  const fineTuned = trainCellClassifier(model, s.trainCorpus, s.trainLabels, options);
  const rows: ClassificationRow[] = [
    o.ensembleRuns?.length
      ? ensembleRow(o, model, fineTuned, s, options, row)
      : row('pretrained encoder', fineTuned.predict(s.testCorpus), fineTuned.validation),
  ];
  if (o.scratch) {
    manualSeed(seed);
    const scratch = new CellEncoder(model.config);
    const clf = trainCellClassifier(scratch, s.trainCorpus, s.trainLabels, {
      ...options,
      freezeEncoder: false,
    });
    rows.push(row('from scratch', clf.predict(s.testCorpus), clf.validation));
  }
  if (o.linear !== false)
    rows.push(
      row(
        o.linearFeatures === 'rank-value'
          ? 'logistic regression (rank-value)'
          : 'logistic regression (log1p CP10k)',
        linear(),
      ),
    );
  return rows;
}

/**
 * The pretrained-encoder row of an ensemble: every further run fine-tuned as `run` was (same
 * options, seed and cells), the mean of the members' class probabilities classifying.
 */
function ensembleRow(
  o: ClassifyOptions,
  model: CellEncoder,
  first: CellClassifier,
  s: ClassifySplit,
  options: Partial<ClassifierOptions>,
  row: (
    name: ClassificationRow['model'],
    predicted: string[],
    validation?: CellClassifier['validation'],
  ) => ClassificationRow,
): ClassificationRow {
  // Each member classifies the test cells before its encoder is released.
  const scored = (run: string, clf: CellClassifier) => ({
    probabilities: clf.probabilities(s.testCorpus),
    member: {
      run,
      macroF1: macroF1(s.testLabels, clf.predict(s.testCorpus)),
      validation: clf.validation,
    },
  });
  const members = [scored(o.run, first)];
  for (const run of o.ensembleRuns ?? []) {
    const encoder = loadPretrainedRun(run);
    if (JSON.stringify(encoder.config) !== JSON.stringify(model.config))
      throw new InputError(
        join(run, PRETRAINED_MODEL),
        'metadata.config',
        `expected the configuration of ${o.run}'s encoder (the same vocabulary and sizes) for an ensemble`,
      );
    members.push(scored(run, trainCellClassifier(encoder, s.trainCorpus, s.trainLabels, options)));
    encoder.dispose();
  }
  const { predicted } = ensemblePredictions(
    members.map((m) => m.probabilities),
    first.classes.length,
  );
  return {
    ...row(
      'pretrained encoder',
      predicted.map((k) => first.classes[k]),
      first.validation,
    ),
    ensemble: members.map((m) => m.member),
  };
}

/** The fine-tuned encoder of one seed, and how it was made (the head is not kept). */
function saveFineTuned(
  o: ClassifyOptions,
  dir: string,
  model: CellEncoder,
  s: ClassifySplit,
  seed: number,
  row: ClassificationRow,
  view: VocabularyView,
): void {
  saveEncoder(dir, model);
  writeFileAtomic(
    join(dir, 'fine-tuning.json'),
    JSON.stringify(
      {
        pretrained: o.run,
        tokens: o.tokens,
        train: o.train,
        label: o.label,
        classes: [...new Set(s.trainLabels)].sort(),
        trainCells: s.trainCells.length,
        vocabularyView: view,
        seed,
        epochs: o.epochs,
        lr: o.lr ?? DEFAULT_CLASSIFIER.lr,
        encoderLrScale: o.encoderLrScale ?? DEFAULT_CLASSIFIER.encoderLrScale,
        keepWeights: o.keepWeights ?? DEFAULT_CLASSIFIER.keep,
        refit: o.refit ?? DEFAULT_CLASSIFIER.refit,
        pooling: o.pooling ?? DEFAULT_CLASSIFIER.pooling,
        balanceCorpora: Boolean(o.balanceCorpora),
        validation: row.validation,
      },
      null,
      2,
    ),
  );
}

/** The corpus transform of a vocabulary view; `shared` refuses a vocabulary that shares no token. */
function vocabularyViewOf(
  tokensDir: string,
  view: VocabularyView,
  expression: () => { train: TokenExpression; test: TokenExpression },
): (c: TokenCorpus) => TokenCorpus {
  if (view === 'all') return (c) => c;
  if (view === 'expressed') {
    const e = expression();
    const expressed = new Set(tokensExpressedInAll([e.train, e.test]));
    return (c) => sharedTokenView(c, expressed);
  }
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
