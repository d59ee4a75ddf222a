/**
 * The cells commands on real cells (40 cells of scanpy's pbmc68k_reduced, see the fixture's
 * PROVENANCE.md): tokenize from raw/X, pretrain with the cost estimate, classify on a held-out
 * part of one corpus, and perturb a gene set toward one goal per cell type.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;
const h5ad = new URL(
  '../../../test/fixtures/cells/pbmc68k-subset/pbmc68k-subset.h5ad',
  import.meta.url,
).pathname;
const dir = mkdtempSync(join(tmpdir(), 'nb-cells-real-'));
writeFileSync(join(dir, 'orthologs.tsv'), 'mouse_gene\thuman_gene\nPark7\tPARK7\n');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, `${args.join(' ')}:\n${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** `cells tokenize` of the fixture's counts (raw/X) as the named human corpora. */
const tokenize = (out: string, maxLength: number, ...corpora: string[]) =>
  run(
    'cells',
    'tokenize',
    ...corpora.map((name) => `${name}:human:${h5ad}`),
    '--raw',
    '--orthologs',
    'orthologs.tsv',
    '--max-length',
    String(maxLength),
    '--out',
    out,
  );

const readJson = <T>(path: string) => JSON.parse(readFileSync(join(dir, path), 'utf8')) as T;

// Independent: the fixture's classes, 4 cells each (see PROVENANCE.md).
const CLASSES = 10;

test('pbmc68k (real h5ad): tokenize raw/X, pretrain with a cost estimate, classify a held-out fifth, perturb toward every type', () => {
  const tok = tokenize('tok', 32, 'pbmc');
  assert.match(tok.stdout, /pbmc: 40 cells, mean 32 tokens; of its 200 expressed genes 200/);

  const pre = run('cells', 'pretrain', 'tok', '--preset', 'tiny', '--epochs', '2', '--out', 'run');
  assert.match(pre.stderr, /pretrain: \d+\/6 .*epoch 2\/2 · loss \d+\.\d{4} · tokens\/s \d+\n/);
  assert.match(pre.stdout, /epoch 2: MLM .* s, \d+ tokens\/s\)/);
  const estimate = readJson<{
    measured: { tokensPerSecond: number };
    target: { cells: number; tokensPerCell: number; layers: number; hidden: number };
    costRatio: number;
    hours: number;
  }>('run/cost-estimate.json');
  assert.deepEqual(
    [estimate.target.cells, estimate.target.tokensPerCell, estimate.target.layers],
    [30e6, 2048, 6],
  );
  assert.ok(estimate.costRatio > 100, 'paper sizes at 2,048 tokens cost far more per token');
  const hours = (30e6 * 2048) / (estimate.measured.tokensPerSecond / estimate.costRatio) / 3600;
  assert.ok(Math.abs(estimate.hours - hours) < 1e-6 * hours);
  assert.match(
    pre.stdout,
    new RegExp(
      `full-size estimate: preset paper, 30 M cells × 2048 tokens, 1 epoch: ${estimate.hours.toFixed(0)} h`,
    ),
  );

  const cls = run(
    'cells',
    'classify',
    'run',
    'tok',
    '--train',
    'pbmc',
    '--test',
    'pbmc',
    '--test-fraction',
    '0.25',
    '--label',
    'bulk_labels',
    '--epochs',
    '2',
    '--out',
    'cls',
  );
  assert.match(
    cls.stdout,
    /pretrained encoder\s+pbmc \(held-out cells\): accuracy .* \(validation macro-F1 \d\.\d{3} at epoch [12], \d+ cells of pbmc\)/,
  );
  const r = readJson<{
    trainCells: number;
    testCells: number;
    testFraction: number;
    rows: {
      model: string;
      accuracy: number;
      confusion: { counts: number[][] };
      validation?: { cells: number };
    }[];
  }>('cls/classification.json');
  // A stratified quarter of 4 cells per class is one per class: 10 test cells, 30 to train.
  assert.deepEqual([r.testCells, r.trainCells, r.testFraction], [CLASSES, 3 * CLASSES, 0.25]);
  assert.deepEqual(
    r.rows.map((x) => x.model),
    ['pretrained encoder', 'from scratch', 'logistic regression (log1p CP10k)'],
  );
  for (const row of r.rows) {
    const total = row.confusion.counts.flat().reduce((a, b) => a + b, 0);
    const right = row.confusion.counts.reduce((s, line, i) => s + line[i], 0);
    assert.equal(total, CLASSES);
    assert.ok(Math.abs(row.accuracy - right / total) < 1e-12);
  }
  assert.ok(r.rows[0].validation && r.rows[0].validation.cells > 0);
  assert.equal(r.rows[2].validation, undefined);

  const pert = run(
    'cells',
    'perturb',
    'run',
    'tok',
    '--corpus',
    'pbmc',
    '--cells',
    'bulk_labels=CD14+ Monocyte',
    '--genes',
    'CTSS,CD53',
    '--together',
    '--goal',
    'bulk_labels=*',
    '--out',
    'pert',
  );
  assert.match(
    pert.stdout,
    /human:CTSS\+human:CD53\s+cells\s+\d+\s+shift .*Δcos bulk_labels=CD14\+ Monocyte [+-]/,
  );
  const p = readJson<{
    selected: number;
    goals: { goal: string; cells: number }[];
    effects: { gene: string; towardGoals: Record<string, number> }[];
  }>('pert/perturbation.json');
  assert.equal(p.selected, 4);
  assert.equal(p.goals.length, CLASSES);
  assert.ok(p.goals.every((g) => g.cells === 4));
  assert.equal(p.effects.length, 1);
  assert.deepEqual(Object.keys(p.effects[0].towardGoals).sort(), p.goals.map((g) => g.goal).sort());
});

