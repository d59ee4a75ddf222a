import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Command } from 'commander';
import h5wasm from 'h5wasm/node';
import { registerSimulateSpikes, registerSpikesCommands } from '../../src/cli/spikes.js';

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
