import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Command } from 'commander';
import h5wasm from 'h5wasm/node';
import { registerSimulateSpikes, registerSpikesCommands } from '../../src/cli/spikes-data.js';
import { LOSS_NAMES } from '../../src/models/losses.js';
import { UNIT_ALIGNMENTS } from '../../src/pipelines/spikes/transfer/alignment.js';
import { PRESET_NAMES } from '../../src/pipelines/spikes/model/experiment.js';

const root = mkdtempSync(join(tmpdir(), 'nb-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Runs the CLI in-process and returns what it printed. */
async function run(...args: string[]): Promise<string> {
  const program = new Command('neurobridge').exitOverride();
  registerSpikesCommands(program);
  registerSimulateSpikes(program.command('simulate'));
  const out: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => out.push(a.join(' '));
  try {
    await program.parseAsync(['node', 'neurobridge', ...args]);
  } finally {
    console.log = log;
  }
  return out.join('\n');
}

describe('spikes CLI', () => {
  const formats = ['alf', 'phy', 'nwb'] as const;
  const sims: Record<string, { units: number; spikes: number; path: string }> = {};

  test('simulate spikes writes each format', async () => {
    for (const format of formats) {
      const out = join(root, format);
      const msg = await run(
        'simulate',
        'spikes',
        '--kind',
        'in_vivo',
        '--format',
        format,
        '--out',
        out,
        '--seed',
        '7',
        '--duration',
        '3',
        '--units',
        '305',
      );
      const m = /: (\d+) units, (\d+) spikes → (.*)$/.exec(msg)!;
      sims[format] = { units: Number(m[1]), spikes: Number(m[2]), path: m[3] };
      assert.equal(sims[format].units, 305);
    }
    assert.equal(sims.alf.spikes, sims.nwb.spikes);
  });

  test('inspect --json reports exact unit and spike counts for every format', async () => {
    // Formats the simulator does not write are built by hand.
    const csv = join(root, 'x.csv');
    writeFileSync(csv, 'unit,time\n1,0.5\n2,0.25\n1,0.75\n');
    const circus = join(root, 'circus');
    mkdirSync(circus);
    const mxw = join(root, 'm.raw.h5');
    await h5wasm.ready;
    let f = new h5wasm.File(join(circus, 'r.result.hdf5'), 'w');
    const g = f.create_group('spiketimes');
    g.create_dataset({ name: 'temp_0', data: new Uint32Array([1, 2, 3]) });
    g.create_dataset({ name: 'temp_1', data: new Uint32Array([5]) });
    f.close();
    f = new h5wasm.File(mxw, 'w');
    f.create_group('proc0').create_dataset({
      name: 'spikeTimes',
      data: new Map<string, unknown>([
        ['frameno', new BigInt64Array([10n, 20n])],
        ['channel', new Int32Array([1, 1])],
        ['amplitude', new Float32Array([1, 2])],
      ]),
    });
    f.close();
    const expected: [string, string[], number, number][] = [
      ...formats.map((fm): [string, string[], number, number] => [
        sims[fm].path,
        [],
        sims[fm].units,
        sims[fm].spikes,
      ]),
      [csv, [], 2, 3],
      [join(circus, 'r.result.hdf5'), ['--sample-rate', '1000'], 2, 4],
      [mxw, [], 1, 2],
    ];
    for (const [path, extra, units, spikes] of expected) {
      const raster = join(root, `r${units}-${spikes}.svg`);
      const s = JSON.parse(
        await run('spikes', 'inspect', path, '--json', '--raster', raster, ...extra),
      );
      assert.equal(s.units, units, path);
      assert.equal(s.spikes, spikes, path);
      assert.ok(s.sparsity1ms > 0 && s.sparsity1ms <= 1);
      assert.ok(
        s.rateQuantilesHz.q0 <= s.rateQuantilesHz.q50 &&
          s.rateQuantilesHz.q50 <= s.rateQuantilesHz.q100,
      );
      assert.match(readFileSync(raster, 'utf8'), /^<svg [^]*<\/svg>\n$/);
    }
    const forced = JSON.parse(
      await run(
        'spikes',
        'inspect',
        sims.alf.path,
        '--format',
        'alf',
        '--json',
        '--raster',
        join(root, 'z.svg'),
      ),
    );
    assert.equal(forced.format, 'alf');
  });

  test('prepare bins a manifest and reuses the cache', async () => {
    const data = join(root, 'vitro');
    await run(
      'simulate',
      'spikes',
      '--kind',
      'in_vitro',
      '--format',
      'phy',
      '--out',
      data,
      '--seed',
      '1',
      '--duration',
      '12',
    );
    const manifest = join(root, 'm.yaml');
    writeFileSync(
      manifest,
      `datasets:\n  - id: v1\n    domain: in_vitro\n    path: vitro\n    window: {start_s: 1, length_s: 10}\n    units: {rule: top-rate, n: 200}\n`,
    );
    const out = join(root, 'prep');
    const first = await run('spikes', 'prepare', manifest, '--out', out);
    assert.match(first, /^v1: 10000 bins × 200 units, \d+ spikes \(\d+ lost to one-per-bin\)$/);
    const second = await run('spikes', 'prepare', manifest, '--out', out);
    assert.match(second, /\[cached\]$/);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    assert.equal(index.datasets[0].id, 'v1');
    assert.ok(existsSync(join(out, index.datasets[0].raster)));
  });
});

const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;

/** Runs the compiled CLI; asserts it failed with exactly one stderr line matching `pattern`. */
function failsWith(args: string[], pattern: RegExp): string {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
  assert.notEqual(r.status, 0, `${args.join(' ')} should fail`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  return lines[0];
}

describe('spikes CLI: checks and all-or-nothing outputs', () => {
  const manifest = (name: string, datasets: string) => {
    const file = join(root, name);
    writeFileSync(file, `datasets:\n${datasets}`);
    return file;
  };
  const good = `  - id: v1\n    domain: in_vitro\n    path: vitro2\n    window: {start_s: 1, length_s: 5}\n    units: {rule: top-rate, n: 50}\n`;
  // Binning fails (more units asked than recorded) after v1 was binned and cached.
  const failing = `  - id: v2\n    domain: in_vitro\n    path: vitro2\n    window: {start_s: 1, length_s: 4}\n    units: {rule: top-rate, n: 100000}\n`;

  test('prepare: a failing later dataset leaves no cache entry and no index; earlier outputs stay as they were', async () => {
    await run(
      'simulate',
      'spikes',
      '--kind',
      'in_vitro',
      '--format',
      'alf',
      '--out',
      join(root, 'vitro2'),
      '--seed',
      '2',
      '--duration',
      '8',
      '--units',
      '80',
    );
    const bad = manifest('bad.yaml', good + failing);
    const out = join(root, 'prep-bad');
    await assert.rejects(run('spikes', 'prepare', bad, '--out', out), /datasets\[1\]/);
    assert.equal(existsSync(out), false, 'nothing of the failed run is left');
    // Over a finished run: its index and cache stay untouched.
    await run('spikes', 'prepare', manifest('good.yaml', good), '--out', out);
    const index = readFileSync(join(out, 'index.json'), 'utf8');
    const cache = readdirSync(join(out, 'cache')).sort();
    assert.equal(cache.length, 2);
    await assert.rejects(
      run(
        'spikes',
        'prepare',
        manifest('bad2.yaml', good.replace('length_s: 5', 'length_s: 6') + failing),
        '--out',
        out,
      ),
      /datasets\[1\]/,
    );
    assert.equal(readFileSync(join(out, 'index.json'), 'utf8'), index);
    assert.deepEqual(readdirSync(join(out, 'cache')).sort(), cache);
    assert.deepEqual(readdirSync(out).sort(), ['cache', 'index.json']);
  });

  test('prepare: a truncated cache entry (interrupted run) is recomputed', async () => {
    const out = join(root, 'prep-bad');
    const meta = readdirSync(join(out, 'cache')).find((f) => f.endsWith('.json'))!;
    const text = readFileSync(join(out, 'cache', meta), 'utf8');
    writeFileSync(join(out, 'cache', meta), text.slice(0, 20));
    const again = await run('spikes', 'prepare', join(root, 'good.yaml'), '--out', out);
    assert.doesNotMatch(again, /\[cached\]/);
    assert.equal(readFileSync(join(out, 'cache', meta), 'utf8'), text);
    assert.match(
      await run('spikes', 'prepare', join(root, 'good.yaml'), '--out', out),
      /\[cached\]$/,
    );
  });

  test('prepare: a cache entry whose metadata file is a folder fails with one line naming it', async () => {
    const out = join(root, 'prep-bad');
    const meta = readdirSync(join(out, 'cache')).find((f) => f.endsWith('.json'))!;
    const path = join(out, 'cache', meta);
    const text = readFileSync(path, 'utf8');
    rmSync(path);
    mkdirSync(path);
    try {
      const message = failsWith(
        ['spikes', 'prepare', join(root, 'good.yaml'), '--out', out],
        /is a folder: expected a JSON file written by neurobridge \(remove it and re-run to recompute it\)$/,
      );
      assert.ok(message.includes(path), message);
      assert.doesNotMatch(message, /\n\s+at /, 'no stack trace');
    } finally {
      rmSync(path, { recursive: true });
      writeFileSync(path, text);
    }
  });

  test('prepare --out naming a file, and bad option values, fail with one line', () => {
    writeFileSync(join(root, 'not-a-folder'), '');
    failsWith(
      ['spikes', 'prepare', 'good.yaml', '--out', 'not-a-folder'],
      /^error: option '--out <dir>' argument 'not-a-folder' is invalid\. a file of that name exists; expected a folder$/,
    );
    const sim = ['simulate', 'spikes', '--out', 'x'];
    failsWith(
      [...sim, '--units', '0'],
      /--units <n>' argument '0' is invalid\. expected a whole number from 1 to 100,000/,
    );
    failsWith(
      [...sim, '--duration', 'nan'],
      /--duration <s>' argument 'nan' is invalid\. expected a number in \(0, 1,000,000\]/,
    );
    failsWith(
      [...sim, '--kind', 'in_silico'],
      /Allowed choices are in_vitro, in_vivo, network-in-vitro, network-in-vivo/,
    );
    failsWith([...sim, '--format', 'mat'], /Allowed choices are alf, phy, nwb/);
    failsWith(
      [...sim, '--kind', 'network-in-vivo', '--units', '50', '--neurons', '10'],
      /^neurobridge: --neurons: expected at least --units \(50\), got 10$/,
    );
    failsWith(
      ['spikes', 'inspect', 'x', '--sample-rate', '-5'],
      /--sample-rate <hz>' argument '-5' is invalid/,
    );
    failsWith(
      ['spikes', 'inspect', 'x', '--time-unit', 'us'],
      /Allowed choices are s, ms, samples/,
    );
    // The reader names the option's field (sampleRateHz); the CLI prints the flag that sets it.
    writeFileSync(join(root, 'samples.tsv'), 'cluster\tsample\n4\t300\n');
    failsWith(
      ['spikes', 'inspect', join(root, 'samples.tsv')],
      /samples\.tsv: sample: times are in samples but no sample rate was given; expected --sample-rate$/,
    );
  });

  test('presets, losses and alignments offered by the CLI are the library lists', () => {
    const train = ['spikes', 'train', 'm.yaml', '--dataset', 'd', '--out', 'o'];
    const preset = failsWith(
      [...train, '--preset', 'huge'],
      /--preset <name>' argument 'huge' is invalid/,
    );
    for (const p of PRESET_NAMES) assert.ok(preset.includes(p), p);
    const loss = failsWith([...train, '--loss', 'mse'], /--loss <name>' argument 'mse' is invalid/);
    for (const l of LOSS_NAMES) assert.ok(loss.includes(l), l);
    const study = ['spikes', 'study', 'm.yaml', '--out', 'o'];
    const alignment = failsWith(
      [...study, '--alignment', 'hungarian'],
      /--alignment <rule>' argument 'hungarian' is invalid/,
    );
    for (const a of UNIT_ALIGNMENTS) assert.ok(alignment.includes(a), a);
    failsWith(
      [...study, '--models', 'default,paper:mse'],
      /unknown model 'paper:mse': expected a preset \(default, paper/,
    );
    failsWith([...study, '--workers', '0'], /--workers <n>' argument '0' is invalid/);
    failsWith([...study, '--executor', 'pbs'], /--executor <name>' argument 'pbs' is invalid/);
    failsWith([...study, '--device', 'gpu'], /--device <name>' argument 'gpu' is invalid/);
    failsWith([...train, '--device', 'cuda:x'], /--device <name>' argument 'cuda:x' is invalid/);
    failsWith([...train, '--max-epochs', '1.5'], /--max-epochs <n>' argument '1\.5' is invalid/);
    failsWith(
      ['spikes', 'interpret', 'run', '--start', '-1', '--out', 'i.json'],
      /--start <bin>' argument '-1'/,
    );
    failsWith(
      ['spikes', 'generate', 'run', '--bins', '1e12', '--out', 'g.svg'],
      /--bins <n>' argument '1e12' is invalid\. expected a whole number from 1 to 10,000,000 \(the generated raster/,
    );
  });
});
