/**
 * `neurobridge cells tokenize` as a function: build the gene vocabulary and medians from the
 * corpora and rank-value encode every cell, in memory or streamed in chunks of cells. The
 * outputs (vocabulary.json and every corpus' tokens and cells) are written as one set: a
 * failure at any corpus leaves nothing of this run in the output folder, and a success
 * replaces the whole tokenization that was there (corpora not in this run are removed).
 */
import { join, resolve } from 'node:path';
import { writeOutputSet } from '../../../core/atomic.js';
import { InputError, UsageError } from '../../../core/errors.js';
import { readCounts, type CountMatrix } from '../../../io/cells/index.js';
import { tokenExpression, writeExpression } from './expression.js';
import { CellPreparer, geneNameRepair, readCellTable, type CellPreparation } from './cell-table.js';
import { mouseCaseRestorer, type MouseCaseRestorer } from './gene-case.js';
import { h5adInfo } from '../../../io/cells/h5ad.js';
import { readVocabulary, writeTokenizedCorpus, writeVocabulary } from './corpus-files.js';
import { readOrthologs, summedFamilies, type Orthologs } from './orthologs.js';
import { encodeCells, fitGeneMedians, type GeneMedians } from './rank-encoding.js';
import { fitMediansStreaming, tokenizeStreaming, type StreamSource } from './tokenize-stream.js';
import { Vocabulary, type Species, type VocabularyMode } from './vocabulary.js';

export interface CorpusSource {
  /** File-name-safe: the corpus is written as `<name>.tokens.npy` / `<name>.cells.json`. */
  name: string;
  species: Species;
  path: string;
}

export interface TokenizeOptions {
  sources: CorpusSource[];
  /** Ortholog table (required unless `vocabularyFrom`, whose vocabulary already holds it). */
  orthologs?: string;
  /**
   * Give a paralog family whose genes all have the same single partner in the other species
   * (mouse Ins1 and Ins2 → human INS) that partner's token, its counts summed per cell,
   * instead of dropping it (see orthologs.ts).
   */
  sumParalogs?: boolean;
  /**
   * A folder written by an earlier tokenization: encode with its vocabulary and gene medians
   * instead of building new ones, so new cells meet an encoder pretrained on that folder in
   * its own tokens (genes outside that vocabulary are skipped and counted).
   */
  vocabularyFrom?: string;
  vocabulary: VocabularyMode;
  maxLength: number;
  /** h5ad layer to read instead of X (in-memory reading only). */
  layer?: string;
  /** h5ad: read `raw/X` and `raw/var` (scanpy keeps the counts there when X is scaled). */
  raw?: boolean;
  /** Stream .h5ad files in chunks of this many cells. */
  chunkCells?: number;
  /** With chunkCells: fraction of the cells the gene medians are fitted on. */
  medianSample?: number;
  /** Corpus name → CSV/TSV of cell annotations (first column: the cell id). */
  cellTables?: Record<string, string>;
  /** Keep only the cells of a corpus whose annotation `column` equals `value`. */
  select?: { corpus: string; column: string; value: string }[];
  /** Undo R's `X` prefix and `.`-for-`-` renaming of gene names. */
  unmangleRNames?: boolean;
  /**
   * Mouse corpora whose gene symbols were written upper-cased (`INS1` for `Ins1`): each symbol
   * equal, ignoring case, to exactly one mouse symbol of the ortholog table (or of the
   * `vocabularyFrom` vocabulary) takes that symbol's case.
   */
  restoreMouseCase?: string[];
  out: string;
}

export interface TokenizedCorpusSummary {
  name: string;
  cells: number;
  /** Mean tokens per cell (in-memory reading only). */
  meanTokens: number | null;
  skippedGenes: number;
  /**
   * Genes with a count in at least one cell, and how many of them have a token / a token
   * shared with the other species (in-memory reading only).
   */
  genes?: { expressed: number; withToken: number; shared: number };
}

export interface TokenizeResult {
  /** The table read (null when the vocabulary came from `vocabularyFrom`). */
  orthologs: Orthologs | null;
  vocabulary: { size: number; mode: VocabularyMode; file: string };
  corpora: TokenizedCorpusSummary[];
}

