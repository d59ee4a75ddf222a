/**
 * A tokenized corpus' counts by vocabulary token, kept beside its tokens for the linear
 * baseline (rank-value tokens drop the values a count model needs): per cell, the tokens of
 * its expressed genes with their counts (CSR), and the cell's total count over all genes.
 * Files: `<name>.expr.{indptr,token,count,total}.npy` (singular: `<name>.tokens.npy` is the
 * corpus itself).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../core/errors.js';
import type { CountMatrix } from '../../../io/cells/types.js';
import { readNpy, writeNpy } from '../../../io/npy.js';
import { cellTotal, columnTokens, forEachTokenCount } from './gene-columns.js';
import { SPECIAL_TOKENS, type Species, type Vocabulary } from './vocabulary.js';

/** Gene tokens follow the special ones (`<pad>`, `<mask>`, `<cls>`, `<eos>`). */
const FIRST_GENE = SPECIAL_TOKENS.length;

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
  const columns = columnTokens(m, species, vocab);
  const indptr = new Float64Array(m.nCells + 1);
  const tokens: number[] = [];
  const counts: number[] = [];
  const totals = new Float64Array(m.nCells);
  for (let c = 0; c < m.nCells; c++) {
    totals[c] = cellTotal(m, c);
    forEachTokenCount(m, c, columns, (t, count) => {
      tokens.push(t);
      counts.push(count);
    });
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

/** The cells of several corpora's expression, one after another (one vocabulary). */
export function concatExpression(parts: readonly TokenExpression[]): TokenExpression {
  if (parts.length === 1) return parts[0];
  const cells = parts.reduce((n, e) => n + e.totals.length, 0);
  const nnz = parts.reduce((n, e) => n + e.tokens.length, 0);
  const out: TokenExpression = {
    indptr: new Float64Array(cells + 1),
    tokens: new Int32Array(nnz),
    counts: new Float32Array(nnz),
    totals: new Float64Array(cells),
  };
  let cell = 0;
  let entry = 0;
  for (const e of parts) {
    const n = e.totals.length;
    for (let i = 1; i <= n; i++) out.indptr[cell + i] = entry + e.indptr[i];
    out.tokens.set(e.tokens, entry);
    out.counts.set(e.counts, entry);
    out.totals.set(e.totals, cell);
    cell += n;
    entry += e.tokens.length;
  }
  return out;
}

/** Tokens with a count in at least one cell of every corpus given. */
export function tokensExpressedInAll(corpora: TokenExpression[]): number[] {
  const sets = corpora.map((e) => new Set(e.tokens));
  return [...sets[0]].filter((t) => sets.every((s) => s.has(t))).sort((a, b) => a - b);
}

/**
 * What the encoder sees of each chosen cell, as dense rows over `tokens`: a gene at position
 * p (0-based, after `<cls>`) of the cell's n gene tokens gets (n − p) / n, a gene not in the
 * cell's tokens (unexpressed, or cut by the maximum length) 0. Order only: the counts a
 * log1p CP10k row carries are gone, as they are for the encoder.
 */
export function rankValueRows(
  corpus: { tokens: Int32Array; maxLength: number },
  cells: number[],
  tokens: number[],
): Float64Array[] {
  const column = new Map(tokens.map((t, j) => [t, j]));
  const L = corpus.maxLength;
  return cells.map((c) => {
    const row = new Float64Array(tokens.length);
    const genes = [...corpus.tokens.subarray(c * L, (c + 1) * L)].filter((t) => t >= FIRST_GENE);
    genes.forEach((t, p) => {
      const j = column.get(t);
      if (j !== undefined) row[j] = (genes.length - p) / genes.length;
    });
    return row;
  });
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
