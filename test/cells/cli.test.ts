import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpyHeader } from '../../src/io/npy.js';
import { browserPath, visit } from '../helpers/browser.js';
import { classifyArgs, perturbArgs, pretrainTinyArgs, tokenizeArgs } from '../helpers/cells-cli.js';

const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;

test('CLI: simulate cells → tokenize → pretrain → embed → classify → perturb, reports open in Chromium', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-cells-cli-'));
  const run = (...args: string[]) =>
    execFileSync(process.execPath, [cli, ...args], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  run('simulate', 'cells', '--cells', '120', '--out', 'data');
  assert.match(run(...tokenizeArgs('tok', 32)), /vocabulary: 524 tokens \(unified\)/);
  // Streamed in chunks of 50 cells: the same tokens as the whole-matrix run.
  run(...tokenizeArgs('tok-streamed', 32, '--chunk-cells', '50'));
  for (const f of ['hs.tokens.npy', 'mm.tokens.npy'])
    assert.deepEqual(
      readFileSync(join(dir, 'tok-streamed', f)),
      readFileSync(join(dir, 'tok', f)),
      f,
    );
  const pretrain = run(...pretrainTinyArgs('run', 2, '--cross-species', '0.5'));
  assert.match(pretrain, /epoch 2: MLM \d/);
  run('cells', 'embed', 'run', 'tok', '--corpus', 'hs', '--out', 'hs.npy');
  assert.deepEqual(readNpyHeader(join(dir, 'hs.npy')).shape, [120, 32]);
  const classify = run(...classifyArgs('mm', 'hs', '--epochs', '3', '--out', 'cls'));
  assert.match(classify, /pretrained encoder\s+mm → hs: accuracy 0\.\d{3}/);
  assert.match(classify, /from scratch\s+mm → hs/);
  assert.match(classify, /logistic regression \(log1p CP10k\)\s+mm → hs: accuracy 0\.\d{3}/);
  const saved = JSON.parse(readFileSync(join(dir, 'cls', 'classification.json'), 'utf8')) as {
    rows: { model: string; perClassF1: Record<string, number>; confusion: { labels: string[] } }[];
  };
  assert.deepEqual(
    saved.rows.map((r) => r.model),
    ['pretrained encoder', 'from scratch', 'logistic regression (log1p CP10k)'],
  );
  for (const r of saved.rows)
    assert.ok(Object.keys(r.perClassF1).length >= 2 && r.confusion.labels.length >= 2);
  // The linear baseline on what the encoder reads, beside a slower-fine-tuned encoder.
  const rankValue = run(
    ...classifyArgs(
      'mm',
      'hs',
      '--epochs',
      '1',
      '--no-scratch',
      '--encoder-lr-scale',
      '0.1',
      '--linear-features',
      'rank-value',
      '--out',
      'cls-rank',
    ),
  );
  const rankAccuracy =
    /logistic regression \(rank-value\)\s+mm → hs: accuracy (0\.\d{3}|1\.000)/.exec(rankValue);
  assert.ok(rankAccuracy && Number(rankAccuracy[1]) >= 0.5, rankValue);
  const perturb = run(
    ...perturbArgs('hs', 'cell_type=Pvalb', 'GENE0001,GENE0002'),
    '--mode',
    'overexpress',
    '--out',
    'pert',
  );
  assert.match(perturb, /human:GENE000[12]\s+cells/);
  assert.throws(
    () =>
      run(
        'cells',
        'perturb',
        'run',
        'tok',
        '--corpus',
        'hs',
        '--cells',
        'cell_type=Neuron',
        '--out',
        'x',
      ),
    /no cell has cell_type = Neuron/,
  );
  const chromium = browserPath();
  if (!chromium) return t.skip('no Chromium installed (CI installs it)');
  for (const report of ['cls/report.html', 'pert/report.html']) {
    const seen = await visit(
      chromium,
      join(dir, report),
      join(dir, report.replace('.html', '.png')),
      `document.querySelectorAll('.js-plotly-plot').length`,
    );
    assert.deepEqual(seen.errors, [], `${report}: no console errors`);
    assert.ok((seen.probe as number) >= 1);
  }
});
