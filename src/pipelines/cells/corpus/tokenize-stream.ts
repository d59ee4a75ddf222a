/**
 * Tokenization of `.h5ad` corpora larger than memory: cells are read in row chunks, each
 * chunk gets the corpus' cell table, selection and gene-name repair as a whole matrix would,
 * the gene medians are fitted on a seeded sample of the kept cells (each kept with
 * probability `sampleFraction`), and token rows and counts are appended to their `.npy`
 * files as each chunk is encoded (row counts written at the end: a selection is only
 * counted once read).
 */
import { join } from 'node:path';
import { Rng } from '../../../core/random.js';
import type { CountMatrix } from '../../../io/cells/types.js';
import { readH5adChunks } from '../../../io/cells/h5ad.js';
import { NpyStreamWriter } from '../../../io/npy.js';
import { withAtomicPath, writeFileAtomic } from '../../../core/atomic.js';
import { CellPreparer, type CellPreparation } from './cell-table.js';
import { expressionFile, tokenExpression, EXPRESSION_PARTS } from './expression.js';
import { encodeCells, MedianAccumulator, type GeneMedians } from './rank-encoding.js';
import type { Species, Vocabulary } from './vocabulary.js';

export interface StreamSource {
  name: string;
  species: Species;
  path: string;
  /** Cell table, selections and gene-name repair, applied to every chunk. */
  preparation?: CellPreparation;
}

/** The source's chunks as the in-memory path would see the whole matrix; empty chunks skipped. */
async function* preparedChunks(s: StreamSource, chunkCells: number): AsyncGenerator<CountMatrix> {
  const preparer = new CellPreparer(s.path, s.preparation ?? {});
  let start = 0;
  for await (const raw of readH5adChunks(s.path, chunkCells)) {
    const chunk = preparer.prepare(raw, `cells ${start}–${start + raw.nCells - 1} of ${s.path}`);
    start += raw.nCells;
    if (chunk.nCells > 0) yield chunk;
  }
  preparer.finish();
}

export async function fitMediansStreaming(
  sources: StreamSource[],
  vocab: Vocabulary,
  o: { chunkCells: number; sampleFraction?: number; seed?: number },
): Promise<GeneMedians> {
  const acc = new MedianAccumulator(vocab);
  const rng = new Rng(o.seed ?? 0);
  const fraction = o.sampleFraction ?? 1;
  for (const s of sources)
    for await (const chunk of preparedChunks(s, o.chunkCells))
      acc.add(chunk, s.species, () => fraction >= 1 || rng.uniform() < fraction);
  return acc.medians();
}

/**
 * Writes `<dir>/<name>.tokens.npy`, `<name>.cells.json` and the counts by token
 * (`<name>.expr.*.npy`, for the linear baseline) chunk by chunk; returns the cell count.
 */
export async function tokenizeStreaming(
  s: StreamSource,
  vocab: Vocabulary,
  medians: GeneMedians,
  dir: string,
  o: { chunkCells: number; maxLength: number },
): Promise<{ cells: number; skippedGenes: number }> {
  const cellIds: string[] = [];
  const obs: Record<string, (string | number)[]> = {};
  let skippedGenes = 0;
  const paths = [
    join(dir, `${s.name}.tokens.npy`),
    ...EXPRESSION_PARTS.map((p) => expressionFile(dir, s.name, p)),
  ];
  await withAtomicPaths(paths, async ([tokensTmp, indptrTmp, tokenTmp, countTmp, totalTmp]) => {
    const tokens = new NpyStreamWriter(tokensTmp, 'i4', [null, o.maxLength]);
    const expr = {
      indptr: new NpyStreamWriter(indptrTmp, 'f8', [null]),
      tokens: new NpyStreamWriter(tokenTmp, 'i4', [null]),
      counts: new NpyStreamWriter(countTmp, 'f4', [null]),
      totals: new NpyStreamWriter(totalTmp, 'f8', [null]),
    };
    let nonZeros = 0;
    expr.indptr.append(new Float64Array([0]));
    for await (const chunk of preparedChunks(s, o.chunkCells)) {
      const enc = encodeCells(chunk, s.species, vocab, medians, { maxLength: o.maxLength });
      tokens.append(enc.tokens);
      skippedGenes += enc.skippedGenes;
      const e = tokenExpression(chunk, s.species, vocab);
      expr.indptr.append(e.indptr.subarray(1).map((v) => v + nonZeros));
      nonZeros += e.tokens.length;
      expr.tokens.append(e.tokens);
      expr.counts.append(e.counts);
      expr.totals.append(e.totals);
      // Element by element: spreading a chunk of >~120k cells into push() overflows the stack.
      for (const id of chunk.cellIds) cellIds.push(id);
      for (const [k, col] of Object.entries(chunk.obs)) {
        const to = (obs[k] ??= []);
        for (const v of col) to.push(v);
      }
    }
    tokens.close();
    for (const w of Object.values(expr)) w.close();
  });
  writeFileAtomic(
    join(dir, `${s.name}.cells.json`),
    JSON.stringify({ name: s.name, species: s.species, cellIds, obs }),
  );
  return { cells: cellIds.length, skippedGenes };
}

/** withAtomicPath over several files: all are renamed into place once `write` returns. */
async function withAtomicPaths(
  paths: string[],
  write: (tmps: string[]) => Promise<void>,
  done: string[] = [],
): Promise<void> {
  if (paths.length === 0) return write(done);
  await withAtomicPath(paths[0], (tmp) => withAtomicPaths(paths.slice(1), write, [...done, tmp]));
}
