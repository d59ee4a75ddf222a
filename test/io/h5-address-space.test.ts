/**
 * HDF5 reads under an address-space limit (issue 25 fuzz finding: under `ulimit -v 12000000`
 * every HDF5 spike read died with "WebAssembly.instantiate(): Out of memory" and a stack
 * trace, because the reading worker needed a second ~10 GiB WebAssembly reservation), and the
 * spike readers' modules free of runtime import cycles (registry ↔ h5-worker ↔ h5-isolate was
 * one, through the worker's `new URL(…)`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { importCycles, runtimeGraph, srcDir } from '../helpers/import-graph.js';

const dist = new URL('../../src/', import.meta.url).pathname;
const cli = join(dist, 'cli/main.js');
const fixtures = new URL('../../../test/fixtures/', import.meta.url).pathname;
const mea = join(fixtures, 'spikes-mea/C57_CTX_G2CEPHYS1_DIV14_TC01_A.h5');
const icephysNwb = join(fixtures, 'icephys_ipfx/2018_03_20_0005.nwb');
const dir = mkdtempSync(join(tmpdir(), 'nb-h5-limit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const linux = process.platform === 'linux';

/** `node args…` under `ulimit -v kib` (what `prlimit --as` sets too). */
function underLimit(kib: number, args: string[]) {
  const quoted = [process.execPath, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`);
  return spawnSync('bash', ['-c', `ulimit -v ${kib} && exec ${quoted.join(' ')}`], {
    encoding: 'utf8',
    cwd: dir,
  });
}

test(
  'under ulimit -v 12000000 the HDF5 readers work: a spike file, a real NWB, a spike NWB',
  { skip: !linux },
  () => {
    // The spike reader's worker reserves h5wasm's heap first; then this thread reads a real NWB
    // (the idle worker gives its heap way), writes a spike NWB and reads it back.
    const script = `
    const { readSpikes } = await import(${JSON.stringify(join(dist, 'io/spikes/index.js'))});
    const { writeNwb } = await import(${JSON.stringify(join(dist, 'io/spikes/writers.js'))});
    const { readCurrentClampSweeps } = await import(${JSON.stringify(join(dist, 'io/ephys/nwb-icephys.js'))});
    const st = await readSpikes(${JSON.stringify(mea)});
    const sweeps = await readCurrentClampSweeps(${JSON.stringify(icephysNwb)});
    const nwb = ${JSON.stringify(join(dir, 'units.nwb'))};
    await writeNwb(nwb, st);
    const back = await readSpikes(nwb);
    console.log(JSON.stringify({ units: st.unitIds.length, spikes: st.times.length,
      samples: sweeps[0].voltageMv.length, nwbUnits: back.unitIds.length, nwbSpikes: back.times.length }));
  `;
    const file = join(dir, 'read-under-limit.mjs');
    writeFileSync(file, script);
    const r = underLimit(12_000_000, [file]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(JSON.parse(r.stdout), {
      units: 41,
      spikes: 41042,
      samples: 900000,
      nwbUnits: 41,
      nwbSpikes: 41042,
    });
  },
);

test(
  'where WebAssembly memory cannot be had, one line says which limit to raise',
  { skip: !linux },
  () => {
    const r = underLimit(4_000_000, [cli, 'spikes', 'inspect', mea, '--json']);
    assert.notEqual(r.status, 0);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^neurobridge: HDF5 files are read through WebAssembly/);
    assert.match(lines[0], /address-space limit of 4\.1 GB/);
    assert.match(lines[0], /ulimit -v 12000000/);
    assert.match(lines[0], /--disable-wasm-trap-handler/);
    // What the line offers works at that limit.
    const ok = underLimit(4_000_000, [
      '--disable-wasm-trap-handler',
      cli,
      'spikes',
      'inspect',
      mea,
      '--json',
      '--raster',
      join(dir, 'r.svg'),
    ]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { units: number }).units, 41);
  },
);

test('no runtime import cycle among the io modules (the HDF5 worker included)', () => {
  const io = join(srcDir, 'io');
  const graph = runtimeGraph(io);
  assert.ok(
    graph.get(join(io, 'spikes/h5-isolate.ts'))!.includes(join(io, 'spikes/h5-worker.ts')),
    'the worker entry is seen as an edge',
  );
  assert.deepEqual(importCycles(graph), []);
});