const CORPUS_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * A corpus name becomes part of file names inside the output folder: 1 to 100 letters,
 * digits, `_`, `.` or `-`, without `..` (so `../x` cannot write outside the folder).
 */
export function checkCorpusName(name: string): void {
  if (!CORPUS_NAME.test(name) || name.includes('..'))
    throw new UsageError(
      `corpus name '${name}': expected 1 to 100 letters, digits, '_', '.' or '-', without '..' (it names the output files)`,
    );
}

/** `name:species:path` (the path may contain ':'). */
export function parseCorpusSpec(spec: string): CorpusSource {
  const [name, species, ...rest] = spec.split(':');
  if (!name || (species !== 'human' && species !== 'mouse') || rest.length === 0 || !rest.join(':'))
    throw new UsageError(`corpus '${spec}': expected name:human|mouse:path`);
  checkCorpusName(name);
  return { name, species, path: rest.join(':') };
}

/** The files `cells tokenize` writes into its output folder. */
export function isTokenizationFile(name: string): boolean {
  return (
    name === 'vocabulary.json' ||
    name.endsWith('.tokens.npy') ||
    name.endsWith('.cells.json') ||
    /\.expr\.(indptr|token|count|total)\.npy$/.test(name)
  );
}

export async function tokenizeCorpora(
  o: TokenizeOptions,
  log: (line: string) => void = () => {},
): Promise<TokenizeResult> {
  if (o.sources.length === 0) throw new UsageError('no corpus to tokenize');
  const seen = new Set<string>();
  for (const s of o.sources) {
    checkCorpusName(s.name);
    if (seen.has(s.name))
      throw new UsageError(`corpus name '${s.name}' is given twice; each corpus needs its own`);
    seen.add(s.name);
  }
  if (o.chunkCells === undefined && o.medianSample !== undefined)
    throw new UsageError(
      'option `medianSample` samples the cells of streamed corpora: add option `chunkCells`',
    );
  if (o.raw && o.layer !== undefined)
    throw new UsageError('option `raw` and option `layer`: choose one');
  if (o.chunkCells !== undefined && o.raw)
    throw new UsageError(
      'option `raw`: streamed corpora (option `chunkCells`) are read from X only',
    );
  if (o.chunkCells !== undefined && o.layer !== undefined)
    throw new UsageError(
      'option `layer`: streamed corpora (option `chunkCells`) are read from X only',
    );
  const names = new Set(o.sources.map((s) => s.name));
  for (const [flag, corpus] of [
    ...Object.keys(o.cellTables ?? {}).map((c) => ['option `cellTables`', c]),
    ...(o.select ?? []).map((x) => ['option `select`', x.corpus]),
  ])
    if (!names.has(corpus))
      throw new UsageError(`${flag} ${corpus}=…: no corpus is named '${corpus}'`);
  for (const corpus of o.restoreMouseCase ?? []) {
    const source = o.sources.find((s) => s.name === corpus);
    if (source?.species !== 'mouse')
      throw new UsageError(
        `option \`restoreMouseCase\` ${corpus}: expected a mouse corpus, ${source ? `'${corpus}' is ${source.species}` : `no corpus is named '${corpus}'`}`,
      );
  }
  if (o.chunkCells !== undefined)
    for (const s of o.sources)
      if (!s.path.endsWith('.h5ad'))
        throw new UsageError(
          `option \`chunkCells\` streams .h5ad files only; ${s.path} is not one`,
        );
  if ((o.orthologs === undefined) === (o.vocabularyFrom === undefined))
    throw new UsageError(
      o.orthologs === undefined
        ? 'give option `orthologs` (a new vocabulary) or option `vocabularyFrom` DIR (an earlier one)'
        : 'option `orthologs` and option `vocabularyFrom`: choose one (the earlier vocabulary holds its orthologs)',
    );
  if (o.vocabularyFrom !== undefined && resolve(o.vocabularyFrom) === resolve(o.out))
    throw new UsageError(
      `option \`vocabularyFrom\` ${o.vocabularyFrom}: write to another option \`out\` (tokenize replaces the whole tokenization of its output folder)`,
    );
  if (o.sumParalogs && o.orthologs === undefined)
    throw new UsageError(
      'option `sumParalogs` builds a vocabulary from option `orthologs`; option `vocabularyFrom` reuses the families its vocabulary already holds',
    );
  const orthologs =
    o.orthologs === undefined
      ? null
      : readOrthologs(o.orthologs, { sumParalogs: o.sumParalogs ?? false });
  if (orthologs) {
    const summed = summedFamilies(orthologs);
    log(
      `orthologs: ${orthologs.mouseToHuman.size} one-to-one pairs kept, ` +
        (o.sumParalogs
          ? `${summed.families} paralog families summed (${summed.genes} genes), `
          : '') +
        `${orthologs.dropped.oneToMany} one-to-many and ${orthologs.dropped.manyToOne} many-to-one pairs dropped`,
    );
  } else log(`vocabulary and gene medians: ${join(o.vocabularyFrom!, 'vocabulary.json')}`);
  const restorers = mouseCaseRestorers(o, orthologs);
  // The folder holds one tokenization: corpora of an earlier one (another vocabulary) go.
  const corpora = await writeOutputSet(
    o.out,
    (staging) =>
      o.chunkCells !== undefined
        ? streamed(o, o.chunkCells, orthologs, restorers, staging)
        : inMemory(o, orthologs, restorers, staging),
    { replaces: isTokenizationFile },
  );
  for (const [corpus, r] of restorers) {
    const examples = [...r.restored].slice(0, 3).map(([from, to]) => `${from} → ${to}`);
    log(
      `${corpus}: ${r.restored.size} gene symbols took a known mouse symbol's case${examples.length ? ` (e.g. ${examples.join(', ')})` : ''}`,
    );
  }
  return {
    orthologs,
    vocabulary: { ...corpora.vocabulary, file: join(o.out, 'vocabulary.json') },
    corpora: corpora.corpora,
  };
}

