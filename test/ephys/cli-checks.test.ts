/** The ephys commands refuse bad cohort files and options with one line naming the problem. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'nb-ephys-checks-'));

/** The command failed and its last stderr line matches `pattern`. */
function failsWith(args: string[], pattern: RegExp): void {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  assert.notEqual(r.status, 0, `${args.join(' ')} should fail`);
  // Progress lines (the cohort summary) may come first; the error is the last line, no stack.
  const lines = r.stderr.trimEnd().split('\n');
  assert.ok(!lines.some((l) => /^\s+at /.test(l)), `no stack trace, got:\n${r.stderr}`);
  assert.match(lines[lines.length - 1], pattern);
}

/** A small scalar-feature cohort; `labels` per cell (c1..c6). */
function cohort(name: string, labels: string[], grouping?: string): string {
  writeFileSync(
    join(dir, `${name}-features.csv`),
    'specimen_id,tau,sag\n' + labels.map((_, i) => `c${i + 1},${i + 1},${(i * 7) % 5}`).join('\n'),
  );
  writeFileSync(
    join(dir, `${name}-meta.csv`),
    'specimen_id,subclass\n' + labels.map((l, i) => `c${i + 1},${l}`).join('\n'),
  );
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `species: mouse\nfeatures: ${name}-features.csv\nfeature_id_column: specimen_id\nlabels: ${name}-meta.csv\nid_column: specimen_id\nlabel_column: subclass\n${grouping ? `grouping: ${grouping}\n` : ''}`,
  );
  return file;
}

test('ephys: a grouping file that is not JSON is an InputError naming it', () => {
  writeFileSync(join(dir, 'groups.json'), '{"membrane": ["tau", ');
  const file = cohort(
    'g',
    ['Pvalb', 'Sst', 'Pvalb', 'Sst', 'Pvalb', 'Sst'],
    join(dir, 'groups.json'),
  );
  failsWith(
    ['ephys', 'fit', file, '--out', 'm.json'],
    /^neurobridge: .*groups\.json: not valid JSON \(.*\): expected a grouping file/,
  );
});

test('ephys: a cohort with one class names the labels file and column', () => {
  const file = cohort('one', ['Pvalb', 'Pvalb', 'Pvalb', 'Pvalb', 'Pvalb', 'Pvalb'], 'single');
  failsWith(
    ['ephys', 'fit', file, '--out', 'm.json'],
    /^neurobridge: .*one-meta\.csv: subclass: need at least 2 classes among the cells that passed QC to train a classifier, found 1 \(Pvalb\)$/,
  );
});

test('ephys: a saved model that is not JSON, and bad options, fail with one line', () => {
  const file = cohort('two', ['Pvalb', 'Sst', 'Pvalb', 'Sst', 'Pvalb', 'Sst'], 'single');
  writeFileSync(join(dir, 'model.json'), '{"kind": "neurobridge-ephys-fo');
  failsWith(
    ['ephys', 'evaluate', file, '--model', 'model.json', '--out', 'e'],
    /^neurobridge: model\.json: not valid JSON \(.*\): expected a model written by `ephys fit`$/,
  );
  writeFileSync(join(dir, 'model.json'), '{"kind": "something else"}');
  failsWith(
    ['ephys', 'evaluate', file, '--model', 'model.json', '--out', 'e'],
    /^neurobridge: model\.json: kind: not a model written by `neurobridge ephys fit`$/,
  );
  failsWith(
    ['ephys', 'evaluate', file, '--folds', '1', '--out', 'e'],
    /--folds <k>' argument '1' is invalid\. expected a whole number from 2 to 1000/,
  );
  failsWith(
    ['ephys', 'evaluate', file, '--models', 'rf,svm', '--out', 'e'],
    /'svm' is not one of rf, bilstm, bilstm-no-attention/,
  );
  failsWith(
    ['ephys', 'transfer', file, file, '--hidden', '0', '--out', 't'],
    /--hidden <n>' argument '0' is invalid/,
  );
  failsWith(
    ['simulate', 'ephys', '--mouse-cells', 'many', '--out', 'd'],
    /--mouse-cells <n>' argument 'many' is invalid/,
  );
});

test('ephys transfer: cohorts with no feature in common, a bad strategy, and an exclude_cells_where column the table lacks fail with one line', () => {
  const mouse = cohort('m', ['Pvalb', 'Sst', 'Pvalb', 'Sst', 'Pvalb', 'Sst'], 'single');
  writeFileSync(
    join(dir, 'h-features.csv'),
    'specimen_id,width_rheo\n' + [1, 2, 3, 4, 5, 6].map((i) => `c${i},${i}`).join('\n'),
  );
  writeFileSync(
    join(dir, 'h.yaml'),
    'species: human\nfeatures: h-features.csv\nlabels: m-meta.csv\nid_column: specimen_id\nlabel_column: subclass\ngrouping: single\n',
  );
  failsWith(
    ['ephys', 'transfer', mouse, 'h.yaml', '--out', 't'],
    /^neurobridge: the mouse and human cohorts share no feature name within a family \(mouse e\.g\. tau, sag; human e\.g\. width_rheo\)$/,
  );
  failsWith(
    ['ephys', 'transfer', mouse, mouse, '--strategies', 'joint,svm', '--out', 't'],
    /'svm' is not one of human-only, pretrain-finetune, joint, rf-human-only/,
  );
  writeFileSync(
    join(dir, 'x.yaml'),
    `${readFileSync(mouse, 'utf8')}exclude_cells_where: { failed_qc: ['True'] }\n`,
  );
  failsWith(
    ['ephys', 'transfer', 'x.yaml', mouse, '--out', 't'],
    /^neurobridge: .*m-features\.csv: failed_qc: no exclude_cells_where column named 'failed_qc'/,
  );
});

test('ephys evaluate: feature values that overflow standardisation name the file and the feature', () => {
  const file = cohort('huge', ['Pvalb', 'Sst', 'Pvalb', 'Sst', 'Pvalb', 'Sst']);
  const features = join(dir, 'huge-features.csv');
  writeFileSync(features, readFileSync(features, 'utf8').replace(/^c3,3,/m, 'c3,1e300,'));
  failsWith(
    ['ephys', 'evaluate', file, '--out', 'huge-run'],
    /^neurobridge: .*huge-features\.csv: tau: values up to 1\.0e\+300 overflow standardisation \(their squares exceed float64\); expected \|value\| ≤ 1e\+150/,
  );
});

test('ephys: an unknown class names the cohort keys that map or drop it (the library names fields)', () => {
  const file = cohort('unk', ['Pvalb', 'Sst', 'Chandelier', 'Sst', 'Pvalb', 'Sst'], 'single');
  failsWith(
    ['ephys', 'fit', file, '--out', 'm.json'],
    /^neurobridge: .*unk-meta\.csv: line 4, column 'subclass': unknown class 'Chandelier'; known: .* \(map it with cohort key `class_map`, or cohort key `drop_unknown`\)$/,
  );
});
