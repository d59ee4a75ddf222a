import { test } from 'node:test';
import { StudyCells } from '../../src/pipelines/spikes/study/study-cells.js';
import assert from 'node:assert/strict';
import fs, { copyFileSync, cpSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join, resolve } from 'node:path';
import type { StudySettings } from '../../src/pipelines/spikes/study/settings.js';
import { runStudy } from '../../src/pipelines/spikes/study/study.js';
import { runStudyInProcesses } from '../../src/pipelines/spikes/study/study-processes.js';
import { loadManifest } from '../../src/pipelines/spikes/data/manifest.js';
import { loadStudy, selfVsCrossDomain, writeStudyReport } from '../../src/report/spikes-study.js';
import { browserPath, visit } from '../helpers/browser.js';
import { twoSessionStudy } from '../helpers/two-sessions.js';

/**
 * The shared fixture: a 2 × 2 study "killed" after its first cell, resumed, then re-run.
 * Built once, by whichever test asks first, so each test also runs on its own.
 */
const killedAndResumedStudy = memo(async () => {
  const dir = twoSessionStudy('nb-study-');
  const options: StudySettings = {
    manifest: join(dir, 'study.yaml'),
    out: join(dir, 'out'),
    preset: 'tiny',
    losses: ['dice'],
    seed: 0,
    maxEpochs: 1,
    codeVersion: 'test',
  };
  // "Killed" after the first cell is stored.
  const stop = new AbortController();
  const killed = await runStudy(options, { signal: stop.signal, onCell: () => stop.abort() });
  const cellsAfterKill = readdirSync(join(options.out, 'cells', 'dice'));
  const resumed = await runStudy(options);
  const again = await runStudy(options);
  return { options, killed, cellsAfterKill, resumed, again };
});

function memo<T>(build: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | null = null;
  return () => (value ??= build());
}

test('a killed study resumes and recomputes only the missing cells', async () => {
  const { options, killed, cellsAfterKill, resumed, again } = await killedAndResumedStudy();
  assert.equal(killed.complete, false);
  assert.equal(killed.computedCells, 1);
  assert.deepEqual(cellsAfterKill, ['a__a.json']);
  assert.equal(resumed.complete, true);
  assert.equal(resumed.cachedCells, 1, 'the finished cell is reused');
  assert.equal(resumed.computedCells, 3, 'only the three missing cells are computed');
  assert.equal(again.computedCells, 0);
  assert.equal(again.cachedCells, 4);

  const dice = resumed.losses.dice;
  assert.equal(dice.rocAuc.length, 2);
  assert.deepEqual(Object.keys(dice.groups).sort(), [
    'in_vitro → in_vivo',
    'in_vitro: self',
    'in_vivo → in_vitro',
    'in_vivo: self',
  ]);
  assert.equal(dice.groups['in_vitro: self'].cells, 1);
  assert.equal(dice.map.coordinates.length, 2);
  // Two points can always be placed at their dissimilarity: zero stress.
  assert.ok(dice.map.stress < 1e-8);
  assert.deepEqual(again.losses.dice.rocAuc, dice.rocAuc, 'cached cells give the same matrix');
  // A different code version invalidates every cell (in a copy: the fixture stays as it is).
  const copy = { ...options, out: options.out + '-v2' };
  cpSync(options.out, copy.out, { recursive: true });
  const newCode = await runStudy({ ...copy, codeVersion: 'test-2' });
  assert.equal(newCode.computedCells, 4);
  // Another alignment or calibration (the default: rate-rank, affine) changes only the
  // cross-dataset cells; self cells are reused.
  const ranked = await runStudy({ ...copy, codeVersion: 'test-2', alignment: 'none' });
  assert.equal(ranked.unitAlignment, 'none');
  assert.equal(ranked.computedCells, 2);
  assert.equal(ranked.cachedCells, 2);
  const uncalibrated = await runStudy({
    ...copy,
    codeVersion: 'test-2',
    alignment: 'none',
    calibration: 'none',
  });
  assert.equal(uncalibrated.transferCalibration, 'none');
  assert.equal(uncalibrated.computedCells, 2);
  const cross = new StudyCells(copy.out).read('dice', 'a', 'b');
  assert.equal(cross.scores.transfer?.calibration, 'none');
  assert.equal(cross.scores.transfer?.scoredUnits, cross.scores.transformer.units);
});

