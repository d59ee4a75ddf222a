/**
 * Tokenization of `.h5ad` corpora larger than memory: cells are read in row chunks, the gene
 * medians are fitted on a seeded sample of cells (each cell kept with probability
 * maxCells / cells), and token rows are appended to the `.npy` as each chunk is encoded.
 */
import { join } from 'node:path';
import { Rng } from '../../core/random.js';
import { h5adInfo, readH5adChunks } from '../../io/cells/h5ad.js';
import { NpyStreamWriter } from '../../io/npy.js';
import { withAtomicPath, writeFileAtomic } from '../../core/atomic.js';
import { encodeCells, MedianAccumulator, type GeneMedians } from './rank-encoding.js';
import type { Species, Vocabulary } from './vocabulary.js';

export interface StreamSource {
  name: string;
  species: Species;
  path: string;
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
    for await (const chunk of readH5adChunks(s.path, o.chunkCells))
      acc.add(chunk, s.species, () => fraction >= 1 || rng.uniform() < fraction);
  return acc.medians();
}

/** Writes `<dir>/<name>.tokens.npy` and `<name>.cells.json` chunk by chunk; returns the cell count. */
export async function tokenizeStreaming(
  s: StreamSource,
  vocab: Vocabulary,
  medians: GeneMedians,
  dir: string,
  o: { chunkCells: number; maxLength: number },
): Promise<{ cells: number; skippedGenes: number }> {
  const { cells } = await h5adInfo(s.path);
  const cellIds: string[] = [];
  const obs: Record<string, (string | number)[]> = {};
  let skippedGenes = 0;
  await withAtomicPath(join(dir, `${s.name}.tokens.npy`), async (tmp) => {
    const w = new NpyStreamWriter(tmp, 'i4', [cells, o.maxLength]);
    for await (const chunk of readH5adChunks(s.path, o.chunkCells)) {
      const enc = encodeCells(chunk, s.species, vocab, medians, { maxLength: o.maxLength });
      w.append(enc.tokens);
      skippedGenes += enc.skippedGenes;
      // Element by element: spreading a chunk of >~120k cells into push() overflows the stack.
      for (const id of chunk.cellIds) cellIds.push(id);
      for (const [k, col] of Object.entries(chunk.obs)) {
        const to = (obs[k] ??= []);
        for (const v of col) to.push(v);
      }
    }
    w.close();
  });
  writeFileAtomic(
    join(dir, `${s.name}.cells.json`),
    JSON.stringify({ name: s.name, species: s.species, cellIds, obs }),
  );
  return { cells: cellIds.length, skippedGenes };
}
