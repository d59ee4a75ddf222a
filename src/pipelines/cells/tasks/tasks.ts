/**
 * What the cell encoder is used for: cell embeddings; cell-type classification (a linear
 * head on pooled states, encoder frozen or fine-tuned, through the shared classifier fit of
 * models/classifier-fit.ts: early stopping on validation macro-F1); and in silico perturbation as in Geneformer: `delete` removes a gene's token
 * from the cell's ranked list, `overexpress` moves it to the top (just after `<cls>`); the
 * effect is the cosine shift of the cell embedding, and optionally the change of cosine
 * similarity to a goal state (the mean embedding of cells of that state).
 */
import { F, Linear, Tensor, manualSeed, noGrad, tidy } from '../../../engine/index.js';
import type { CellEncoder } from '../../../models/cell-encoder.js';
import {
  fitClassifier,
  type ClassifierCheckpoint,
  type KeptWeights,
} from '../../../models/classifier-fit.js';
import {
  accuracy,
  confusionMatrix,
  groupEvenWeights,
  macroF1,
  type ConfusionMatrix,
} from '../../../stats/index.js';
import { stratifiedSplit } from '../../../stats/splits.js';
import { UsageError } from '../../../core/errors.js';
import { corpusRows, type TokenCorpus } from '../corpus/corpus-files.js';
import { orthologView } from '../pretrain/pretrain-loss.js';
import { PAD } from '../corpus/vocabulary.js';

function rows(c: TokenCorpus, idx: number[]): Tensor {
  return Tensor.from(corpusRows(c, idx).tokens, [idx.length, c.maxLength], 'int64');
}

/** How a cell's token states become one embedding: their mean, or the `<cls>` state. */
export const POOLINGS = ['mean', 'cls'] as const;
export type Pooling = (typeof POOLINGS)[number];

/**
 * Which tokens a classifier sees. `shared`: only `<cls>` and the tokens both species use
 * (one-to-one orthologs in a unified vocabulary), as the linear baseline's genes; across
 * species a species-specific token can carry a label on the training cells that no test
 * cell can have. `all`: every token of the cell. `expressed`: `<cls>` and the tokens with a
 * count in some training cell and some test cell (the linear baseline's genes exactly), so
 * a gene one corpus' matrix never lists cannot tell the corpora apart.
 */
export const VOCABULARY_VIEWS = ['shared', 'all', 'expressed'] as const;
export type VocabularyView = (typeof VOCABULARY_VIEWS)[number];

/**
 * A corpus with every cell restricted to `shared` tokens (rank order kept, `<cls>` first,
 * see orthologView); trailing columns that are padding in every cell are dropped, since the
 * encoder masks pads and positions count from `<cls>` either way.
 */
export function sharedTokenView(c: TokenCorpus, shared: Set<number>): TokenCorpus {
  const L = c.maxLength;
  const kept = orthologView(shared)(c.tokens, L);
  const n = kept.length / L;
  let width = 1;
  for (let r = 0; r < n; r++) {
    let length = 1;
    while (length < L && kept[r * L + length] !== PAD) length++;
    width = Math.max(width, length);
  }
  const tokens = new Int32Array(n * width);
  for (let r = 0; r < n; r++) tokens.set(kept.subarray(r * L, r * L + width), r * width);
  return { tokens, maxLength: width };
}

/** In silico perturbations: remove the gene's token, or move it to the top of the cell. */
export const PERTURB_MODES = ['delete', 'overexpress'] as const;
export type PerturbMode = (typeof PERTURB_MODES)[number];

/** Cell embeddings [cells × hidden] in evaluation mode. */
export function embedCells(
  model: CellEncoder,
  c: TokenCorpus,
  pooling: Pooling = 'mean',
  batch = 64,
): Float32Array {
  model.eval();
  const n = c.tokens.length / c.maxLength;
  const out = new Float32Array(n * model.config.hidden);
  for (let s = 0; s < n; s += batch) {
    const idx = Array.from({ length: Math.min(batch, n - s) }, (_, k) => s + k);
    const e = noGrad(() =>
      tidy(() => {
        const t = rows(c, idx);
        return model.pool(model.encode(t), t, pooling).contiguous().toArray() as Float32Array;
      }),
    );
    out.set(e, s * model.config.hidden);
  }
  return out;
}

