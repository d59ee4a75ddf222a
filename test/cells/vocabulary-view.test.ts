/**
 * The shared vocabulary view of `cells classify` on real cells (the Baron subset fixture:
 * 12 mouse and 12 human pancreas cells, see its PROVENANCE.md): every cell keeps `<cls>` and
 * exactly its tokens both species share, in rank order; across species it is the default.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  readTokenizedCorpus,
  readVocabulary,
} from '../../src/pipelines/cells/corpus/corpus-files.js';
import { sharedTokenView } from '../../src/pipelines/cells/tasks/tasks.js';
import { CLS, PAD } from '../../src/pipelines/cells/corpus/vocabulary.js';
import { classifyArgs } from '../helpers/cells-cli.js';
import { baronExpressedBySpecies, baronFixture, baronGenes } from '../helpers/baron-fixture.js';

const fixture = baronFixture;
const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'nb-cells-view-'));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, `${args.join(' ')}:\n${r.stderr}`);
  return r.stdout;
}

// Every other gene of the fixture has a (made-up, same-symbol) one-to-one ortholog; the
// rest stay species-specific. Both corpora come from one matrix, so the vocabulary's shared
// tokens are exactly `human:G` for the genes G of this table.
const genes = baronGenes();
const orthologs = genes.filter((_, i) => i % 2 === 0);
writeFileSync(
  join(dir, 'orthologs.csv'),
  ['mouse_gene,human_gene', ...orthologs.map((g) => `${g},${g}`)].join('\n'),
);
run(
  'cells',
  'tokenize',
  `mm:mouse:${fixture}`,
  `hs:human:${fixture}`,
  '--cell-table',
  `mm=${join(fixture, 'cells.csv')}`,
  '--cell-table',
  `hs=${join(fixture, 'cells.csv')}`,
  '--select',
  'mm=species=mouse',
  '--select',
  'hs=species=human',
  '--orthologs',
  'orthologs.csv',
  '--max-length',
  '64',
  '--out',
  'tok',
);
const tokDir = join(dir, 'tok');
const names: string[] = JSON.parse(readFileSync(join(tokDir, 'vocabulary.json'), 'utf8')).vocabulary
  .tokens;
const expectedShared = new Set(orthologs.map((g) => names.indexOf(`human:${g}`)));

/** Each cell's non-pad tokens (with `<cls>`), and the same filtered to the shared tokens. */
function expectedRows(corpus: string) {
  const { tokens, maxLength: L } = readTokenizedCorpus(tokDir, corpus).corpus;
  const all: number[][] = [];
  for (let r = 0; r < tokens.length / L; r++)
    all.push([...tokens.subarray(r * L, (r + 1) * L)].filter((t) => t !== PAD));
  const kept = all.map((row) => row.filter((t, i) => i === 0 || expectedShared.has(t)));
  return { all, kept };
}

const mean = (rows: number[][]) => rows.reduce((s, r) => s + r.length - 1, 0) / rows.length;

test('the shared view keeps <cls> and exactly the tokens both species share, in rank order (real Baron cells)', () => {
  const shared = readVocabulary(tokDir).vocab.sharedTokens();
  assert.deepEqual(
    [...shared].sort((a, b) => a - b),
    [...expectedShared].sort((a, b) => a - b),
  );
  for (const corpus of ['mm', 'hs']) {
    const { all, kept } = expectedRows(corpus);
    const view = sharedTokenView(readTokenizedCorpus(tokDir, corpus).corpus, shared);
    const L = view.maxLength;
    assert.equal(L, Math.max(...kept.map((r) => r.length)), 'all-padding columns are dropped');
    kept.forEach((row, r) => {
      const got = [...view.tokens.subarray(r * L, (r + 1) * L)];
      assert.equal(got[0], CLS);
      assert.deepEqual(got.slice(0, row.length), row, `${corpus} cell ${r}`);
      assert.ok(got.slice(row.length).every((t) => t === PAD));
    });
    // Not vacuous: the view drops species-specific tokens and keeps shared ones in every corpus.
    const dropped = all.reduce((s, row, r) => s + row.length - kept[r].length, 0);
    assert.ok(dropped > 0 && mean(kept) > 0, `${corpus}: dropped ${dropped}`);
    // Species-specific tokens are named with their species' prefix; none is kept.
    assert.ok(kept.flat().every((t) => t === CLS || names[t].startsWith('human:')));
  }
});

test('cells classify: across species the encoders see the shared view by default, all tokens on request', () => {
  run('cells', 'pretrain', 'tok', '--preset', 'tiny', '--epochs', '1', '--out', 'run');
  const classify = (out: string, ...extra: string[]) => {
    const stdout = run(
      ...classifyArgs('mm', 'hs', '--label', 'donor', '--epochs', '1', '--no-linear', ...extra),
      '--out',
      out,
    );
    const r = JSON.parse(readFileSync(join(dir, out, 'classification.json'), 'utf8')) as {
      vocabularyView: string;
      meanTokens: { train: number; test: number };
    };
    return { stdout, r };
  };
  const mm = expectedRows('mm');
  const hs = expectedRows('hs');
  const byDefault = classify('cls');
  assert.match(byDefault.stdout, /^vocabulary view: shared$/m);
  assert.equal(byDefault.r.vocabularyView, 'shared');
  assert.ok(Math.abs(byDefault.r.meanTokens.train - mean(mm.kept)) < 1e-9);
  assert.ok(Math.abs(byDefault.r.meanTokens.test - mean(hs.kept)) < 1e-9);
  const all = classify('cls-all', '--vocabulary-view', 'all');
  assert.equal(all.r.vocabularyView, 'all');
  assert.ok(Math.abs(all.r.meanTokens.train - mean(mm.all)) < 1e-9);
  assert.ok(Math.abs(all.r.meanTokens.test - mean(hs.all)) < 1e-9);
});

test('cells classify --vocabulary-view expressed: <cls> and the tokens with a count in some mouse and some human cell (real Baron cells)', () => {
  // Independent: which genes have a count in a mouse cell and in a human cell, from the mtx text.
  const seen = baronExpressedBySpecies();
  const expressed = new Set(
    orthologs
      .filter((g) => seen.mouse.has(g) && seen.human.has(g))
      .map((g) => names.indexOf(`human:${g}`)),
  );
  assert.ok(expressed.size > 0 && expressed.size < expectedShared.size, 'a strict part of shared');
  const keep = (corpus: string) =>
    expectedRows(corpus).all.map((row) => row.filter((t, i) => i === 0 || expressed.has(t)));
  run(
    ...classifyArgs('mm', 'hs', '--label', 'donor', '--epochs', '1', '--no-linear'),
    ...['--vocabulary-view', 'expressed', '--out', 'cls-expressed'],
  );
  const r = JSON.parse(readFileSync(join(dir, 'cls-expressed', 'classification.json'), 'utf8')) as {
    vocabularyView: string;
    meanTokens: { train: number; test: number };
  };
  assert.equal(r.vocabularyView, 'expressed');
  assert.ok(Math.abs(r.meanTokens.train - mean(keep('mm'))) < 1e-9, `${r.meanTokens.train}`);
  assert.ok(Math.abs(r.meanTokens.test - mean(keep('hs'))) < 1e-9, `${r.meanTokens.test}`);
});