test('the study report: self-contained, every section, and its figures render in headless Chromium', async (t) => {
  const studyDir = (await killedAndResumedStudy()).options.out;
  const study = loadStudy(studyDir);
  // Self cells carry the probes the report draws; cross cells do not.
  const cells = study.cells.dice;
  assert.ok(cells[0][0].probes && cells[1][1].probes && !cells[0][1].probes);
  const probes = cells[0][0].probes!;
  assert.equal(probes.ablations.sampledBins > 0, true);
  assert.equal(
    probes.interpretation.attention.values.length,
    probes.interpretation.attention.size ** 2,
  );
  // Headline comparison = means computed here from the matrix.
  const roc = study.result.losses.dice.rocAuc;
  const { self, cross } = selfVsCrossDomain(study, 'dice');
  assert.ok(Math.abs(self.mean - (roc[0][0] + roc[1][1]) / 2) < 1e-12);
  assert.ok(Math.abs(cross.mean - (roc[0][1] + roc[1][0]) / 2) < 1e-12);

  const file = writeStudyReport(studyDir);
  const html = readFileSync(file, 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src=/, 'no external scripts');
  assert.match(html, /plotly\.js v2/, 'plotly is inlined');
  for (const title of [
    'Summary',
    'Transfer matrix',
    '3-D proximity map',
    'Interpretability',
    'Ablations',
    'Run metadata',
  ])
    assert.ok(html.includes(title), `section ${title}`);

  const chromium = browserPath();
  if (!chromium) return t.skip('no Chromium installed (CI installs it)');
  const shot = join(studyDir, 'report.png');
  const seen = await visit(
    chromium,
    file,
    shot,
    `({ plots: document.querySelectorAll('.js-plotly-plot').length, figures: document.querySelectorAll('.figure').length, gl: document.querySelectorAll('.gl-container, canvas').length })`,
  );
  assert.deepEqual(seen.errors, [], 'no console errors');
  const probe = seen.probe as { plots: number; figures: number };
  assert.ok(probe.figures > 10);
  assert.equal(probe.plots, probe.figures, 'every figure was drawn by Plotly');
  assert.ok(statSync(shot).size > 20_000, 'a screenshot was saved');
});

test('--workers 2: two processes share the cells; same cells, same matrix as one process; the manifest is parsed once', async () => {
  const sequential = await killedAndResumedStudy();
  const rocAuc = sequential.resumed.losses.dice.rocAuc;
  const out = sequential.options.out + '-workers';
  const progress: string[] = [];
  // A copy of the manifest, counted whenever this process reads it and removed at the first
  // progress line (once it has been parsed): a later parse here or in a child would fail.
  const manifest = resolve(sequential.options.manifest.replace(/\.yaml$/, '-once.yaml'));
  copyFileSync(sequential.options.manifest, manifest);
  const reads = countReads(manifest);
  let r;
  const before = Date.now();
  let after = 0;
  try {
    r = await runStudyInProcesses(
      { ...sequential.options, manifest, out },
      {
        onProgress: (m) => {
          if (progress.push(m) === 1) rmSync(manifest);
        },
      },
      {
        workers: 2,
        manifest: loadManifest(manifest),
        entry: new URL('../../src/workers/spikes-study-process.js', import.meta.url),
      },
    );
    after = Date.now();
  } finally {
    reads.restore();
  }
  assert.equal(reads.count, 1, 'the manifest is parsed once per study run');
  // The summary's run time is the whole run's (children included), not the last pass's.
  const started = Date.parse(r.run.startedAt);
  assert.ok(started >= before && started - before < 1000, r.run.startedAt);
  assert.ok(r.run.seconds <= (after - before) / 1000 + 1e-3);
  assert.ok(r.run.seconds >= (after - before) / 1000 - 1, `${r.run.seconds} s`);
  assert.equal(r.complete, true);
  assert.equal(r.computedCells, 4);
  assert.equal(r.cachedCells, 0);
  assert.ok(progress.some((m) => m.startsWith('[worker 1] training on a')));
  assert.ok(progress.some((m) => m.startsWith('[worker 2] training on b')));
  // Each child runs libtorch with one thread instead of two: sums may round differently.
  r.losses.dice.rocAuc.forEach((row, i) =>
    row.forEach((v, j) => assert.ok(Math.abs(v - rocAuc[i][j]) < 0.02, `${i},${j}`)),
  );
});

/** Counts this process's reads of `file` (every module's `readFileSync`, ESM imports too). */
function countReads(file: string): { count: number; restore: () => void } {
  const original = fs.readFileSync;
  const counter = { count: 0, restore: () => {} };
  fs.readFileSync = ((path: unknown, ...rest: unknown[]) => {
    if (typeof path === 'string' && resolve(path) === file) counter.count++;
    return (original as (...a: unknown[]) => unknown)(path, ...rest);
  }) as typeof fs.readFileSync;
  syncBuiltinESMExports();
  counter.restore = () => {
    fs.readFileSync = original;
    syncBuiltinESMExports();
  };
  return counter;
}