export interface ClassifierOptions {
  /** Train only the head (true) or the whole encoder (false). */
  freezeEncoder: boolean;
  epochs: number;
  patience: number;
  lr: number;
  /**
   * The encoder's learning rate as a multiple of `lr` (the new head's): below 1 keeps the
   * pretrained, species-shared representation closer to where pretraining left it.
   */
  encoderLrScale: number;
  /** The best validation epoch's weights, or the mean over the epochs (classifier-fit.ts). */
  keep: KeptWeights;
  /**
   * After the fit on four fifths of the training cells, fine-tune again from the pretrained
   * weights on all of them for as many epochs as the first fit used (up to its best epoch, or
   * every epoch it averaged), with the same weights rule. Why: which cells of a rare class land
   * in the validation fifth follows the seed (a class of 9 cells trains on 7 of them), and a
   * cross-species head learns a rare class from whichever cells it was given; the refit gives
   * every seed all of them. Costs a second fine-tuning.
   */
  refit: boolean;
  batchSize: number;
  seed: number;
  pooling: Pooling;
  /**
   * The group (e.g. training corpus, donor) of each training cell. With it the loss evens the
   * groups out within each class (stats' groupEvenWeights over the cells a fit trains on, on
   * top of the balanced class weights): a class that one group over-represents cannot be
   * learnt from traits of that group (its matrix, its depth) instead of the cells' biology.
   */
  groups?: readonly number[];
}

export const DEFAULT_CLASSIFIER: ClassifierOptions = {
  freezeEncoder: false,
  epochs: 30,
  patience: 5,
  lr: 1e-3,
  encoderLrScale: 1,
  keep: 'best-epoch',
  refit: false,
  batchSize: 32,
  seed: 0,
  pooling: 'mean',
};

export interface CellClassifier {
  classes: string[];
  predict: (c: TokenCorpus) => string[];
  /** Class probabilities (softmax of the head), cells × classes, row-major. */
  probabilities: (c: TokenCorpus) => Float32Array;
  /**
   * Macro-F1 of the kept weights on the validation fifth of the training cells, and the best
   * epoch (0-based); with `keep: 'epoch-average'`, also how many epochs were averaged; with
   * `refit`, how many epochs the refit on all the training cells ran (its weights classify, so
   * the validation score is the first fit's).
   */
  validation: {
    macroF1: number;
    epoch: number;
    cells: number;
    averagedEpochs?: number;
    refitEpochs?: number;
  };
}

/**
 * Fine-tunes a classification head (and the encoder unless frozen) on labelled cells.
 * With `checkpoint`, each epoch is committed to its folder and a later call resumes there
 * (the fit's per-epoch seeding then differs from the plain fit: see classifier-fit-resume.ts).
 */
