import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy } from '../../src/io/npy.js';
import { readSpikes } from '../../src/io/spikes/index.js';
import { binSpikes } from '../../src/pipelines/spikes/data/binning.js';
import { loadDataset } from '../../src/pipelines/spikes/data/dataset.js';
import { datasetSpec, loadManifest } from '../../src/pipelines/spikes/data/manifest.js';

const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;
const run = (args: string[], cwd: string) =>
  execFileSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });

test('spikes train → eval on another dataset → generate, end to end on simulated sessions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-model-cli-'));
  run(
    [
      'simulate',
      'spikes',
      '--kind',
      'in_vitro',
      '--format',
      'alf',
      '--out',
      'a',
      '--duration',
      '70',
      '--seed',
      '1',
    ],
    dir,
  );
  run(
    [
      'simulate',
      'spikes',
      '--kind',
      'in_vivo',
      '--format',
      'nwb',
      '--out',
      'b.nwb',
      '--duration',
      '70',
      '--seed',
      '2',
    ],
    dir,
  );
  writeFileSync(
    join(dir, 'study.yaml'),
    [
      'defaults:',
      '  window: { start_s: 0, length_s: 40 }',
      'datasets:',
      '  - { id: a, domain: in_vitro, path: a }',
      '  - { id: b, domain: in_vivo, path: b.nwb }',
    ].join('\n'),
  );
  const trained = run(
    [
      'spikes',
      'train',
      'study.yaml',
      '--dataset',
      'a',
      '--preset',
      'tiny',
      '--max-epochs',
      '1',
      '--out',
      'run',
    ],
    dir,
  );
  assert.match(trained, /transformer\s+ROC-AUC 0\.\d+/);
  assert.match(trained, /GLM\s+ROC-AUC/);
  const result = JSON.parse(readFileSync(join(dir, 'run', 'result.json'), 'utf8'));
  assert.equal(result.transformer.bins, 10_000, '25 % of 40 000 bins');
  assert.equal(
    readFileSync(join(dir, 'run', 'train.jsonl'), 'utf8')
      .trim()
      .split('\n').length,
    1,
  );

  // From another directory: run.json must record the manifest's absolute path.
  const evaluated = run(['spikes', 'eval', join(dir, 'run'), '--target', 'b'], tmpdir());
  assert.match(evaluated, /eval-b\.json/);
  const ev = JSON.parse(readFileSync(join(dir, 'run', 'eval-b.json'), 'utf8'));
  assert.equal(ev.source, 'a');
  assert.equal(ev.target, 'b');
  assert.ok(
    ev.curves.roc.fpr.length > 2 && ev.curves.roc.fpr.length <= 500,
    `${ev.curves.roc.fpr.length} ROC points`,
  );
  assert.ok(ev.transformer.pooled.rocAuc > 0 && ev.transformer.pooled.rocAuc < 1);
  assert.ok(readFileSync(join(dir, 'run', 'eval-b-raster.svg'), 'utf8').startsWith('<svg'));

  run(['spikes', 'generate', 'run', '--bins', '50', '--seed-bins', '32', '--out', 'gen.svg'], dir);

  const probed = run(
    ['spikes', 'interpret', 'run', '--ablation-bins', '200', '--out', 'interp.json'],
    dir,
  );
  assert.match(probed, /keyAttention: r = /);
  assert.match(probed, /shuffled last 95 %/);
  const interp = JSON.parse(readFileSync(join(dir, 'interp.json'), 'utf8'));
  const T = interp.window.bins;
  const mean = readNpy(join(dir, interp.maps.attention));
  const perHead = readNpy(join(dir, interp.maps.attentionPerHead));
  assert.deepEqual(mean.shape, [T, T]);
  assert.deepEqual(perHead.shape, [interp.heads, T, T]);
  assert.deepEqual(readNpy(join(dir, interp.maps.awi)).shape, [T, T]);
  // The mean map is the mean of the per-head maps; each causal row sums to 1.
  const heads = perHead.data as Float32Array;
  for (const i of [0, T - 1]) {
    let rowSum = 0;
    for (let j = 0; j < T; j++) {
      let m = 0;
      for (let h = 0; h < interp.heads; h++) m += heads[h * T * T + i * T + j] / interp.heads;
      assert.ok(Math.abs(m - (mean.data as Float32Array)[i * T + j]) < 1e-5);
      rowSum += m;
    }
    assert.ok(Math.abs(rowSum - 1) < 1e-4, `row ${i} sums to ${rowSum}`);
  }
  assert.equal(interp.ablations.sampledBins, 200);
  assert.ok(existsSync(join(dir, 'gen.svg')) && existsSync(join(dir, 'gen.npy')));
  // The samples as NWB and ALF: the project's readers open them, and binning them at the run's
  // 1 ms gives the .npy raster back, unit for unit (ids are the dataset's chosen units).
  const generated = readNpy(join(dir, 'gen.npy'));
  const [bins, units] = generated.shape;
  const { meta } = await loadDataset(datasetSpec(loadManifest(join(dir, 'study.yaml')), 'a'));
  for (const path of ['gen.nwb', 'gen-alf']) {
    const st = await readSpikes(join(dir, path));
    const binned = binSpikes(st, {
      startS: 0,
      lengthS: bins / 1000,
      binS: 0.001,
      units: { rule: 'top-rate', n: st.unitIds.length },
      splits: { train: 0.5, val: 0.25, test: 0.25 },
    });
    assert.equal(st.provenance.format, path.endsWith('.nwb') ? 'nwb' : 'alf');
    const column = new Map(binned.meta.unitIds.map((id, k) => [id, k]));
    const ids = meta.unitIds;
    let spikes = 0;
    for (let t = 0; t < bins; t++)
      for (let u = 0; u < units; u++) {
        const expected = Number((generated.data as Uint8Array)[t * units + u]);
        spikes += expected;
        const k = column.get(ids[u]);
        assert.equal(k === undefined ? 0 : binned.raster.data[t * binned.meta.units + k], expected);
      }
    assert.equal(binned.meta.spikesInWindow, spikes, path);
  }
});