type Written = {
  vocabulary: { size: number; mode: VocabularyMode };
  corpora: TokenizedCorpusSummary[];
};

/** The vocabulary and gene medians: built from the corpora, or those of `--vocabulary-from`. */
async function vocabularyAndMedians(
  o: TokenizeOptions,
  orthologs: Orthologs | null,
  genes: () => Promise<{ species: Species; genes: string[] }[]>,
  fitMedians: (vocab: Vocabulary) => Promise<GeneMedians>,
): Promise<{ vocab: Vocabulary; medians: GeneMedians }> {
  if (!orthologs) return readVocabulary(o.vocabularyFrom!);
  const vocab = Vocabulary.build(await genes(), orthologs, o.vocabulary);
  return { vocab, medians: await fitMedians(vocab) };
}

/** One case restorer per corpus of option `restoreMouseCase`, knowing the mouse symbols. */
function mouseCaseRestorers(
  o: TokenizeOptions,
  orthologs: Orthologs | null,
): Map<string, MouseCaseRestorer> {
  if (!o.restoreMouseCase?.length) return new Map();
  const known = orthologs
    ? [...orthologs.mouseSymbols]
    : readVocabulary(o.vocabularyFrom!).vocab.genesOf('mouse');
  return new Map(o.restoreMouseCase.map((corpus) => [corpus, mouseCaseRestorer(known)]));
}

/** A corpus' cell table, selections and gene-name repair, as the options give them. */
function preparationOf(
  o: TokenizeOptions,
  corpus: string,
  restorers: Map<string, MouseCaseRestorer>,
): CellPreparation {
  const table = o.cellTables?.[corpus];
  return {
    unmangleRNames: o.unmangleRNames,
    restoreMouseCase: restorers.get(corpus),
    cellTable: table === undefined ? undefined : readCellTable(table),
    select: (o.select ?? []).filter((x) => x.corpus === corpus),
  };
}

