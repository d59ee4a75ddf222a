/**
 * Tokenized corpora on disk: `<name>.tokens.npy` (int32, cells × maxLength, 0-padded) and
 * `<name>.cells.json` (species, cell ids, obs columns), beside `vocabulary.json` (the
 * vocabulary and the gene medians: everything needed to tokenize new cells the same way).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../core/atomic.js';
import { InputError } from '../../../core/errors.js';
import { readJsonFile } from '../../../core/json.js';
import { readNpy, writeNpy } from '../../../io/npy.js';
import type { EncodedCells, GeneMedians } from './rank-encoding.js';
import { Vocabulary, type Species, type VocabularyJson } from './vocabulary.js';

/** Rank-value-encoded cells as `<name>.tokens.npy` holds them. */
export interface TokenCorpus {
  /** cells × maxLength, 0-padded. */
  tokens: Int32Array;
  maxLength: number;
}

export interface CorpusCells {
  name: string;
  species: Species;
  cellIds: string[];
  obs: Record<string, (string | number)[]>;
}

export async function writeTokenizedCorpus(
  dir: string,
  cells: CorpusCells,
  enc: EncodedCells,
): Promise<void> {
  await writeNpy(join(dir, `${cells.name}.tokens.npy`), enc.tokens, {
    shape: [enc.lengths.length, enc.maxLength],
  });
  writeFileAtomic(join(dir, `${cells.name}.cells.json`), JSON.stringify(cells));
}

export function readTokenizedCorpus(
  dir: string,
  name: string,
): { corpus: TokenCorpus; cells: CorpusCells } {
  const npy = join(dir, `${name}.tokens.npy`);
  if (!existsSync(npy)) {
    tokenizedFolder(dir);
    const have = readdirSync(dir)
      .filter((f) => f.endsWith('.tokens.npy'))
      .map((f) => f.replace('.tokens.npy', ''));
    throw new InputError(
      npy,
      undefined,
      `no tokenized corpus '${name}' here; corpora: ${have.join(', ') || 'none'}`,
    );
  }
  const arr = readNpy(npy);
  if (arr.shape.length !== 2) throw new InputError(npy, 'shape', 'expected cells × maxLength');
  return {
    corpus: { tokens: Int32Array.from(arr.data as ArrayLike<number>), maxLength: arr.shape[1] },
    cells: readJsonFile<CorpusCells>(
      join(dir, `${name}.cells.json`),
      'the cells of a tokenized corpus',
    ),
  };
}

/**
 * Several tokenized corpora of one species read as one (e.g. two donors' labelled cells to
 * train on), cells in the order given; annotations kept where every corpus has them. The
 * joined name is the names joined by ','.
 */
export function readTokenizedCorpora(
  dir: string,
  names: readonly string[],
): { corpus: TokenCorpus; cells: CorpusCells; parts: CorpusCells[] } {
  const read = names.map((name) => readTokenizedCorpus(dir, name));
  const [first] = read;
  // One corpus (the usual case) is returned as read, not copied.
  if (read.length === 1) return { ...first, parts: [first.cells] };
  for (const { corpus, cells } of read.slice(1)) {
    if (cells.species !== first.cells.species)
      throw new InputError(
        join(dir, `${cells.name}.cells.json`),
        'species',
        `expected ${first.cells.species}, the species of ${first.cells.name}: corpora read as one are of one species`,
      );
    if (corpus.maxLength !== first.corpus.maxLength)
      throw new InputError(
        join(dir, `${cells.name}.tokens.npy`),
        'shape',
        `expected ${first.corpus.maxLength} tokens per cell, as ${first.cells.name}: corpora read as one share one tokenization`,
      );
  }
  const tokens = new Int32Array(read.reduce((n, r) => n + r.corpus.tokens.length, 0));
  let at = 0;
  for (const r of read) {
    tokens.set(r.corpus.tokens, at);
    at += r.corpus.tokens.length;
  }
  const columns = Object.keys(first.cells.obs).filter((k) => read.every((r) => k in r.cells.obs));
  return {
    corpus: { tokens, maxLength: first.corpus.maxLength },
    cells: {
      name: names.join(','),
      species: first.cells.species,
      cellIds: read.flatMap((r) => r.cells.cellIds),
      obs: Object.fromEntries(columns.map((k) => [k, read.flatMap((r) => r.cells.obs[k])])),
    },
    parts: read.map((r) => r.cells),
  };
}

/** Fails with an InputError unless `dir` is a folder (written by `cells tokenize`). */
function tokenizedFolder(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new InputError(
      dir,
      undefined,
      'missing: expected a folder written by `neurobridge cells tokenize`',
    );
}

export function corpusNames(dir: string): string[] {
  tokenizedFolder(dir);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.tokens.npy'))
    .map((f) => f.replace('.tokens.npy', ''))
    .sort();
}

export function writeVocabulary(dir: string, vocab: Vocabulary, medians: GeneMedians): void {
  writeFileAtomic(
    join(dir, 'vocabulary.json'),
    JSON.stringify({ vocabulary: vocab.toJSON(), medians: [...medians] }),
  );
}

export function readVocabulary(dir: string): { vocab: Vocabulary; medians: GeneMedians } {
  const file = join(dir, 'vocabulary.json');
  if (!existsSync(file))
    throw new InputError(file, undefined, 'missing; run `neurobridge cells tokenize` first');
  const j = readJsonFile<{ vocabulary: VocabularyJson; medians: [number, number][] }>(
    file,
    'a vocabulary written by `neurobridge cells tokenize`',
  );
  return { vocab: Vocabulary.fromJSON(j.vocabulary), medians: new Map(j.medians) };
}

/** The token rows of the chosen cells (in that order), as a corpus of their own. */
export function corpusRows(c: TokenCorpus, cells: readonly number[]): TokenCorpus {
  const L = c.maxLength;
  const tokens = new Int32Array(cells.length * L);
  cells.forEach((cell, k) => tokens.set(c.tokens.subarray(cell * L, (cell + 1) * L), k * L));
  return { tokens, maxLength: L };
}
