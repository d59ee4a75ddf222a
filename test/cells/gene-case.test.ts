/**
 * `cells tokenize --restore-mouse-case`: mouse symbols written upper-cased (CIDER's Baron
 * cells write `GCG` for `Gcg`) take the case of the one known mouse symbol they equal ignoring
 * case, so the ortholog table finds them. Checked on the real CIDER cells of the baron-subset
 * fixture against counts taken from its files directly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTenxMtx } from '../../src/io/cells/tenx.js';
import { writeH5ad } from '../../src/io/cells/h5ad.js';
import { attachCellTable, selectCells } from '../../src/pipelines/cells/corpus/cell-table.js';
import {
  readTokenizedCorpus,
  readVocabulary,
} from '../../src/pipelines/cells/corpus/corpus-files.js';
import { mouseCaseRestorer } from '../../src/pipelines/cells/corpus/gene-case.js';
import {
  baronExpressedBySpecies,
  baronFixture,
  baronGenes,
  baronLines,
} from '../helpers/baron-fixture.js';
import { tokenizeCorpora } from '../../src/pipelines/cells/corpus/tokenize.js';

const fixture = baronFixture;
const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'nb-gene-case-'));

const genes = baronGenes();
const pairs = baronLines('orthologs.csv')
  .slice(1)
  .map((l) => l.split(','));

function tokenize(...args: string[]) {
  return spawnSync(process.execPath, [cli, 'cells', 'tokenize', ...args, '--max-length', '64'], {
    cwd: dir,
    encoding: 'utf8',
  });
}
const cellTables = ['hs', 'mm', 'mm2'].flatMap((c) => [
  '--cell-table',
  `${c}=${join(fixture, 'cells.csv')}`,
]);
/** The fixture's human and mouse cells as two corpora, with the ortholog table `table`. */
const bothWith = (table: string, out: string, ...extra: string[]) =>
  tokenize(
    `hs:human:${fixture}`,
    `mm:mouse:${fixture}`,
    ...cellTables.slice(0, 4),
    '--select',
    'hs=species=human',
    '--select',
    'mm=species=mouse',
    '--orthologs',
    table,
    '--out',
    out,
    ...extra,
  );
const both = (out: string, ...extra: string[]) =>
  bothWith(join(fixture, 'orthologs.csv'), out, ...extra);
/** The mouse corpus' count of expressed genes with a token shared with the human one. */
const sharedGenes = (stdout: string) =>
  Number(/^mm: 12 cells, .* a token and (\d+) a token shared/m.exec(stdout)?.[1]);

test('mouseCaseRestorer: a name takes the case of the one known symbol it equals ignoring case', () => {
  const r = mouseCaseRestorer(['Ins1', 'Gcg', 'Xy', 'xY']);
  assert.equal(r.restore('INS1'), 'Ins1');
  assert.equal(r.restore('ins1'), 'Ins1');
  assert.equal(r.restore('Gcg'), 'Gcg', 'a known symbol stays');
  assert.equal(r.restore('XY'), 'XY', 'two known symbols differ only in case: neither is chosen');
  assert.equal(r.restore('FOO'), 'FOO', 'an unknown name stays');
  assert.deepEqual(
    [...r.restored],
    [
      ['INS1', 'Ins1'],
      ['ins1', 'Ins1'],
    ],
  );
});

test('tokenize --restore-mouse-case on real CIDER mouse cells: the upper-cased symbols meet their orthologs', () => {
  // Independent: the mouse cells' expressed genes, read from the 10x files as text.
  const expressed = baronExpressedBySpecies().mouse;
  const humanGenes = new Set(genes);
  const pairedUpper = new Set(
    pairs.filter(([, human]) => humanGenes.has(human)).map(([mouse]) => mouse.toUpperCase()),
  );
  const expectedShared = [...expressed].filter((g) => pairedUpper.has(g)).length;
  const exactShared = [...expressed].filter((g) =>
    pairs.some(([mouse, human]) => mouse === g && humanGenes.has(human)),
  ).length;
  assert.ok(expectedShared > 100, `${expectedShared} of the expressed genes have a pair`);

  const plain = both('plain');
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(sharedGenes(plain.stdout), exactShared, 'as written, the names miss the table');
  const restored = both('restored', '--restore-mouse-case', 'mm');
  assert.equal(restored.status, 0, restored.stderr);
  assert.equal(sharedGenes(restored.stdout), expectedShared);
  const renamed = pairs.filter(([mouse]) => genes.includes(mouse.toUpperCase())).length;
  assert.match(
    restored.stderr,
    new RegExp(
      `^mm: ${renamed} gene symbols took a known mouse symbol's case \\(e\\.g\\. ABCC8 → Abcc8`,
      'm',
    ),
  );

  // With an earlier vocabulary the known symbols are its mouse genes: the same cells, tokenized
  // again against it, get exactly the rows of the first tokenization.
  const again = (out: string, ...extra: string[]) =>
    tokenize(
      `mm2:mouse:${fixture}`,
      ...cellTables.slice(4),
      '--select',
      'mm2=species=mouse',
      '--vocabulary-from',
      'restored',
      '--out',
      out,
      ...extra,
    );
  const rows = (file: string) => {
    const b = readFileSync(join(dir, file));
    return b.subarray(10 + b.readUInt16LE(8));
  };
  const first = rows('restored/mm.tokens.npy');
  assert.equal(again('again', '--restore-mouse-case', 'mm2').status, 0);
  assert.ok(rows('again/mm2.tokens.npy').equals(first), 'the same rows as the first tokenization');
  assert.equal(again('again-plain').status, 0);
  assert.ok(!rows('again-plain/mm2.tokens.npy').equals(first), 'without it, genes are missed');

  for (const [names, message] of [
    ['hs', "--restore-mouse-case hs: expected a mouse corpus, 'hs' is human"],
    ['rat', "--restore-mouse-case rat: expected a mouse corpus, no corpus is named 'rat'"],
  ]) {
    const r = both('x', '--restore-mouse-case', names);
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim(), `neurobridge: ${message}`);
  }
});

