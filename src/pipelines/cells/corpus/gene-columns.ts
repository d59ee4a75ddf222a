/**
 * A count matrix's gene columns as vocabulary tokens, and each cell's counts by token. Columns
 * that share a token (the genes of a summed paralog family such as Ins1 and Ins2, or a symbol
 * the file repeats) are added up per cell, so every token appears once per cell with its whole
 * count: the medians, the rank-value encoding and the linear baseline's counts all read cells
 * through here and see the same genes.
 */
import type { CountMatrix } from '../../../io/cells/types.js';
import type { Species, Vocabulary } from './vocabulary.js';

export interface ColumnTokens {
  /** Each column's token, −1 for a gene outside the vocabulary. */
  tokens: Int32Array;
  /** Whether two columns share a token (then a cell's counts are summed per token). */
  shared: boolean;
}

/** A column is looked up by its symbol when the file has one, else (or failing that) its id. */
export function columnTokens(m: CountMatrix, species: Species, vocab: Vocabulary): ColumnTokens {
  const tokens = Int32Array.from(
    m.geneIds,
    (g, j) => vocab.tokenOf(species, m.geneSymbols?.[j] ?? g) ?? vocab.tokenOf(species, g) ?? -1,
  );
  const seen = new Set<number>();
  let shared = false;
  for (const t of tokens) {
    if (t < 0) continue;
    if (seen.has(t)) {
      shared = true;
      break;
    }
    seen.add(t);
  }
  return { tokens, shared };
}

/**
 * Calls `visit(token, count)` once for each token with a positive count in cell `c`; returns
 * how many of the cell's expressed genes have no token.
 */
export function forEachTokenCount(
  m: CountMatrix,
  c: number,
  columns: ColumnTokens,
  visit: (token: number, count: number) => void,
): number {
  let withoutToken = 0;
  const sums = columns.shared ? new Map<number, number>() : null;
  for (let k = m.indptr[c]; k < m.indptr[c + 1]; k++) {
    if (m.data[k] <= 0) continue;
    const t = columns.tokens[m.indices[k]];
    if (t < 0) withoutToken++;
    else if (sums) sums.set(t, (sums.get(t) ?? 0) + m.data[k]);
    else visit(t, m.data[k]);
  }
  if (sums) for (const [t, count] of sums) visit(t, count);
  return withoutToken;
}

/** A cell's total count over all its genes, with or without a token. */
export function cellTotal(m: CountMatrix, c: number): number {
  let total = 0;
  for (let k = m.indptr[c]; k < m.indptr[c + 1]; k++) total += m.data[k];
  return total;
}
