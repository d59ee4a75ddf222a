/**
 * The null of a marker-deletion test: random gene sets of the same size, each gene drawn
 * from the genes that rank like one of the markers in the tested cells. Genes are matched in
 * two ways at once, because in a rank-value encoding both decide how much a deletion moves a
 * cell: how many of the cells express the gene (its frequency) and where it sits in the
 * cells that do (its mean position, 1 = top). Each candidate is placed by its two ranks among
 * all candidates (scaled to [0, 1]); a marker's pool is the `poolSize` candidates nearest to
 * it in that plane (Euclidean; ties by token), markers excluded.
 */
import type { Rng } from '../../../core/random.js';
import { averageRanks } from '../../../stats/hypothesis-tests.js';
import type { TokenCorpus } from '../corpus/corpus-files.js';
import { SPECIAL_TOKENS } from '../corpus/vocabulary.js';

/** Settings of the marker-deletion test (marker-deletion.ts). */
export interface MarkerDeletionOptions {
  /** Random sets drawn for the null. */
  permutations: number;
  /** Genes in each marker's pool of matched genes. */
  poolSize: number;
  /** Test at most this many of the selected cells (a seeded random subset). */
  maxCells: number;
  seed: number;
}

export const DEFAULT_MARKER_DELETION: MarkerDeletionOptions = {
  permutations: 200,
  poolSize: 20,
  maxCells: 100,
  seed: 0,
};

export interface GeneProfile {
  token: number;
  /** Fraction of the cells whose token row holds the gene. */
  frequency: number;
  /** Mean position in those rows (1 = just after `<cls>`). */
  meanPosition: number;
}

/** Every gene token that occurs in at least one cell of `c`, by token. */
export function geneProfiles(c: TokenCorpus): GeneProfile[] {
  const L = c.maxLength;
  const n = c.tokens.length / L;
  const count = new Map<number, number>();
  const positions = new Map<number, number>();
  for (let i = 0; i < n; i++)
    for (let p = 1; p < L; p++) {
      const t = c.tokens[i * L + p];
      if (t < SPECIAL_TOKENS.length) continue;
      count.set(t, (count.get(t) ?? 0) + 1);
      positions.set(t, (positions.get(t) ?? 0) + p);
    }
  return [...count.keys()]
    .sort((a, b) => a - b)
    .map((token) => {
      const k = count.get(token) ?? 0;
      return { token, frequency: k / n, meanPosition: (positions.get(token) ?? 0) / k };
    });
}

/**
 * For each marker (a token of `profiles`), the `poolSize` other genes nearest to it in the
 * plane of (frequency rank, mean-position rank); markers are never in a pool.
 */
export function matchedPools(
  profiles: GeneProfile[],
  markers: number[],
  poolSize: number,
): number[][] {
  const m = profiles.length;
  const freq = averageRanks(profiles.map((g) => g.frequency));
  const pos = averageRanks(profiles.map((g) => g.meanPosition));
  const scale = Math.max(1, m - 1);
  const at = new Map(profiles.map((g, i) => [g.token, i]));
  const excluded = new Set(markers);
  return markers.map((marker) => {
    const k = at.get(marker);
    if (k === undefined) throw new Error(`marker token ${marker} has no profile`);
    return profiles
      .map((g, i) => ({
        token: g.token,
        d: Math.hypot((freq[i] - freq[k]) / scale, (pos[i] - pos[k]) / scale),
      }))
      .filter((x) => !excluded.has(x.token))
      .sort((a, b) => a.d - b.d || a.token - b.token)
      .slice(0, poolSize)
      .map((x) => x.token);
  });
}

/**
 * One random set: a gene drawn uniformly from each marker's pool in turn, leaving out genes
 * already drawn (so the set has distinct genes, as the markers do).
 */
export function drawMatchedSet(pools: number[][], rng: Rng): number[] {
  const set: number[] = [];
  for (const pool of pools) {
    const left = pool.filter((t) => !set.includes(t));
    if (left.length === 0) throw new Error('a matched pool ran out of genes');
    set.push(left[rng.int(left.length)]);
  }
  return set;
}

/**
 * One-sided permutation p-value: (1 + #{null ≥ observed}) / (1 + #null), never 0 (the
 * observed set counts as one of the permutations; Phipson & Smyth 2010).
 */
export function permutationP(observed: number, nulls: ArrayLike<number>): number {
  let exceed = 0;
  for (let i = 0; i < nulls.length; i++) if (nulls[i] >= observed) exceed++;
  return (1 + exceed) / (1 + nulls.length);
}