test('--test-fraction splits one corpus only: with another test corpus it is refused in one line', () => {
  tokenize('tok2', 16, 'a', 'b');
  const r = spawnSync(
    process.execPath,
    [
      cli,
      'cells',
      'classify',
      'none',
      'tok2',
      '--train',
      'a',
      '--test',
      'b',
      '--test-fraction',
      '0.2',
      '--label',
      'bulk_labels',
      '--out',
      'c',
    ],
    { cwd: dir, encoding: 'utf8' },
  );
  assert.notEqual(r.status, 0);
  assert.equal(
    r.stderr.trim(),
    'neurobridge: --test-fraction splits one corpus into training and test cells: give --test the same corpus as --train',
  );
});

test('--vocabulary-from encodes new cells with an earlier vocabulary and medians: a subset gets its rows of the full tokenization', () => {
  tokenize('tok-full', 24, 'pbmc');
  const cells = readJson<{ cellIds: string[]; obs: Record<string, string[]> }>(
    'tok-full/pbmc.cells.json',
  );
  const label = cells.obs.bulk_labels[0];
  const rowsOf = cells.obs.bulk_labels.flatMap((l, i) => (l === label ? [i] : []));
  // Fitted on the subset alone, the medians (and so the ranks) would differ.
  const sub = run(
    'cells',
    'tokenize',
    `new:human:${h5ad}`,
    '--raw',
    '--select',
    `new=bulk_labels=${label}`,
    '--vocabulary-from',
    'tok-full',
    '--max-length',
    '24',
    '--out',
    'tok-new',
  );
  assert.match(sub.stderr, /vocabulary and gene medians: tok-full\/vocabulary\.json/);
  assert.equal(
    readFileSync(join(dir, 'tok-new/vocabulary.json'), 'utf8'),
    readFileSync(join(dir, 'tok-full/vocabulary.json'), 'utf8'),
  );
  const full = readFileSync(join(dir, 'tok-full/pbmc.tokens.npy'));
  const part = readFileSync(join(dir, 'tok-new/new.tokens.npy'));
  const header = (b: Buffer) => 10 + b.readUInt16LE(8);
  const row = 24 * 4;
  const expected = Buffer.concat(
    rowsOf.map((i) => full.subarray(header(full) + i * row, header(full) + (i + 1) * row)),
  );
  assert.ok(
    part.subarray(header(part)).equals(expected),
    'the subset rows equal the full tokenization rows',
  );

  for (const [args, message] of [
    [
      ['--orthologs', 'orthologs.tsv', '--vocabulary-from', 'tok-full', '--out', 'x'],
      'neurobridge: --orthologs and --vocabulary-from: choose one (the earlier vocabulary holds its orthologs)',
    ],
    [
      ['--out', 'x'],
      'neurobridge: give --orthologs (a new vocabulary) or --vocabulary-from DIR (an earlier one)',
    ],
    [
      ['--vocabulary-from', 'tok-full', '--out', 'tok-full'],
      'neurobridge: --vocabulary-from tok-full: write to another --out (tokenize replaces the whole tokenization of its output folder)',
    ],
  ] as const) {
    const r = spawnSync(
      process.execPath,
      [cli, 'cells', 'tokenize', `x:human:${h5ad}`, '--raw', ...args],
      { cwd: dir, encoding: 'utf8' },
    );
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim(), message);
  }
});
