/**
 * Geneformer's rank-value encoding: a cell's counts are normalised to 10,000 per cell,
 * divided by each gene's non-zero median over the training corpus (so ubiquitous genes do
 * not crowd out informative ones), and the expressed genes are listed from highest to
 * lowest (ties: lower token first), after `<cls>`, truncated to `maxLength` tokens.
 * The medians are part of the model: fitted once, saved with the vocabulary.
 */
import type { CountMatrix } from '../../../io/cells/types.js';
import { CLS, EOS, type Species, type Vocabulary } from './vocabulary.js';

/** Token → non-zero median of normalised expression (tokens never seen have none). */
export type GeneMedians = Map<number, number>;

function geneTokens(m: CountMatrix, species: Species, vocab: Vocabulary): Int32Array {
  return Int32Array.from(
    m.geneIds,
    (g, j) => vocab.tokenOf(species, m.geneSymbols?.[j] ?? g) ?? vocab.tokenOf(species, g) ?? -1,
  );
}

/**
 * Collects the non-zero normalised values per token and gives their medians. Exact: every
 * value is kept (float64 lists; a 10⁶-cell corpus with ~2,000 expressed genes per cell would
 * need ~16 GB), so large corpora pass `keepCell` to fit the medians on a seeded sample.
 */
export class MedianAccumulator {
  private readonly values = new Map<number, number[]>();

  constructor(private readonly vocab: Vocabulary) {}

  add(m: CountMatrix, species: Species, keepCell: (cell: number) => boolean = () => true): void {
    const tokens = geneTokens(m, species, this.vocab);
    for (let c = 0; c < m.nCells; c++) {
      if (!keepCell(c)) continue;
      let total = 0;
      for (let k = m.indptr[c]; k < m.indptr[c + 1]; k++) total += m.data[k];
      if (total <= 0) continue;
      for (let k = m.indptr[c]; k < m.indptr[c + 1]; k++) {
        const t = tokens[m.indices[k]];
        if (t < 0 || m.data[k] <= 0) continue;
        let list = this.values.get(t);
        if (!list) this.values.set(t, (list = []));
        list.push((m.data[k] / total) * 10_000);
      }
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
  const tokensOfGene = geneTokens(m, species, vocab);
  const tokens = new Int32Array(m.nCells * L);
  const lengths = new Int32Array(m.nCells);
  let skipped = 0;
  for (let c = 0; c < m.nCells; c++) {
    let total = 0;
    for (let k = m.indptr[c]; k < m.indptr[c + 1]; k++) total += m.data[k];
    const ranked: [number, number][] = [];
    for (let k = m.indptr[c]; k < m.indptr[c + 1]; k++) {
      if (m.data[k] <= 0) continue;
      const t = tokensOfGene[m.indices[k]];
      const median = t >= 0 ? medians.get(t) : undefined;
      if (median === undefined || median <= 0) {
        skipped++;
        continue;
      }
      ranked.push([t, ((m.data[k] / total) * 10_000) / median]);
    }
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
