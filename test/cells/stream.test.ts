import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readH5adChunks, writeH5ad } from '../../src/io/cells/h5ad.js';
import { readTokenizedCorpus } from '../../src/pipelines/cells/corpus/corpus-files.js';
import { orthologsFromPairs } from '../../src/pipelines/cells/corpus/orthologs.js';
import { encodeCells, fitGeneMedians } from '../../src/pipelines/cells/corpus/rank-encoding.js';
import {
  fitMediansStreaming,
  tokenizeStreaming,
} from '../../src/pipelines/cells/corpus/tokenize-stream.js';
import { Vocabulary } from '../../src/pipelines/cells/corpus/vocabulary.js';
import { tokenizeCorpora } from '../../src/pipelines/cells/corpus/tokenize.js';
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

test('streamed tokenization with a cell table, a selection and R-name repair writes the same files as reading the corpus whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-stream-table-'));
  const m = simulateCellCorpus({ species: 'mouse', cells: 90, seed: 5 });
  const geneIds = [...m.geneIds];
  [geneIds[0], geneIds[1]] = ['X0610007P14Rik', 'H2.Aa'];
  const path = join(dir, 'mm.h5ad');
  await writeH5ad(path, { ...m, geneIds, geneSymbols: undefined, obs: {} });
  const table = join(dir, 'cells.csv');
  writeFileSync(
    table,
    'barcode,batch,cell_type\n' +
      m.cellIds.map((id, i) => `${id},${i % 3 === 0 ? 'b' : 'a'},${m.obs.cell_type[i]}`).join('\n'),
  );
  writeFileSync(join(dir, 'orthologs.tsv'), 'mouse_gene\thuman_gene\n0610007P14Rik\tC1orf1\n');
  const common = {
    sources: [{ name: 'mm', species: 'mouse' as const, path }],
    orthologs: join(dir, 'orthologs.tsv'),
    vocabulary: 'unified' as const,
    maxLength: 30,
    cellTables: { mm: table },
    select: [{ corpus: 'mm', column: 'batch', value: 'a' }],
    unmangleRNames: true,
  };
  await tokenizeCorpora({ ...common, out: join(dir, 'whole') });
  await tokenizeCorpora({ ...common, chunkCells: 16, out: join(dir, 'streamed') });
  const files = readdirSync(join(dir, 'whole')).sort();
  assert.deepEqual(readdirSync(join(dir, 'streamed')).sort(), files);
  assert.ok(files.includes('mm.expr.count.npy') && files.includes('mm.tokens.npy'));
  for (const f of files)
    assert.ok(
      readFileSync(join(dir, 'streamed', f)).equals(readFileSync(join(dir, 'whole', f))),
      `${f} differs`,
    );
  const back = readTokenizedCorpus(join(dir, 'streamed'), 'mm');
  assert.equal(back.cells.cellIds.length, 60);
  assert.ok(back.cells.obs.batch.every((b) => b === 'a'));
  const vocab = readFileSync(join(dir, 'streamed', 'vocabulary.json'), 'utf8');
  assert.ok(vocab.includes('0610007P14Rik') && vocab.includes('H2-Aa') && !vocab.includes('H2.Aa'));

  await assert.rejects(
    tokenizeCorpora({
      ...common,
      select: [{ corpus: 'mm', column: 'batch', value: 'z' }],
      chunkCells: 16,
      out: join(dir, 'none'),
    }),
    /option `select` batch=z: no cell of .*mm\.h5ad has it; the values are a, b|option `select` batch=z: no cell of .*mm\.h5ad has it; the values are b, a/,
  );
  writeFileSync(
    table,
    'barcode,batch\n' +
      m.cellIds
        .slice(0, 40)
        .map((id) => `${id},a`)
        .join('\n'),
  );
  await assert.rejects(
    tokenizeCorpora({ ...common, chunkCells: 16, out: join(dir, 'missing') }),
    /cells\.csv.*: 8 of cells 32–47 of .*mm\.h5ad have no row/,
  );
});