export function trainCellClassifier(
  model: CellEncoder,
  train: TokenCorpus,
  labels: string[],
  o: Partial<ClassifierOptions> = {},
  checkpoint?: ClassifierCheckpoint,
): CellClassifier {
  const opt = { ...DEFAULT_CLASSIFIER, ...o };
  const classes = [...new Set(labels)].sort();
  const y = labels.map((l) => classes.indexOf(l));
  const [fit, val] = stratifiedSplit(labels, [0.8, 0.2], opt.seed);
  if (opt.refit && checkpoint)
    throw new UsageError('option `refit` is not available with a checkpointed fit');
  const pretrained = opt.refit && !opt.freezeEncoder ? model.cloneStateDict() : null;
  manualSeed(opt.seed);
  let head = new Linear(model.config.hidden, classes.length);
  // A frozen encoder runs in evaluation mode (no dropout), so each training cell's embedding
  // is fixed: computed once, the head trains on it at no further encoder cost.
  const H = model.config.hidden;
  const frozen = opt.freezeEncoder ? embedCells(model, train, opt.pooling) : null;
  const logitsOf = (c: TokenCorpus, idx: number[]) => {
    if (frozen && c === train) {
      const x = new Float32Array(idx.length * H);
      idx.forEach((i, k) => x.set(frozen.subarray(i * H, (i + 1) * H), k * H));
      return head.forward(Tensor.from(x, [idx.length, H], 'float32'));
    }
    const t = rows(c, idx);
    const states = opt.freezeEncoder ? noGrad(() => model.encode(t)) : model.encode(t);
    return head.forward(model.pool(states, t, opt.pooling));
  };
  /** `read` of the logits of the `idx` cells, 64 cells at a time in evaluation mode, joined. */
  const fromLogits = (
    c: TokenCorpus,
    idx: number[],
    read: (logits: Tensor) => ArrayLike<number>,
  ): number[] => {
    model.eval();
    const out: number[] = [];
    for (let s = 0; s < idx.length; s += 64)
      out.push(...Array.from(noGrad(() => tidy(() => read(logitsOf(c, idx.slice(s, s + 64)))))));
    return out;
  };
  const predictIdx = (c: TokenCorpus, idx: number[]) =>
    fromLogits(c, idx, (logits) => logits.argmax(-1).toNumbers());
  const allCells = (c: TokenCorpus) =>
    Array.from({ length: c.tokens.length / c.maxLength }, (_, i) => i);
  const encoderParams = opt.freezeEncoder ? [] : model.parameters();
  const groups = opt.groups;
  if (groups && groups.length !== labels.length)
    throw new UsageError(`option \`groups\`: ${groups.length} groups for ${labels.length} cells`);
  /** Per-cell weights evening the groups out within each class over `samples` (0 elsewhere). */
  const evenWeightsOver = (samples: number[]) => {
    if (!groups) return undefined;
    const w = new Float64Array(labels.length);
    const ws = groupEvenWeights(
      samples.map((i) => y[i]),
      samples.map((i) => groups[i]),
    );
    samples.forEach((i, k) => (w[i] = ws[k]));
    return w;
  };
  /** One fine-tuning of the current head (and the encoder unless frozen) on `samples`. */
  const fitOn = (
    samples: number[],
    validate: () => number,
    epochs: { maxEpochs: number; patience: number },
    fitCheckpoint?: ClassifierCheckpoint,
  ) =>
    fitClassifier(
      {
        samples,
        y,
        classes: classes.length,
        params: [...head.parameters(), ...encoderParams],
        lrScales: [
          ...head.parameters().map(() => 1),
          ...encoderParams.map(() => opt.encoderLrScale),
        ],
        logits: (idx) => logitsOf(train, idx),
        validate,
        // A frozen encoder does not change: only the head's weights need keeping.
        modules: opt.freezeEncoder ? [head] : [head, model],
        beforeEpoch: () => (opt.freezeEncoder ? model.eval() : model.train()),
        sampleWeights: evenWeightsOver(samples),
      },
      {
        lr: opt.lr,
        weightDecay: 0.01,
        clip: 1,
        batchSize: opt.batchSize,
        seed: opt.seed,
        keep: opt.keep,
        ...epochs,
      },
      fitCheckpoint,
    );
  const fitted = fitOn(
    fit,
    () =>
      macroF1(
        val.map((i) => y[i]),
        predictIdx(train, val),
      ),
    { maxEpochs: opt.epochs, patience: opt.patience },
    checkpoint,
  );
  const averaging = fitted.averageScore !== undefined;
  let refitEpochs: number | undefined;
  if (opt.refit) {
    // As many epochs as the first fit kept: up to its best epoch, or all it averaged over.
    refitEpochs = averaging ? fitted.history.length : Math.max(1, fitted.bestEpoch + 1);
    if (pretrained) model.loadStateDict(pretrained);
    head.dispose();
    manualSeed(opt.seed);
    head = new Linear(model.config.hidden, classes.length);
    // No validation: a score that never improves keeps the last epoch (or the average), and
    // patience = epochs lets every epoch run.
    fitOn(
      Array.from({ length: y.length }, (_, i) => i),
      () => NaN,
      { maxEpochs: refitEpochs, patience: refitEpochs },
    );
  }
  pretrained?.forEach((t) => t.dispose());
  return {
    classes,
    validation: {
      macroF1: fitted.averageScore ?? fitted.bestScore,
      epoch: fitted.bestEpoch,
      cells: val.length,
      ...(averaging ? { averagedEpochs: Math.max(1, fitted.history.length - 1) } : {}),
      ...(refitEpochs === undefined ? {} : { refitEpochs }),
    },
    predict: (c) => predictIdx(c, allCells(c)).map((k) => classes[k]),
    probabilities: (c) =>
      Float32Array.from(
        fromLogits(
          c,
          allCells(c),
          (logits) => F.softmax(logits, -1).contiguous().toArray() as Float32Array,
        ),
      ),
  };
}

/**
 * An ensemble's prediction: the mean of its members' class probabilities (each cells ×
 * `classes`, row-major, the same classes in the same order), and each cell's most probable
 * class (the first on a tie).
 */