async function streamed(
  o: TokenizeOptions,
  chunkCells: number,
  orthologs: Orthologs | null,
  restorers: Map<string, MouseCaseRestorer>,
  dir: string,
): Promise<Written> {
  // Never the whole matrix in memory.
  const sources: StreamSource[] = o.sources.map((s) => ({
    ...s,
    preparation: preparationOf(o, s.name, restorers),
  }));
  const { vocab, medians } = await vocabularyAndMedians(
    o,
    orthologs,
    async () => {
      const infos = await Promise.all(o.sources.map((s) => h5adInfo(s.path)));
      return sources.map((s, i) => {
        const rename = s.preparation && geneNameRepair(s.preparation);
        return { species: s.species, genes: rename ? infos[i].genes.map(rename) : infos[i].genes };
      });
    },
    (vocab) =>
      fitMediansStreaming(sources, vocab, { chunkCells, sampleFraction: o.medianSample ?? 1 }),
  );
  writeVocabulary(dir, vocab, medians);
  const corpora: TokenizedCorpusSummary[] = [];
  for (const s of sources) {
    const r = await tokenizeStreaming(s, vocab, medians, dir, {
      chunkCells,
      maxLength: o.maxLength,
    });
    corpora.push({ name: s.name, cells: r.cells, meanTokens: null, skippedGenes: r.skippedGenes });
  }
  return { vocabulary: { size: vocab.size, mode: vocab.mode }, corpora };
}

async function inMemory(
  o: TokenizeOptions,
  orthologs: Orthologs | null,
  restorers: Map<string, MouseCaseRestorer>,
  dir: string,
): Promise<Written> {
  const corpora: (CorpusSource & { matrix: CountMatrix })[] = [];
  for (const s of o.sources) {
    const read = await readCounts(s.path, { layer: o.layer, raw: o.raw });
    requireCounts(read, s.path);
    const preparer = new CellPreparer(s.path, preparationOf(o, s.name, restorers));
    const matrix = preparer.prepare(read);
    preparer.finish();
    corpora.push({ ...s, matrix });
  }
  const { vocab, medians } = await vocabularyAndMedians(
    o,
    orthologs,
    async () =>
      corpora.map((c) => ({ species: c.species, genes: c.matrix.geneSymbols ?? c.matrix.geneIds })),
    async (vocab) => fitGeneMedians(corpora, vocab),
  );
  writeVocabulary(dir, vocab, medians);
  const summaries: TokenizedCorpusSummary[] = [];
  for (const c of corpora) {
    const enc = encodeCells(c.matrix, c.species, vocab, medians, { maxLength: o.maxLength });
    await writeTokenizedCorpus(
      dir,
      { name: c.name, species: c.species, cellIds: c.matrix.cellIds, obs: c.matrix.obs },
      enc,
    );
    await writeExpression(dir, c.name, tokenExpression(c.matrix, c.species, vocab));
    summaries.push({
      name: c.name,
      cells: c.matrix.nCells,
      meanTokens: enc.lengths.reduce((a, b) => a + b, 0) / enc.lengths.length,
      skippedGenes: enc.skippedGenes,
      genes: genesCovered(c.matrix, c.species, vocab),
    });
  }
  return { vocabulary: { size: vocab.size, mode: vocab.mode }, corpora: summaries };
}

/** How many of a corpus' expressed genes the vocabulary (and the other species) covers. */
function genesCovered(
  m: CountMatrix,
  species: Species,
  vocab: Vocabulary,
): { expressed: number; withToken: number; shared: number } {
  const expressed = new Uint8Array(m.nGenes);
  for (let i = 0; i < m.indptr[m.nCells]; i++) if (m.data[i] > 0) expressed[m.indices[i]] = 1;
  const names = m.geneSymbols ?? m.geneIds;
  const shared = vocab.sharedTokens();
  const out = { expressed: 0, withToken: 0, shared: 0 };
  names.forEach((gene, g) => {
    if (!expressed[g]) return;
    out.expressed++;
    const token = vocab.tokenOf(species, gene);
    if (token === undefined) return;
    out.withToken++;
    if (shared.has(token)) out.shared++;
  });
  return out;
}

/**
 * Rank-value encoding ranks expression against gene medians: negative values (a scaled or
 * centred X, as scanpy writes after `sc.pp.scale`) would be ranked as if they were counts.
 */
function requireCounts(m: CountMatrix, path: string): void {
  for (let i = 0; i < m.data.length; i++)
    if (m.data[i] < 0)
      throw new InputError(
        path,
        m.source.format === 'h5ad' ? 'X' : undefined,
        'holds negative values (scaled or centred data?); rank-value encoding needs counts: use option `raw` (scanpy keeps counts in raw) or option `layer` NAME',
      );
}
