import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readH5adChunks, writeH5ad } from '../../src/io/cells/h5ad.js';
import { readTokenizedCorpus } from '../../src/pipelines/cells/corpus-files.js';
import { orthologsFromPairs } from '../../src/pipelines/cells/orthologs.js';
import { encodeCells, fitGeneMedians } from '../../src/pipelines/cells/rank-encoding.js';
import {
  fitMediansStreaming,
  tokenizeStreaming,
} from '../../src/pipelines/cells/tokenize-stream.js';
import { Vocabulary } from '../../src/pipelines/cells/vocabulary.js';
import { simulateCellCorpus } from '../../src/sim/cells.js';

test('streamed tokenization (row chunks of CSR and dense X) equals tokenizing the whole matrix; CSC is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-stream-'));
  const m = simulateCellCorpus({ species: 'human', cells: 150, seed: 4 });
  const vocab = Vocabulary.build(
    [{ species: 'human', genes: m.geneIds }],
    orthologsFromPairs([]),
    'separate',
  );
  const medians = fitGeneMedians([{ matrix: m, species: 'human' }], vocab);
  const whole = encodeCells(m, 'human', vocab, medians, { maxLength: 40 });
  for (const layout of ['csr', 'dense'] as const) {
    const path = join(dir, `${layout}.h5ad`);
    await writeH5ad(path, m, { layout });
    const source = { name: layout, species: 'human' as const, path };
    const streamed = await fitMediansStreaming([source], vocab, { chunkCells: 32 });
    assert.deepEqual([...streamed].sort(), [...medians].sort(), `${layout}: medians`);
    const r = await tokenizeStreaming(source, vocab, streamed, dir, {
      chunkCells: 32,
      maxLength: 40,
    });
    assert.equal(r.cells, 150);
    const back = readTokenizedCorpus(dir, layout);
    assert.deepEqual(back.corpus.tokens, whole.tokens, `${layout}: tokens`);
    assert.deepEqual(back.cells.cellIds, m.cellIds);
    assert.deepEqual(back.cells.obs.cell_type, m.obs.cell_type);
  }
  // A sampled fraction gives medians from fewer cells: close, not equal.
  const sampled = await fitMediansStreaming(
    [{ name: 'csr', species: 'human', path: join(dir, 'csr.h5ad') }],
    vocab,
    {
      chunkCells: 32,
      sampleFraction: 0.5,
      seed: 1,
    },
  );
  assert.notDeepEqual([...sampled].sort(), [...medians].sort());
  const csc = join(dir, 'csc.h5ad');
  await writeH5ad(csc, m, { layout: 'csc' });
  await assert.rejects(async () => {
    for await (const chunk of readH5adChunks(csc, 32)) void chunk;
  }, /CSC X cannot be read in row chunks/);
});