test('spikes eval names what is missing in a folder that is not a run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-model-cli-bad-'));
  assert.throws(
    () =>
      execFileSync(process.execPath, [cli, 'spikes', 'eval', dir, '--target', 'x'], {
        encoding: 'utf8',
        stdio: 'pipe',
      }),
    (e: { stderr: string }) =>
      /run\.json: missing: expected a folder written by `neurobridge spikes train`/.test(e.stderr),
  );
});

test('Ctrl-C during spikes train stops at the next step with one line, and the same command resumes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-model-cli-int-'));
  run(
    ['simulate', 'spikes', '--kind', 'in_vitro', '--format', 'alf', '--out', 'a'].concat([
      '--duration',
      '40',
      '--seed',
      '3',
    ]),
    dir,
  );
  writeFileSync(
    join(dir, 'm.yaml'),
    'defaults:\n  window: { start_s: 0, length_s: 24 }\ndatasets:\n  - { id: a, domain: in_vitro, path: a }\n',
  );
  const args = [cli, 'spikes', 'train', 'm.yaml', '--dataset', 'a', '--preset', 'tiny'].concat([
    '--max-epochs',
    '1',
    '--out',
    'run',
  ]);
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    // The worker has started (it is preparing the dataset or training): ask it to stop.
    if (/preparing a/.test(stderr) && !child.killed) child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 130, stderr);
  const lines = stderr.trim().split('\n');
  assert.match(
    lines[lines.length - 1],
    /^neurobridge: training stopped after epoch 0 .*re-run the same command to resume$/,
  );
  assert.ok(!/\n\s+at /.test(stderr), `no stack trace:\n${stderr}`);
  assert.ok(!existsSync(join(dir, 'run', 'result.json')));
  run(args.slice(1), dir);
  assert.ok(existsSync(join(dir, 'run', 'result.json')), 'the re-run finishes');
});