test('--restore-mouse-case reads the same streamed (.h5ad in row chunks) as whole', async () => {
  const m = selectCells(
    attachCellTable(await readTenxMtx(fixture), join(fixture, 'cells.csv')),
    'species',
    'mouse',
  );
  const h5ad = join(dir, 'mouse.h5ad');
  await writeH5ad(h5ad, m);
  const options = {
    sources: [{ name: 'mm', species: 'mouse' as const, path: h5ad }],
    orthologs: join(fixture, 'orthologs.csv'),
    vocabulary: 'unified' as const,
    maxLength: 64,
    restoreMouseCase: ['mm'],
  };
  await tokenizeCorpora({ ...options, out: join(dir, 'whole') });
  await tokenizeCorpora({ ...options, chunkCells: 5, out: join(dir, 'streamed') });
  const whole = readTokenizedCorpus(join(dir, 'whole'), 'mm').corpus.tokens;
  assert.deepEqual(readTokenizedCorpus(join(dir, 'streamed'), 'mm').corpus.tokens, whole);
  assert.equal(
    readFileSync(join(dir, 'streamed', 'vocabulary.json'), 'utf8'),
    readFileSync(join(dir, 'whole', 'vocabulary.json'), 'utf8'),
  );
  // The restored names reach the vocabulary: Gcg shares GCG's token.
  const vocab = readVocabulary(join(dir, 'whole')).vocab;
  assert.equal(vocab.nameOf(vocab.tokenOf('mouse', 'Gcg')!), 'human:GCG');
});

test('tokenize --sum-paralogs on real CIDER cells: a family with one partner shares its token (Gapdh, Gm3839, Gm10358 → GAPDH)', () => {
  // The fixture's table plus every Ensembl 105 row of 12 families its genes belong to.
  const table = join(fixture, 'orthologs-paralogs.csv');
  const rows = baronLines('orthologs-paralogs.csv')
    .slice(1)
    .map((l) => l.split(','));
  const withTable = (out: string, ...extra: string[]) =>
    bothWith(table, out, '--restore-mouse-case', 'mm', ...extra);
  const dropped = withTable('families-dropped');
  assert.equal(dropped.status, 0, dropped.stderr);
  const summed = withTable('families-summed', '--sum-paralogs');
  assert.equal(summed.status, 0, summed.stderr);
  // Independent count: the families' mouse genes expressed in the mouse cells (upper-cased
  // there) with a partner among the fixture's genes, which the human cells are read with.
  const familyMouseGenes = ['Aldoa', 'Dynll1', 'Gapdh', 'Rnasek', 'Rps27', 'Cst3', 'Ins1'];
  const familyHumanPartners = ['Eif5a', 'Rpsa', 'H3f3b', 'Pabpc1', 'Mrfap1'];
  const expressed = baronExpressedBySpecies().mouse;
  const gained = [...familyMouseGenes, ...familyHumanPartners].filter(
    (m) =>
      expressed.has(m.toUpperCase()) &&
      rows.some(([mouse, human]) => mouse === m && genes.includes(human)),
  );
  assert.ok(gained.length >= 5, `${gained.join(', ')}`);
  assert.equal(sharedGenes(summed.stdout) - sharedGenes(dropped.stdout), gained.length);
  assert.match(summed.stderr, /^orthologs: 160 one-to-one pairs kept, 12 paralog families summed/m);
  const vocab = readVocabulary(join(dir, 'families-summed')).vocab;
  assert.equal(vocab.nameOf(vocab.tokenOf('mouse', 'Gapdh')!), 'human:GAPDH');
  assert.equal(vocab.tokenOf('mouse', 'Gapdh'), vocab.tokenOf('human', 'GAPDH'));
  assert.equal(vocab.nameOf(vocab.tokenOf('mouse', 'Ins1')!), 'human:INS');
  const before = readVocabulary(join(dir, 'families-dropped')).vocab;
  assert.equal(before.nameOf(before.tokenOf('mouse', 'Gapdh')!), 'mouse:Gapdh');

  const refused = tokenize(
    `mm2:mouse:${fixture}`,
    '--vocabulary-from',
    'families-summed',
    '--sum-paralogs',
    '--out',
    'x',
  );
  assert.notEqual(refused.status, 0);
  assert.match(
    refused.stderr.trim(),
    /^neurobridge: --sum-paralogs builds a vocabulary from --orthologs/,
  );
});
