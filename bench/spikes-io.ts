/**
 * Spike I/O benchmark: writes a large ALF session (10^8 spikes by default) straight to .npy
 * streams, without building it in memory, then times reading it and binning the paper's
 * window (10 min of 1 ms bins from 30 min, 128 units). Reports spikes/s and peak RSS.
 *
 * `node dist/bench/spikes-io.js [spikes] [dir]` runs it alone; `benchSpikesIo()` is for
 * the bench runner. The generated session is deleted afterwards unless `keep` is set.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { withAtomicPath } from '../src/core/atomic.js';
import { Rng } from '../src/core/random.js';
import { NpyStreamWriter } from '../src/io/npy.js';
import { readAlf } from '../src/io/spikes/alf.js';
import { binSpikes } from '../src/pipelines/spikes/data/binning.js';
import type { BenchRow } from './harness.js';

const UNITS = 400;
const DURATION_S = 3600;
const CHUNK = 1 << 20;

/** Writes `n` spikes of a stationary population (log-normal unit rates) as an ALF folder. */
export async function writeLargeAlf(dir: string, n: number, seed = 0): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  // Units are drawn in proportion to log-normal rates via a 64k-entry lookup table.
  const rates = Array.from({ length: UNITS }, () => Math.exp(rng.normal(0, 0.8)));
  const total = rates.reduce((a, b) => a + b, 0);
  const table = new Int32Array(65536);
  let acc = 0;
  let u = 0;
  for (let i = 0; i < table.length; i++) {
    while (u < UNITS - 1 && (i + 0.5) / table.length > (acc + rates[u]) / total) acc += rates[u++];
    table[i] = u;
  }
  const meanIsi = DURATION_S / n;
  await withAtomicPath(join(dir, 'spikes.times.npy'), (tTmp) =>
    withAtomicPath(join(dir, 'spikes.clusters.npy'), (cTmp) => {
      const tw = new NpyStreamWriter(tTmp, 'f8', [n]);
      const cw = new NpyStreamWriter(cTmp, 'i4', [n]);
      const times = new Float64Array(CHUNK);
      const units = new Int32Array(CHUNK);
      let t = 0;
      for (let done = 0; done < n;) {
        const len = Math.min(CHUNK, n - done);
        for (let i = 0; i < len; i++) {
          t += -Math.log(1 - rng.uniform()) * meanIsi;
          times[i] = t;
          units[i] = table[rng.nextUint32() >>> 16];
        }
        tw.append(times.subarray(0, len));
        cw.append(units.subarray(0, len));
        done += len;
      }
      tw.close();
      cw.close();
    }),
  );
}

const rssMb = () => process.resourceUsage().maxRSS / 1024;

export async function benchSpikesIo(
  options: { spikes?: number; dir?: string; keep?: boolean } = {},
): Promise<BenchRow[]> {
  const n = options.spikes ?? 1e8;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'nb-bench-spikes-'));
  try {
    let t0 = performance.now();
    await writeLargeAlf(dir, n);
    const writeMs = performance.now() - t0;
    t0 = performance.now();
    const st = readAlf(dir);
    const readMs = performance.now() - t0;
    const rssRead = rssMb();
    t0 = performance.now();
    const b = binSpikes(st, {
      startS: 1800,
      lengthS: 600,
      binS: 0.001,
      units: { rule: 'skip-take', skip: 100, take: 128 },
      splits: { train: 0.5, val: 0.25, test: 0.25 },
    });
    const binMs = performance.now() - t0;
    const rate = (ms: number) => `${(((n / ms) * 1000) / 1e6).toFixed(1)} M spikes/s`;
    return [
      {
        name: `write ALF (${n.toExponential(0)} spikes, streamed)`,
        oursMs: writeMs,
        note: rate(writeMs),
      },
      {
        name: 'read ALF + validate',
        oursMs: readMs,
        note: `${rate(readMs)}, peak RSS ${rssRead.toFixed(0)} MB`,
      },
      {
        name: `bin 600 s × 128 units @ 1 ms`,
        oursMs: binMs,
        note: `${b.meta.spikesInWindow} spikes binned, ${b.meta.spikesLost} lost, peak RSS ${rssMb().toFixed(0)} MB`,
      },
    ];
  } finally {
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchSpikesIo({
    spikes: process.argv[2] ? Number(process.argv[2]) : undefined,
    dir: process.argv[3],
  });
  for (const r of rows)
    console.log(`${r.name.padEnd(44)} ${r.oursMs.toFixed(0).padStart(8)} ms  ${r.note ?? ''}`);
}
