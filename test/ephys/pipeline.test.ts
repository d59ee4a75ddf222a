import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulateEphysCohort } from '../../src/sim/ephys.js';
import { browserPath, visit } from '../helpers/browser.js';

const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;

test('simulated cohorts are seeded, use species class names, and carry class structure', () => {
  const a = simulateEphysCohort({ species: 'human', cells: 200, seed: 4 });
  const b = simulateEphysCohort({ species: 'human', cells: 200, seed: 4 });
  assert.deepEqual(a, b);
  assert.equal(a.vectors.families.length, 12);
  assert.ok(a.labels.includes('LAMP5/PAX6/Other') && a.labels.includes('PVALB'));
  // Nearest class centroid on the first AP waveform, fitted on half and scored on the other half.
  const ap = a.vectors.families.find((f) => f.name === 'first_ap_v')!;
  const classes = [...new Set(a.labels)];
  const centroid = classes.map((c) => {
    const rows = ap.values.filter((_, i) => i < 100 && a.labels[i] === c);
    return ap.values[0].map((_, k) => rows.reduce((s, r) => s + r[k], 0) / rows.length);
  });
  let correct = 0;
  for (let i = 100; i < 200; i++) {
    const d = centroid.map((m) => m.reduce((s, v, k) => s + (v - ap.values[i][k]) ** 2, 0));
    if (classes[d.indexOf(Math.min(...d))] === a.labels[i]) correct++;
  }
  assert.ok(correct > 50, `nearest-centroid accuracy ${correct}/100 (chance ≈ 35/100)`);
  assert.ok(correct < 100, 'not trivially separable');
});

test('CLI: simulate ephys → evaluate (forest + BiLSTM, report opens in Chromium) → fit → score a saved model → transfer', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-ephys-cli-'));
  const run = (...args: string[]) =>
    execFileSync(process.execPath, [cli, ...args], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  run(
    'simulate',
    'ephys',
    '--mouse-cells',
    '300',
    '--human-cells',
    '90',
    '--seed',
    '3',
    '--out',
    'data',
  );
  const out = run(
    'ephys',
    'evaluate',
    'data/human.yaml',
    '--models',
    'rf,bilstm',
    '--folds',
    '3',
    '--trees',
    '60',
    '--out',
    'eval',
  );
  assert.match(out, /rf\s+macro-F1 0\.\d{3}/);
  const evaluation = JSON.parse(readFileSync(join(dir, 'eval', 'evaluation.json'), 'utf8')) as {
    models: Record<
      string,
      { macroF1: { mean: number }; folds: unknown[]; attentionByClass?: Record<string, number[]> }
    >;
  };
  assert.equal(evaluation.models.rf.folds.length, 3);
  assert.ok(
    evaluation.models.rf.macroF1.mean > 0.5,
    `forest macro-F1 ${evaluation.models.rf.macroF1.mean}`,
  );
  const attention = Object.values(evaluation.models.bilstm.attentionByClass!);
  for (const w of attention)
    assert.ok(
      Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-4,
      'attention sums to 1 over families',
    );

  run('ephys', 'fit', 'data/mouse.yaml', '--trees', '60', '--out', 'mouse-rf.json');
  assert.match(
    run('ephys', 'evaluate', 'data/human.yaml', '--model', 'mouse-rf.json', '--out', 'cross'),
    /macro-F1 0\.\d{3}/,
  );
  const transfer = run(
    'ephys',
    'transfer',
    'data/mouse.yaml',
    'data/human.yaml',
    '--folds',
    '3',
    '--hidden',
    '16',
    '--trees',
    '30',
    '--out',
    'transfer',
  );
  assert.match(transfer, /human-only\s+human macro-F1/);
  assert.match(transfer, /rf-joint\s+human macro-F1/);
  assert.match(transfer, /joint − human-only: [+-]\d\.\d{3}\s+p paired \S+, corrected \S+/);

  const chromium = browserPath();
  if (!chromium) return t.skip('no Chromium installed (CI installs it)');
  for (const report of ['eval/report.html', 'transfer/report.html']) {
    const shot = join(dir, report.replace('.html', '.png'));
    const seen = await visit(
      chromium,
      join(dir, report),
      shot,
      `document.querySelectorAll('.js-plotly-plot').length`,
    );
    assert.deepEqual(seen.errors, [], `${report}: no console errors`);
    assert.ok((seen.probe as number) >= 3, `${report}: figures drawn`);
    assert.ok(statSync(shot).size > 10_000);
  }
});
