/**
 * Marker-deletion permutation test: does deleting a gene set from the selected cells move
 * them away from their own type more than deleting random gene sets of the same size that
 * rank like it (perturb-null.ts)?
 *
 * Statistic (larger = further away): −mean over the tested cells of
 * Δ cos(cell embedding, own centroid), the own centroid being the mean embedding of all the
 * selected cells; a cell that expresses none of the set is unchanged and counts 0. It needs
 * no other cell type (unlike a margin against the nearest other type, whose maximum also
 * switches between types from cell to cell), and averaging over every tested cell, not only
 * the ones a set touches, weighs a set by how many cells it reaches, as the deletion does.
 * One-sided p = (1 + #{null ≥ observed}) / (1 + permutations).
 */
import { Rng } from '../../../core/random.js';
import { UsageError } from '../../../core/errors.js';
import type { CellEncoder } from '../../../models/cell-encoder.js';
import { meanSd } from '../../../stats/hypothesis-tests.js';
import { corpusRows, type TokenCorpus } from '../corpus/corpus-files.js';
import {
  DEFAULT_MARKER_DELETION,
  drawMatchedSet,
  type MarkerDeletionOptions,
  geneProfiles,
  matchedPools,
  permutationP,
} from './perturb-null.js';

export { DEFAULT_MARKER_DELETION, type MarkerDeletionOptions };
import { cosine, embedCells, meanEmbedding, perturbRow } from './tasks.js';

export interface MarkerDeletionTest {
  /** The set's tokens that at least one tested cell holds (the ones deleted). */
  markers: number[];
  /** Tokens of the set that no tested cell holds (deleting them changes nothing). */
  absent: number[];
  /** Tested cells (indices into the selected cells), and how many hold at least one marker. */
  tested: number[];
  cells: number;
  affectedCells: number;
  observed: number;
  null: { mean: number; sd: number; values: number[]; sets: number[][] };
  /** Null sets whose statistic is ≥ the observed one. */
  exceedances: number;
  p: number;
  options: MarkerDeletionOptions;
}

/**
 * The statistic for each gene set: −mean Δ cos(cell, centroid) over the cells of `c`
 * (`base`: their embeddings). The perturbed cells of many sets go through the encoder
 * together, `chunkRows` at a time.
 */
export function awayFromCentroid(
  model: CellEncoder,
  c: TokenCorpus,
  base: Float32Array,
  centroid: Float32Array,
  sets: number[][],
  chunkRows = 1024,
): number[] {
  const H = model.config.hidden;
  const L = c.maxLength;
  const n = c.tokens.length / L;
  const baseCos = Array.from({ length: n }, (_, i) =>
    cosine(base.subarray(i * H, (i + 1) * H), centroid),
  );
  const out = sets.map(() => 0);
  let pending: { set: number; cell: number; row: Int32Array }[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const tokens = new Int32Array(pending.length * L);
    pending.forEach((p, k) => tokens.set(p.row, k * L));
    const e = embedCells(model, { tokens, maxLength: L });
    pending.forEach(({ set, cell }, k) => {
      out[set] -= (cosine(e.subarray(k * H, (k + 1) * H), centroid) - baseCos[cell]) / n;
    });
    pending = [];
  };
  sets.forEach((set, j) => {
    for (let i = 0; i < n; i++) {
      const row = perturbRow(c.tokens.subarray(i * L, (i + 1) * L), set, 'delete');
      if (row) pending.push({ set: j, cell: i, row });
    }
    if (pending.length >= chunkRows) flush();
  });
  flush();
  return out;
}

/** The test for deleting `markers` together from the cells of `selected`. */
export function markerDeletionTest(
  model: CellEncoder,
  selected: TokenCorpus,
  markers: number[],
  o: Partial<MarkerDeletionOptions> = {},
): MarkerDeletionTest {
  const opt = { ...DEFAULT_MARKER_DELETION, ...o };
  const H = model.config.hidden;
  const n = selected.tokens.length / selected.maxLength;
  const all = embedCells(model, selected);
  const centroid = meanEmbedding(
    all,
    H,
    Array.from({ length: n }, (_, i) => i),
  );
  const rng = new Rng(opt.seed);
  const tested =
    n > opt.maxCells
      ? rng
          .permutation(n)
          .slice(0, opt.maxCells)
          .sort((a, b) => a - b)
      : Array.from({ length: n }, (_, i) => i);
  const cells = corpusRows(selected, tested);
  const base = new Float32Array(tested.length * H);
  tested.forEach((i, k) => base.set(all.subarray(i * H, (i + 1) * H), k * H));
  const profiles = geneProfiles(cells);
  const expressed = new Set(profiles.map((g) => g.token));
  const present = markers.filter((t) => expressed.has(t));
  const absent = markers.filter((t) => !expressed.has(t));
  if (present.length === 0)
    throw new UsageError(
      'marker-deletion test: no tested cell expresses any of the `markers`; nothing to delete',
    );
  if (profiles.length - present.length < Math.max(opt.poolSize, present.length))
    throw new UsageError(
      `option \`poolSize\` ${opt.poolSize}: the tested cells express only ${profiles.length - present.length} other genes`,
    );
  if (opt.poolSize < present.length)
    throw new UsageError(
      `option \`poolSize\` ${opt.poolSize}: need at least as many genes as are deleted (${present.length}) to draw distinct sets`,
    );
  const pools = matchedPools(profiles, present, opt.poolSize);
  const sets = Array.from({ length: opt.permutations }, () => drawMatchedSet(pools, rng));
  const [observed, ...values] = awayFromCentroid(model, cells, base, centroid, [present, ...sets]);
  const L = cells.maxLength;
  let affected = 0;
  for (let i = 0; i < tested.length; i++)
    if (perturbRow(cells.tokens.subarray(i * L, (i + 1) * L), present, 'delete')) affected++;
  const { mean, sd } = meanSd(values);
  return {
    markers: present,
    absent,
    tested,
    cells: tested.length,
    affectedCells: affected,
    observed,
    null: { mean, sd, values, sets },
    exceedances: values.filter((v) => v >= observed).length,
    p: permutationP(observed, values),
    options: opt,
  };
}
