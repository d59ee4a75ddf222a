/**
 * `neurobridge spikes prepare` as a function: bin every dataset of a manifest into the cache
 * of an output folder and write its index.json. The new cache entries and the index are
 * written as one set: when a dataset fails, nothing of this run is left in the folder
 * (entries cached by earlier, finished runs stay and are reused).
 */
import { join, resolve } from 'node:path';
import { writeFileAtomic, writeOutputSet } from '../../../core/atomic.js';
import type { BinnedMeta } from './binning.js';
import { prepareDataset } from './cache.js';
import { loadManifest, type DatasetSpec } from './manifest.js';

export interface PreparedEntry {
  id: string;
  domain: DatasetSpec['domain'];
  region: string | null;
  path: string;
  key: string;
  /** Relative to the output folder. */
  raster: string;
  meta: string;
  cached: boolean;
  bins: number;
  units: number;
  spikesInWindow: number;
  spikesLost: number;
  splits: BinnedMeta['splits'];
}

export async function prepareManifest(
  manifestFile: string,
  out: string,
  onDataset: (e: PreparedEntry) => void = () => {},
): Promise<{ datasets: PreparedEntry[]; index: string }> {
  const manifest = loadManifest(manifestFile);
  const cacheDir = join(out, 'cache');
  const datasets = await writeOutputSet(out, async (staging) => {
    const entries: PreparedEntry[] = [];
    for (const spec of manifest.datasets) {
      const r = await prepareDataset(spec, cacheDir, join(staging, 'cache'));
      const m = r.binned.meta;
      const entry: PreparedEntry = {
        id: spec.id,
        domain: spec.domain,
        region: spec.region ?? null,
        path: spec.path,
        key: r.key,
        raster: join('cache', `${r.key}.raster`),
        meta: join('cache', `${r.key}.json`),
        cached: r.cached,
        bins: m.bins,
        units: m.units,
        spikesInWindow: m.spikesInWindow,
        spikesLost: m.spikesLost,
        splits: m.splits,
      };
      entries.push(entry);
      onDataset(entry);
    }
    writeFileAtomic(
      join(staging, 'index.json'),
      JSON.stringify({ manifest: resolve(manifestFile), datasets: entries }, null, 2),
    );
    return entries;
  });
  return { datasets, index: join(out, 'index.json') };
}
