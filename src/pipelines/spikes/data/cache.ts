/**
 * On-disk cache of binned rasters, keyed by the sha256 of the input files' contents plus the
 * binning options: renaming or moving the data keeps the cache, changing a byte or an option
 * does not. Entries are `<key>.raster` (raw bytes) and `<key>.json` (metadata); the JSON is
 * written last, so an entry without it is incomplete and ignored.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../core/atomic.js';
import { readJsonIfComplete } from '../../../core/json.js';
import { detectFormat, spikeInputFiles } from '../../../io/spikes/registry.js';
import { readSpikes } from '../../../io/spikes/index.js';
import type { SpikeFormat } from '../../../io/spikes/types.js';
import { binSpikes, type Binned, type BinnedMeta } from './binning.js';
import type { DatasetSpec } from './manifest.js';

const CHUNK = 16 * 1024 * 1024;

/** sha256 of one file, read in chunks. */
export function hashFile(path: string): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  const fd = openSync(path, 'r');
  try {
    for (let n; (n = readSync(fd, buf, 0, CHUNK, null)) > 0;) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** Key over the inputs' contents (in the given order) and a JSON-able options object. */
export function cacheKey(files: string[], options: unknown): string {
  const h = createHash('sha256');
  for (const f of files) h.update(hashFile(f)).update('\n');
  h.update(JSON.stringify(options));
  return h.digest('hex');
}

/** Short key (20 hex digits of sha256) of a JSON-able value: model, cell and baseline keys. */
export const jsonDigest = (value: unknown): string =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 20);

export function cachePaths(dir: string, key: string) {
  return { raster: join(dir, `${key}.raster`), meta: join(dir, `${key}.json`) };
}

export function loadCached(dir: string, key: string): Binned | undefined {
  const p = cachePaths(dir, key);
  if (!existsSync(p.raster)) return undefined;
  // A metadata file cut short (an interrupted run, a full disk) counts as absent: recomputed.
  const meta = readJsonIfComplete<BinnedMeta>(p.meta);
  if (!meta) return undefined;
  const data = new Uint8Array(readFileSync(p.raster));
  if (data.length !== meta.bins * meta.units) return undefined;
  return { raster: { bins: meta.bins, units: meta.units, data }, meta };
}

export function storeCached(dir: string, key: string, binned: Binned): void {
  const p = cachePaths(dir, key);
  writeFileAtomic(p.raster, binned.raster.data);
  writeFileAtomic(p.meta, JSON.stringify(binned.meta, null, 1));
}

/**
 * Reads and bins one manifest dataset, or loads it from `cacheDir` when already done; a new
 * entry is stored in `storeDir` (default `cacheDir`). Errors name the spec's manifest entry.
 */
export async function prepareDataset(
  spec: DatasetSpec,
  cacheDir: string,
  storeDir = cacheDir,
): Promise<{ binned: Binned; key: string; cached: boolean; files: string[] }> {
  const format = (spec.format as SpikeFormat | undefined) ?? (await detectFormat(spec.path));
  const files = spikeInputFiles(spec.path, format);
  const options = {
    v: 1,
    format,
    labels: spec.labels ?? null,
    sampleRateHz: spec.sampleRateHz ?? null,
    // Only when set, so the keys of datasets without a well stay as they were.
    ...(spec.well !== undefined ? { well: spec.well } : {}),
    window: spec.window,
    units: spec.units,
    binS: spec.binS,
    splits: spec.splits,
  };
  const key = cacheKey(files, options);
  const hit = loadCached(cacheDir, key);
  if (hit) return { binned: hit, key, cached: true, files };
  const st = await readSpikes(spec.path, {
    format,
    labels: spec.labels,
    sampleRateHz: spec.sampleRateHz,
    well: spec.well,
  });
  const binned = binSpikes(
    st,
    {
      startS: spec.window.startS,
      lengthS: spec.window.lengthS,
      binS: spec.binS,
      units: spec.units,
      splits: spec.splits,
    },
    spec.origin.file,
    `${spec.origin.field}.`,
  );
  storeCached(storeDir, key, binned);
  return { binned, key, cached: false, files };
}
