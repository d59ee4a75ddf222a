/**
 * Tokenized corpora on disk: `<name>.tokens.npy` (int32, cells × maxLength, 0-padded) and
 * `<name>.cells.json` (species, cell ids, obs columns), beside `vocabulary.json` (the
 * vocabulary and the gene medians: everything needed to tokenize new cells the same way).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic.js';
import { InputError } from '../../core/errors.js';
import { readNpy, writeNpy } from '../../io/npy.js';
import type { EncodedCells, GeneMedians } from './rank-encoding.js';
import { Vocabulary, type Species, type VocabularyJson } from './vocabulary.js';
import type { TokenCorpus } from './pretrain.js';

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
    cells: JSON.parse(readFileSync(join(dir, `${name}.cells.json`), 'utf8')) as CorpusCells,
  };
}

export function corpusNames(dir: string): string[] {
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
  const j = JSON.parse(readFileSync(file, 'utf8')) as {
    vocabulary: VocabularyJson;
    medians: [number, number][];
  };
  return { vocab: Vocabulary.fromJSON(j.vocabulary), medians: new Map(j.medians) };
}