export function ensemblePredictions(
  members: Float32Array[],
  classes: number,
): { mean: Float32Array; predicted: number[] } {
  if (members.length === 0 || members.some((m) => m.length !== members[0].length))
    throw new UsageError('ensemblePredictions: expected members of one shape');
  const mean = new Float32Array(members[0].length);
  for (const m of members) for (let i = 0; i < m.length; i++) mean[i] += m[i] / members.length;
  const predicted: number[] = [];
  for (let r = 0; r < mean.length / classes; r++) {
    let best = 0;
    for (let k = 1; k < classes; k++)
      if (mean[r * classes + k] > mean[r * classes + best]) best = k;
    predicted.push(best);
  }
  return { mean, predicted };
}

export interface ClassificationScores {
  accuracy: number;
  macroF1: number;
  confusion: ConfusionMatrix;
}

export function scoreClassifier(
  clf: CellClassifier,
  test: TokenCorpus,
  labels: string[],
): ClassificationScores {
  const predicted = clf.predict(test);
  return {
    accuracy: accuracy(labels, predicted),
    macroF1: macroF1(labels, predicted),
    confusion: confusionMatrix(labels, predicted),
  };
}

/**
 * One cell's token row with `tokens` deleted or moved to the top (in the order given); null
 * when the cell expresses none of them (`delete`: nothing to remove).
 */
export function perturbRow(
  row: Int32Array,
  tokens: number | readonly number[],
  mode: PerturbMode,
): Int32Array | null {
  const set = new Set(typeof tokens === 'number' ? [tokens] : tokens);
  const genes = Array.from(row.subarray(1)).filter((t) => t !== 0 && !set.has(t));
  const out = new Int32Array(row.length);
  out[0] = row[0];
  if (mode === 'delete') {
    if (genes.length === row.subarray(1).filter((t) => t !== 0).length) return null;
    out.set(genes, 1);
    return out;
  }
  out.set([...set, ...genes].slice(0, row.length - 1), 1);
  return out;
}

/** Cosine similarity of two vectors (0 when either is zero). */
export const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb || 1);
};

export interface PerturbationEffect {
  /** The gene's token, or the tokens perturbed together. */
  tokens: number[];
  cells: number;
  /** Mean 1 − cos(original, perturbed) over the cells that express the gene. */
  shift: number;
  /** Per goal state: the mean change of cos(·, goal). */
  towardGoals: number[];
}

/**
 * The effect of perturbing each entry of `perturbations` (a token, or tokens perturbed
 * together) in the cells of `c`; for `delete` only the cells expressing at least one count.
 */
export function perturbationEffects(
  model: CellEncoder,
  c: TokenCorpus,
  perturbations: (number | number[])[],
  mode: PerturbMode,
  goals: Float32Array[] = [],
): PerturbationEffect[] {
  const H = model.config.hidden;
  const L = c.maxLength;
  const base = embedCells(model, c);
  return perturbations.map((p) => {
    const tokens = typeof p === 'number' ? [p] : p;
    const cellsIdx: number[] = [];
    const perturbed: number[] = [];
    const n = c.tokens.length / L;
    for (let i = 0; i < n; i++) {
      const row = perturbRow(c.tokens.subarray(i * L, (i + 1) * L), tokens, mode);
      if (!row) continue;
      cellsIdx.push(i);
      perturbed.push(...row);
    }
    if (cellsIdx.length === 0)
      return { tokens, cells: 0, shift: 0, towardGoals: goals.map(() => 0) };
    const e = embedCells(model, { tokens: Int32Array.from(perturbed), maxLength: L });
    let shift = 0;
    const toward = goals.map(() => 0);
    cellsIdx.forEach((i, k) => {
      const before = base.subarray(i * H, (i + 1) * H);
      const after = e.subarray(k * H, (k + 1) * H);
      shift += 1 - cosine(before, after);
      goals.forEach((g, j) => (toward[j] += cosine(after, g) - cosine(before, g)));
    });
    return {
      tokens,
      cells: cellsIdx.length,
      shift: shift / cellsIdx.length,
      towardGoals: toward.map((t) => t / cellsIdx.length),
    };
  });
}

/** Mean embedding of the selected cells (a goal state). */
export function meanEmbedding(
  embeddings: Float32Array,
  hidden: number,
  cells: number[],
): Float32Array {
  const out = new Float32Array(hidden);
  for (const i of cells)
    for (let h = 0; h < hidden; h++) out[h] += embeddings[i * hidden + h] / cells.length;
  return out;
}
