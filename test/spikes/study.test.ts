import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStudy, type StudyOptions } from '../../src/pipelines/spikes/study.js';

const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;

test('a killed study resumes and recomputes only the missing cells', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-study-'));
  const sim = (args: string[]) =>
    execFileSync(process.execPath, [cli, 'simulate', 'spikes', ...args], { cwd: dir });
  sim(['--kind', 'in_vitro', '--format', 'alf', '--out', 'a', '--duration', '50', '--seed', '1']);
  sim(['--kind', 'in_vivo', '--format', 'phy', '--out', 'b', '--duration', '50', '--seed', '2']);
  writeFileSync(
    join(dir, 'study.yaml'),
    'defaults:\n  window: { start_s: 0, length_s: 24 }\ndatasets:\n  - { id: a, domain: in_vitro, path: a }\n  - { id: b, domain: in_vivo, path: b }\n',
  );
  const options: StudyOptions = {
    manifest: join(dir, 'study.yaml'),
    out: join(dir, 'out'),
    preset: 'tiny',
    losses: ['dice'],
    seed: 0,
    maxEpochs: 1,
    codeVersion: 'test',
  };
  const killed = await runStudy({ ...options, stopAfterCells: 1 });
  assert.equal(killed.complete, false);
  assert.equal(killed.computedCells, 1);
  assert.deepEqual(readdirSync(join(dir, 'out', 'cells', 'dice')), ['a__a.json']);

  const resumed = await runStudy(options);
  assert.equal(resumed.complete, true);
  assert.equal(resumed.cachedCells, 1, 'the finished cell is reused');
  assert.equal(resumed.computedCells, 3, 'only the three missing cells are computed');
  const again = await runStudy(options);
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
  // A different code version invalidates every cell.
  const newCode = await runStudy({ ...options, codeVersion: 'test-2' });
  assert.equal(newCode.computedCells, 4);
  // Rate-rank alignment changes only the cross-dataset cells; self cells are reused.
  const ranked = await runStudy({ ...options, codeVersion: 'test-2', alignment: 'rate-rank' });
  assert.equal(ranked.unitAlignment, 'rate-rank');
  assert.equal(ranked.computedCells, 2);
  assert.equal(ranked.cachedCells, 2);
});
