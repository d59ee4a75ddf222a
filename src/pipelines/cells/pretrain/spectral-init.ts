/**
 * Spectral initialisation of the gene (token) embeddings from the pretraining corpora
 * themselves, before masked-gene pretraining starts.
 *
 * Why: on a corpus of ~1,000 cells, masked-gene prediction from random embeddings stays on
 * its unigram plateau for the whole CPU budget (Baron pancreas, `small`: MLM loss 9.02 after
 * 4 epochs against a unigram entropy of 8.98; a PyTorch model of the same sizes behaves
 * alike), so "pretrained" meant "random". Starting from the principal axes of which genes
 * cells rank in their top tokens gives every gene a vector that already reflects
 * co-expression, and orthologs share one row in a unified vocabulary, so both species
 * start in one space. (Latent semantic analysis for words; word2vec-era warm starts.)
 *
 * What: X is the cells × vocabulary incidence of the rank-encoded tokens (1 when the gene is
 * among the cell's tokens), centred within each corpus so that corpus offsets (species,
 * donor, platform) do not take the leading axes. Its top `hidden` right singular vectors,
 * scaled by their singular values, are the gene embeddings; they come from the
 * eigendecomposition of the cells × cells Gram matrix (G = X Xᵀ, V·S = Xᵀ U), so the
 * cost is n² tokens-per-cell, not vocabulary². Rows are rescaled to the random
 * initialisation's mean norm (√hidden for N(0, 1)); tokens no sampled cell uses keep
 * their random rows.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { Rng } from '../../../core/random.js';
import { SPECIAL_TOKENS } from '../corpus/vocabulary.js';

/** How pretraining initialises the gene embeddings: `spectral` (this module) or N(0, 1). */
export const EMBEDDING_INITS = ['spectral', 'random'] as const;
export type EmbeddingInit = (typeof EMBEDDING_INITS)[number];

export interface SpectralInitOptions {
  hidden: number;
  vocabSize: number;
  /** At most this many cells (a seeded sample): the Gram matrix is cells². */
  maxCells?: number;
  seed?: number;
}

export interface SpectralEmbeddings {
  /** vocabSize × hidden, row-major; rows of unseen tokens are 0. */
  weights: Float32Array;
  /** 1 for tokens some sampled cell uses (their rows are set). */
  seen: Uint8Array;
  /** Axes computed (≤ hidden; fewer when there are fewer cells). */
  components: number;
  cells: number;
}

/**
 * `rows`: each cell's token row (padded with 0); `groups`: each cell's corpus. Special
 * tokens (`<pad>`, `<mask>`, `<cls>`, `<eos>`) are not genes and are left out.
 */
export function spectralTokenEmbeddings(
  rows: Int32Array,
  rowLength: number,
  groups: Int32Array,
  o: SpectralInitOptions,
): SpectralEmbeddings {
  const total = rows.length / rowLength;
  const maxCells = o.maxCells ?? 2000;
  const picked =
    total <= maxCells
      ? Array.from({ length: total }, (_, i) => i)
      : new Rng(o.seed ?? 0)
          .permutation(total)
          .slice(0, maxCells)
          .sort((a, b) => a - b);
  const n = picked.length;
  const V = o.vocabSize;
  const firstGene = SPECIAL_TOKENS.length;
  const genesOf = picked.map((cell) => {
    const out: number[] = [];
    for (let k = 0; k < rowLength; k++) {
      const t = rows[cell * rowLength + k];
      if (t >= firstGene) out.push(t);
    }
    return Int32Array.from(new Set(out));
  });
  // Per-corpus mean incidence over the sampled cells.
  const groupIds = [...new Set(picked.map((c) => groups[c]))];
  const groupOf = picked.map((c) => groupIds.indexOf(groups[c]));
  const means = groupIds.map(() => new Float64Array(V));
  const sizes = groupIds.map(() => 0);
  genesOf.forEach((genes, i) => {
    sizes[groupOf[i]]++;
    for (const t of genes) means[groupOf[i]][t]++;
  });
  means.forEach((m, g) => m.forEach((v, t) => (m[t] = v / sizes[g])));
  // x_i · μ_g for every cell and corpus, and μ_g · μ_h.
  const xDotMean = genesOf.map((genes) => means.map((m) => genes.reduce((s, t) => s + m[t], 0)));
  const meanDot = means.map((a) => means.map((b) => a.reduce((s, v, t) => s + v * b[t], 0)));
  // G_ij = (x_i − μ_gi)·(x_j − μ_gj), with |x_i ∩ x_j| counted on a marker array.
  const gram = new Matrix(n, n);
  const marker = new Uint8Array(V);
  for (let i = 0; i < n; i++) {
    for (const t of genesOf[i]) marker[t] = 1;
    for (let j = i; j < n; j++) {
      let both = 0;
      for (const t of genesOf[j]) both += marker[t];
      const g =
        both - xDotMean[i][groupOf[j]] - xDotMean[j][groupOf[i]] + meanDot[groupOf[i]][groupOf[j]];
      gram.set(i, j, g);
      gram.set(j, i, g);
    }
    for (const t of genesOf[i]) marker[t] = 0;
  }
  const evd = new EigenvalueDecomposition(gram, { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  const order = values
    .map((v, k) => [v, k] as const)
    .filter(([v]) => v > 1e-9)
    .sort((a, b) => b[0] - a[0])
    .slice(0, o.hidden)
    .map(([, k]) => k);
  const H = o.hidden;
  const U = evd.eigenvectorMatrix;
  // V·S = Xᵀ U = Σ_i x_i u_i − Σ_g μ_g (Σ_{i∈g} u_i).
  const weights = new Float64Array(V * H);
  const seen = new Uint8Array(V);
  const groupSums = groupIds.map(() => new Float64Array(order.length));
  genesOf.forEach((genes, i) => {
    order.forEach((k, c) => {
      const u = U.get(i, k);
      groupSums[groupOf[i]][c] += u;
      for (const t of genes) weights[t * H + c] += u;
    });
    for (const t of genes) seen[t] = 1;
  });
  for (let t = 0; t < V; t++) {
    if (!seen[t]) continue;
    for (let g = 0; g < groupIds.length; g++) {
      const m = means[g][t];
      if (m === 0) continue;
      for (let c = 0; c < order.length; c++) weights[t * H + c] -= m * groupSums[g][c];
    }
  }
  let norms = 0;
  let count = 0;
  for (let t = 0; t < V; t++) {
    if (!seen[t]) continue;
    let s = 0;
    for (let c = 0; c < H; c++) s += weights[t * H + c] ** 2;
    norms += Math.sqrt(s);
    count++;
  }
  const scale = count && norms > 0 ? Math.sqrt(H) / (norms / count) : 1;
  return {
    weights: Float32Array.from(weights, (w) => w * scale),
    seen,
    components: order.length,
    cells: n,
  };
}
