/**
 * Geneformer's rank-value encoding: a cell's counts are normalised to 10,000 per cell,
 * divided by each gene's non-zero median over the training corpus (so ubiquitous genes do
 * not crowd out informative ones), and the expressed genes are listed from highest to
 * lowest (ties: lower token first), after `<cls>`, truncated to `maxLength` tokens. Genes
 * sharing a token (a summed paralog family) count as one gene with their summed count.
 * The medians are part of the model: fitted once, saved with the vocabulary.
 */
import type { CountMatrix } from '../../../io/cells/types.js';
import { cellTotal, columnTokens, forEachTokenCount } from './gene-columns.js';
import { CLS, EOS, type Species, type Vocabulary } from './vocabulary.js';

/** Token → non-zero median of normalised expression (tokens never seen have none). */
export type GeneMedians = Map<number, number>;

/**
 * Collects the non-zero normalised values per token and gives their medians. Exact: every
 * value is kept (float64 lists; a 10⁶-cell corpus with ~2,000 expressed genes per cell would
 * need ~16 GB), so large corpora pass `keepCell` to fit the medians on a seeded sample.
 */
export class MedianAccumulator {
  private readonly values = new Map<number, number[]>();

  constructor(private readonly vocab: Vocabulary) {}

  add(m: CountMatrix, species: Species, keepCell: (cell: number) => boolean = () => true): void {
    const columns = columnTokens(m, species, this.vocab);
    for (let c = 0; c < m.nCells; c++) {
      if (!keepCell(c)) continue;
      const total = cellTotal(m, c);
      if (total <= 0) continue;
      forEachTokenCount(m, c, columns, (t, count) => {
        let list = this.values.get(t);
        if (!list) this.values.set(t, (list = []));
        list.push((count / total) * 10_000);
      });
    }
  }

  medians(): GeneMedians {
    const medians: GeneMedians = new Map();
    for (const [t, list] of this.values) {
      const s = Float64Array.from(list).sort();
      const mid = s.length >> 1;
      medians.set(t, s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2);
    }
    return medians;
  }
}

export function fitGeneMedians(
  corpora: { matrix: CountMatrix; species: Species }[],
  vocab: Vocabulary,
): GeneMedians {
  const acc = new MedianAccumulator(vocab);
  for (const { matrix, species } of corpora) acc.add(matrix, species);
  return acc.medians();
}

export interface EncodedCells {
  /** cells × maxLength, padded with 0 (`<pad>`). */
  tokens: Int32Array;
  lengths: Int32Array;
  maxLength: number;
  /** Expressed genes that had no token or no median (counted, not encoded). */
  skippedGenes: number;
}

export function encodeCells(
  m: CountMatrix,
  species: Species,
  vocab: Vocabulary,
  medians: GeneMedians,
  o: { maxLength?: number; eos?: boolean } = {},
): EncodedCells {
  const L = o.maxLength ?? 2048;
  const columns = columnTokens(m, species, vocab);
  const tokens = new Int32Array(m.nCells * L);
  const lengths = new Int32Array(m.nCells);
  let skipped = 0;
  for (let c = 0; c < m.nCells; c++) {
    const total = cellTotal(m, c);
    const ranked: [number, number][] = [];
    // Expressed genes without a token, or without a median, are skipped.
    skipped += forEachTokenCount(m, c, columns, (t, count) => {
      const median = medians.get(t);
      if (median === undefined || median <= 0) skipped++;
      else ranked.push([t, ((count / total) * 10_000) / median]);
    });
    ranked.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const row = c * L;
    tokens[row] = CLS;
    const room = L - 1 - (o.eos ? 1 : 0);
    const n = Math.min(room, ranked.length);
    for (let i = 0; i < n; i++) tokens[row + 1 + i] = ranked[i][0];
    let length = 1 + n;
    if (o.eos) tokens[row + length++] = EOS;
    lengths[c] = length;
  }
  return { tokens, lengths, maxLength: L, skippedGenes: skipped };
}
