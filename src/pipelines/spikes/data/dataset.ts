/** A manifest dataset as train/val/test rasters (binned once, then from the cache). */
import { dirname, join } from 'node:path';
import type { BinnedMeta } from './binning.js';
import { prepareDataset } from './cache.js';
import type { DatasetSpec } from './manifest.js';
import { sliceBins, type SpikeSplits } from './raster.js';

export interface LoadedDataset {
  spec: DatasetSpec;
  splits: SpikeSplits;
  meta: BinnedMeta;
  /** Cache key: a hash of the input files and the binning options. */
  key: string;
}

/** Default cache folder: `.neurobridge-cache` beside the manifest. */
export function defaultCacheDir(manifestFile: string): string {
  return join(dirname(manifestFile), '.neurobridge-cache');
}

/** Bins one dataset of a parsed manifest (or loads it from `cacheDir`) and cuts its splits. */
export async function loadDataset(
  spec: DatasetSpec,
  cacheDir = defaultCacheDir(spec.origin.file),
): Promise<LoadedDataset> {
  const { binned, key } = await prepareDataset(spec, cacheDir);
  const s = binned.meta.splits;
  return {
    spec,
    meta: binned.meta,
    key,
    splits: {
      train: sliceBins(binned.raster, s.train[0], s.train[1]),
      val: sliceBins(binned.raster, s.val[0], s.val[1]),
      test: sliceBins(binned.raster, s.test[0], s.test[1]),
    },
  };
}
