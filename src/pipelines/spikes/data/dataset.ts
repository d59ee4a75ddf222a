/** A manifest dataset as train/val/test rasters (binned once, then from the cache). */
import { dirname, join } from 'node:path';
import { InputError } from '../../../core/errors.js';
import type { BinnedMeta } from './binning.js';
import { prepareDataset } from './cache.js';
import type { SpikeSplits } from '../model/experiment.js';
import { loadManifest, type DatasetSpec } from './manifest.js';
import { sliceBins } from './raster.js';

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

export async function loadDataset(
  manifestFile: string,
  id: string,
  cacheDir = defaultCacheDir(manifestFile),
): Promise<LoadedDataset> {
  const manifest = loadManifest(manifestFile);
  const index = manifest.datasets.findIndex((d) => d.id === id);
  if (index < 0) {
    throw new InputError(
      manifestFile,
      'datasets',
      `no dataset with id '${id}' (ids: ${manifest.datasets.map((d) => d.id).join(', ')})`,
    );
  }
  const spec = manifest.datasets[index];
  const { binned, key } = await prepareDataset(spec, cacheDir, manifestFile, index);
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
