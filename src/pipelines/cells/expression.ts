/**
 * A tokenized corpus' counts by vocabulary token, kept beside its tokens for the linear
 * baseline (rank-value tokens drop the values a count model needs): per cell, the tokens of
 * its expressed genes with their counts (CSR), and the cell's total count over all genes.
 * Files: `<name>.expr.{indptr,token,count,total}.npy` (singular: `<name>.tokens.npy` is the
 * corpus itself).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../core/errors.js';
import type { CountMatrix } from '../../io/cells/types.js';
import { readNpy, writeNpy } from '../../io/npy.js';
import type { Species, Vocabulary } from './vocabulary.js';

export interface TokenExpression {
  /** CSR row pointers over cells (length cells + 1). */
  indptr: Float64Array;
  tokens: Int32Array;
  counts: Float32Array;
  /** Each cell's total count over all its genes (with or without a token). */
  totals: Float64Array;
}

export const EXPRESSION_PARTS = ['indptr', 'tokens', 'counts', 'totals'] as const;
const SUFFIX = { indptr: 'indptr', tokens: 'token', counts: 'count', totals: 'total' } as const;
export const expressionFile = (
  dir: string,
  name: string,
  part: (typeof EXPRESSION_PARTS)[number],
) => join(dir, `${name}.expr.${SUFFIX[part]}.npy`);

export function tokenExpression(
  m: CountMatrix,
  species: Species,
  vocab: Vocabulary,
): TokenExpression {
  const names = m.geneSymbols ?? m.geneIds;
  const tokenOfGene = Int32Array.from(names, (g) => vocab.tokenOf(species, g) ?? -1);
  const indptr = new Float64Array(m.nCells + 1);
  const tokens: number[] = [];
  const counts: number[] = [];
  const totals = new Float64Array(m.nCells);
  for (let c = 0; c < m.nCells; c++) {
    for (let k = m.indptr[c]; k < m.indptr[c + 1]; k++) {
      totals[c] += m.data[k];
      const t = tokenOfGene[m.indices[k]];
      if (t >= 0 && m.data[k] > 0) {
        tokens.push(t);
        counts.push(m.data[k]);
      }
    }
    indptr[c + 1] = tokens.length;
  }
  return { indptr, tokens: Int32Array.from(tokens), counts: Float32Array.from(counts), totals };
}

export async function writeExpression(
  dir: string,
  name: string,
  e: TokenExpression,
): Promise<void> {
  for (const part of EXPRESSION_PARTS) await writeNpy(expressionFile(dir, name, part), e[part]);
}

export function readExpression(dir: string, name: string): TokenExpression {
  const missing = EXPRESSION_PARTS.map((p) => expressionFile(dir, name, p)).find(
    (f) => !existsSync(f),
  );
  if (missing)
    throw new InputError(
      missing,
      undefined,
      'missing: the linear baseline needs the counts `cells tokenize` writes beside the tokens (re-run it)',
    );
  const read = (p: (typeof EXPRESSION_PARTS)[number]) =>
    readNpy(expressionFile(dir, name, p)).data as ArrayLike<number>;
  return {
    indptr: Float64Array.from(read('indptr')),
    tokens: Int32Array.from(read('tokens')),
    counts: Float32Array.from(read('counts')),
    totals: Float64Array.from(read('totals')),
  };
}

/** Tokens with a count in at least one cell of every corpus given. */
export function tokensExpressedInAll(corpora: TokenExpression[]): number[] {
  const sets = corpora.map((e) => new Set(e.tokens));
  return [...sets[0]].filter((t) => sets.every((s) => s.has(t))).sort((a, b) => a - b);
}

/** log1p(counts per 10,000) of the chosen cells over `tokens` (dense rows). */
export function logCp10k(e: TokenExpression, cells: number[], tokens: number[]): Float64Array[] {
  const column = new Map(tokens.map((t, j) => [t, j]));
  return cells.map((c) => {
    const row = new Float64Array(tokens.length);
    const scale = e.totals[c] > 0 ? 1e4 / e.totals[c] : 0;
    for (let k = e.indptr[c]; k < e.indptr[c + 1]; k++) {
      const j = column.get(e.tokens[k]);
      if (j !== undefined) row[j] = Math.log1p(e.counts[k] * scale);
    }
    return row;
  });
}
