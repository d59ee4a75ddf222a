/** Shared benchmark plumbing: timing, the PyTorch side, and the printed table. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ALLOCATOR_THRESHOLD_BYTES } from '../src/engine/native.js';

export interface BenchRow {
  name: string;
  oursMs: number;
  /** PyTorch with the same runtime settings as neurobridge (like for like). */
  torchMs?: number;
  /** PyTorch as installed (default allocator and OpenMP settings). */
  torchStockMs?: number;
  /** Extra figures printed after the row (throughput, memory). */
  note?: string;
}

/** Median wall time of `reps` runs after `warmup` runs, in milliseconds. */
export function medianMs(fn: () => void, reps = 10, warmup = 3): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)];
}

/** Debian's interpreter (python3-torch lives there), not a pyenv/venv shim earlier on PATH. */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const benchSourceDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench');

/** True when python3 can import torch; installs Debian's python3-torch as root if it cannot. */
export function ensureTorch(): boolean {
  const probe = () => spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  if (probe()) return true;
  if (process.getuid?.() === 0) {
    console.error('installing python3-torch for the PyTorch side of the benchmark ...');
    spawnSync('apt-get', ['install', '-y', '-qq', 'python3-torch'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return probe();
  }
  console.error('PyTorch reference skipped: run `sudo apt-get install python3-torch` to compare.');
  return false;
}

/**
 * The runtime settings the engine applies at load (src/engine/native.ts), for PyTorch:
 * glibc's allocator thresholds (the engine uses mallopt) and OpenMP's passive waiting.
 */
export function sameSettingsEnv(): Record<string, string> {
  const b = String(ALLOCATOR_THRESHOLD_BYTES);
  return {
    GLIBC_TUNABLES: `glibc.malloc.mmap_threshold=${b}:glibc.malloc.trim_threshold=${b}`,
    OMP_WAIT_POLICY: 'PASSIVE',
  };
}

/**
 * Runs bench/<script> with python3 and parses the JSON it prints; undefined if unavailable.
 * `settings`: 'same' gives PyTorch the engine's runtime settings, 'stock' leaves the defaults.
 */
export function runPython<T>(
  script: string,
  args: string[],
  settings: 'same' | 'stock' = 'same',
): T | undefined {
  if (!ensureTorch()) return undefined;
  const r = spawnSync(PYTHON, [join(benchSourceDir, script), ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      OMP_NUM_THREADS: args[0],
      OPENBLAS_NUM_THREADS: args[0],
      ...(settings === 'same' ? sameSettingsEnv() : {}),
    },
  });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

export function printTable(title: string, rows: BenchRow[]): void {
  console.log(`\n## ${title}`);
  console.log(
    '| benchmark | neurobridge ms | PyTorch ms (same settings) | ratio | PyTorch ms (stock) | ratio |',
  );
  console.log('|---|---:|---:|---:|---:|---:|');
  const fmt = (x?: number) => (x === undefined ? '–' : x.toFixed(2));
  const ratio = (ours: number, ref?: number) => (ref ? (ours / ref).toFixed(2) : '–');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${fmt(r.oursMs)} | ${fmt(r.torchMs)} | ${ratio(r.oursMs, r.torchMs)} | ${fmt(r.torchStockMs)} | ${ratio(r.oursMs, r.torchStockMs)} |${r.note ? ` ${r.note}` : ''}`,
    );
  }
  console.log('ratio = neurobridge time / PyTorch time (below 1: neurobridge is faster).');
}
