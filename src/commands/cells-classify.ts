/**
 * `neurobridge cells classify` as a function: fine-tune a cell-type classifier on one
 * tokenized corpus and score it on another (e.g. mouse → human), next to the same classifier
 * trained from scratch; writes classification.json and report.html.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { InputError } from '../core/errors.js';
import { CellEncoder } from '../models/cell-encoder.js';
import { manualSeed } from '../engine/index.js';
import { renderCellsReport } from '../report/cells.js';
import type { ConfusionMatrix } from '../stats/index.js';
import { readTokenizedCorpus } from '../pipelines/cells/corpus-files.js';
import { loadPretrainedRun } from '../pipelines/cells/pretrain.js';
import { embedCells, scoreClassifier, trainCellClassifier } from '../pipelines/cells/tasks.js';

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
  seed: number;
  out: string;
}

export interface ClassificationRow {
  model: 'pretrained encoder' | 'from scratch';
  accuracy: number;
  macroF1: number;
}

export interface ClassifyResult {
  rows: ClassificationRow[];
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
  const train = readTokenizedCorpus(o.tokens, o.train);
  const test = readTokenizedCorpus(o.tokens, o.test);
  const trainLabels = corpusLabels(o.tokens, train.cells, o.label, 2);
  const testLabels = corpusLabels(o.tokens, test.cells, o.label);
  const options = { freezeEncoder: o.freeze, epochs: o.epochs, seed: o.seed };
  const model = loadPretrainedRun(o.run);
  const before = new Float32Array([
    ...embedCells(model, train.corpus),
    ...embedCells(model, test.corpus),
  ]);
  const pretrained = scoreClassifier(
    trainCellClassifier(model, train.corpus, trainLabels, options),
    test.corpus,
    testLabels,
  );
  const rows: ClassificationRow[] = [
    { model: 'pretrained encoder', accuracy: pretrained.accuracy, macroF1: pretrained.macroF1 },
  ];
  if (o.scratch) {
    manualSeed(o.seed);
    const scratch = new CellEncoder(model.config);
    const s = scoreClassifier(
      trainCellClassifier(scratch, train.corpus, trainLabels, { ...options, freezeEncoder: false }),
      test.corpus,
      testLabels,
    );
    rows.push({ model: 'from scratch', accuracy: s.accuracy, macroF1: s.macroF1 });
  }
  const files = {
    results: join(o.out, 'classification.json'),
    report: join(o.out, 'report.html'),
  };
  writeFileAtomic(
    files.results,
    JSON.stringify(
      { train: o.train, test: o.test, label: o.label, rows, confusion: pretrained.confusion },
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
          ...train.cells.cellIds.map(() => train.cells.species),
          ...test.cells.cellIds.map(() => test.cells.species),
        ],
        cellType: [...trainLabels, ...testLabels],
      },
      classification: { rows, confusion: pretrained.confusion },
      seed: o.seed,
    }),
  );
  return { rows, confusion: pretrained.confusion, files };
}
