/**
 * The cells commands refuse bad input before any work, with one line naming the option or
 * file, and write their outputs all or nothing. No libtorch needed: every failure here
 * happens before an encoder is loaded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CELL_ENCODER_PRESET_NAMES } from '../../src/models/cell-encoder.js';
import { pretrainTinyArgs, tokenizeArgs } from '../helpers/cells-cli.js';

const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'nb-cells-checks-'));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The command failed with exactly one line on stderr (no stack) matching `pattern`. */
function failsWith(args: string[], pattern: RegExp): string {
  const r = run(...args);
  assert.notEqual(r.status, 0, `${args.join(' ')} should fail`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  return lines[0];
}

const tokenize = (out: string, ...extra: string[]) => tokenizeArgs(out, 16, ...extra);

test('cells: numeric and choice options are checked on parse, naming the option and the range', () => {
  const base = ['cells', 'tokenize', 'a:human:x.h5ad', '--orthologs', 'o.tsv', '--out', 'o'];
  for (const v of ['1.5', 'nan', '0', '-1', ''])
    failsWith(
      [...base, '--median-sample', v],
      new RegExp(
        `--median-sample <fraction>' argument '${v}' is invalid\\. expected a number in \\(0, 1\\]`,
      ),
    );
  failsWith(
    [...base, '--max-length', '1e9'],
    /--max-length <n>' argument '1e9' is invalid\. expected a whole number from 2 to 65,536 \(no genome has more genes/,
  );
  failsWith([...base, '--max-length', '12.5'], /--max-length/);
  failsWith([...base, '--chunk-cells', '0'], /--chunk-cells <n>' argument '0' is invalid/);
  failsWith([...base, '--vocabulary', 'joint'], /Allowed choices are unified, separate/);
  const preset = failsWith(
    ['cells', 'pretrain', 'tok', '--preset', 'huge', '--out', 'r'],
    /--preset <name>' argument 'huge' is invalid/,
  );
  for (const p of CELL_ENCODER_PRESET_NAMES) assert.ok(preset.includes(p), p);
  failsWith(['cells', 'pretrain', 'tok', '--lr', 'inf', '--out', 'r'], /--lr <x>' argument 'inf'/);
  failsWith(['cells', 'pretrain', 'tok', '--epochs', '2.5', '--out', 'r'], /--epochs <n>/);
  failsWith(['cells', 'pretrain', 'tok', '--seed', '-3', '--out', 'r'], /--seed <n>/);
  failsWith(
    ['cells', 'embed', 'r', 'tok', '--corpus', 'hs', '--pooling', 'max', '--out', 'e.npy'],
    /Allowed choices are mean, cls/,
  );
  const classify = ['cells', 'classify', 'r', 'tok', '--train', 'mm', '--test', 'hs'];
  failsWith(
    [...classify, '--vocabulary-view', 'orthologs', '--out', 'c'],
    /--vocabulary-view <view>' argument 'orthologs' is invalid\. Allowed choices are shared, all/,
  );
  // classify fine-tunes, so it takes --device as pretrain does.
  failsWith(
    [...classify, '--device', 'gpu', '--out', 'c'],
    /--device <name>' argument 'gpu' is invalid\. expected cpu, cuda or cuda:N/,
  );
  failsWith(
    [
      'cells',
      'perturb',
      'r',
      'tok',
      '--corpus',
      'hs',
      '--cells',
      'a=b',
      '--mode',
      'knockout',
      '--out',
      'p',
    ],
    /Allowed choices are delete, overexpress/,
  );
  failsWith(
    [...base, '--median-sample', '0.5'],
    /^neurobridge: --median-sample samples the cells of streamed corpora: add --chunk-cells$/,
  );
  failsWith(
    [...base, '--chunk-cells', '10', '--layer', 'counts'],
    /^neurobridge: --layer: streamed corpora \(--chunk-cells\) are read from X only$/,
  );
  writeFileSync(join(dir, 'a-file'), '');
  failsWith(
    [...base.slice(0, -1), 'a-file'],
    /--out <dir>' argument 'a-file' is invalid\. a file of that name exists/,
  );
});

test('cells tokenize: corpus names cannot leave --out or repeat; nothing is written', () => {
  assert.equal(run('simulate', 'cells', '--cells', '40', '--out', 'data').status, 0);
  const bad = ['../x', 'a/b', '..', 'x y', 'é'];
  for (const name of bad)
    failsWith(
      [
        'cells',
        'tokenize',
        `${name}:human:data/human.h5ad`,
        '--orthologs',
        'data/orthologs.tsv',
        '--out',
        'tok-bad',
      ],
      new RegExp(
        `corpus name '${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}': expected 1 to 100 letters`,
      ),
    );
  failsWith(
    [
      'cells',
      'tokenize',
      'hs:human:data/human.h5ad',
      'hs:mouse:data/mouse.h5ad',
      '--orthologs',
      'data/orthologs.tsv',
      '--out',
      'tok-bad',
    ],
    /^neurobridge: corpus name 'hs' is given twice/,
  );
  assert.equal(existsSync(join(dir, 'tok-bad')), false);
  assert.equal(existsSync(join(dir, 'x.tokens.npy')), false);
});

test('cells tokenize: an interrupted run leaves no output; the next run clears its staging folder', async () => {
  assert.equal(
    run('simulate', 'cells', '--cells', '1500', '--seed', '1', '--out', 'big').status,
    0,
  );
  const out = join(dir, 'tok-killed');
  const child = spawn(
    process.execPath,
    [
      cli,
      'cells',
      'tokenize',
      'hs:human:big/human.h5ad',
      'mm:mouse:big/mouse.h5ad',
      '--orthologs',
      'big/orthologs.tsv',
      '--max-length',
      '16',
      '--chunk-cells',
      '1',
      '--out',
      out,
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.on('exit', resolve));
  // Killed once the vocabulary is written (in the staging folder) and corpora are under way.
  const staged = () =>
    existsSync(out) && readdirSync(out).some((f) => existsSync(join(out, f, 'vocabulary.json')));
  const deadline = Date.now() + 120_000;
  while (!staged() && child.exitCode === null && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 5));
  assert.ok(staged(), 'the run got as far as the vocabulary');
  child.kill('SIGKILL');
  await exited;
  const left = readdirSync(out);
  assert.deepEqual(
    left.filter((f) => !f.startsWith('.staging-')),
    [],
    'no vocabulary.json or corpus files in the output folder',
  );
  assert.equal(run(...tokenize(out)).status, 0);
  assert.deepEqual(readdirSync(out).sort(), [
    'hs.cells.json',
    'hs.expr.count.npy',
    'hs.expr.indptr.npy',
    'hs.expr.token.npy',
    'hs.expr.total.npy',
    'hs.tokens.npy',
    'mm.cells.json',
    'mm.expr.count.npy',
    'mm.expr.indptr.npy',
    'mm.expr.token.npy',
    'mm.expr.total.npy',
    'mm.tokens.npy',
    'vocabulary.json',
  ]);
  // A new tokenization replaces the old one: no corpus of the old vocabulary stays behind.
  writeFileSync(join(out, 'notes.txt'), 'mine');
  const onlyHuman = tokenize(out).filter((a) => !a.startsWith('mm:'));
  assert.equal(run(...onlyHuman).status, 0);
  assert.deepEqual(readdirSync(out).sort(), [
    'hs.cells.json',
    'hs.expr.count.npy',
    'hs.expr.indptr.npy',
    'hs.expr.token.npy',
    'hs.expr.total.npy',
    'hs.tokens.npy',
    'notes.txt',
    'vocabulary.json',
  ]);
});

test('cells classify: labels with one class, unknown columns, a missing run and a truncated corpus name the file', () => {
  assert.equal(run(...tokenize('tok')).status, 0);
  const classify = (...extra: string[]) => [
    'cells',
    'classify',
    'no-run',
    'tok',
    '--train',
    'mm',
    '--test',
    'hs',
    ...extra,
    '--out',
    'cls',
  ];
  failsWith(
    classify('--label', 'species'),
    /^neurobridge: tok\/mm\.cells\.json: obs\.species: need at least 2 classes to train a classifier, found 1 \(mouse\)$/,
  );
  failsWith(
    classify('--label', 'subclass'),
    /^neurobridge: tok\/mm\.cells\.json: obs\.subclass: no such cell annotation \(--label\); have cell_type, species$/,
  );
  failsWith(
    classify(),
    /^neurobridge: no-run\/encoder\.safetensors: missing: expected a folder written by `neurobridge cells pretrain`$/,
  );
  // Across species the shared view is the default; a separate vocabulary shares no token.
  assert.equal(run(...tokenize('tok-sep', '--vocabulary', 'separate')).status, 0);
  const separate = classify().map((a) => (a === 'tok' ? 'tok-sep' : a));
  failsWith(
    separate,
    /^neurobridge: tok-sep\/vocabulary\.json: vocabulary: no token is shared by the two species .*use --vocabulary-view all$/,
  );
  failsWith(
    [...separate.slice(0, -2), '--vocabulary-view', 'all', '--out', 'cls'],
    /^neurobridge: no-run\/encoder\.safetensors: missing/,
  );
  failsWith(
    ['cells', 'pretrain', 'nowhere', '--out', 'r'],
    /^neurobridge: nowhere\/vocabulary\.json: missing; run `neurobridge cells tokenize` first$/,
  );
  const cells = join(dir, 'tok', 'hs.cells.json');
  const text = readFileSync(cells, 'utf8');
  writeFileSync(cells, text.slice(0, text.length / 2));
  failsWith(
    classify(),
    /^neurobridge: tok\/hs\.cells\.json: not valid JSON \(.*\): expected the cells of a tokenized corpus$/,
  );
  writeFileSync(cells, text);
});

test('cells pretrain: a truncated state file or another configuration is refused in one line naming the file', () => {
  assert.equal(run(...pretrainTinyArgs('run', 1)).status, 0);
  failsWith(
    pretrainTinyArgs('run', 1, '--lr', '1e-3'),
    /^neurobridge: run\/pretrain-state\.json: config: this folder holds a run with a different configuration/,
  );
  const state = join(dir, 'run', 'pretrain-state.json');
  writeFileSync(state, readFileSync(state, 'utf8').slice(0, 30));
  failsWith(pretrainTinyArgs('run', 1), /^neurobridge: run\/pretrain-state\.json: not valid JSON/);
});
