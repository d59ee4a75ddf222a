/**
 * IPFX feature vectors (Gouwens et al. 2019/2020, `ipfx.bin.run_feature_vector_extraction`):
 * per cell, one fixed-length vector per family (`step_subthresh`, `isi_shape`, `psth` …).
 * Read from one HDF5 file with a 2-D dataset per family (cells × width) and `ids`, or from
 * a folder with one `.npy` per family (`<family>.npy` or `fv_<family>.npy`) and `ids.npy` /
 * `ids.txt`. Written as the HDF5 layout.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError } from '../../core/errors.js';
import { withAtomicPath } from '../../core/atomic.js';
import { readNpy, toFloat64 } from '../npy.js';
import {
  closeH5,
  createH5,
  dataset,
  expectFile,
  h5call,
  isDataset,
  numbers,
  openH5,
  stringsOf,
} from '../h5.js';

export const IPFX_FAMILIES = [
  'step_subthresh',
  'subthresh_norm',
  'isi_shape',
  'first_ap_v',
  'first_ap_dv',
  'inst_freq',
  'psth',
  'spiking_threshold_v',
  'spiking_peak_v',
  'spiking_width',
  'spiking_fast_trough_v',
  'spiking_upstroke_downstroke_ratio',
] as const;

export interface FeatureVectors {
  path: string;
  ids: string[];
  /** Families in file order; values[i] is cell i's vector. */
  families: { name: string; width: number; values: Float64Array[] }[];
}

function rowsOf(flat: Float64Array, n: number, file: string, name: string) {
  if (n === 0 || flat.length % n !== 0)
    throw new InputError(
      file,
      name,
      `${flat.length} values cannot be split into ${n} cells (one row per id)`,
    );
  const width = flat.length / n;
  return {
    width,
    values: Array.from({ length: n }, (_, i) => flat.slice(i * width, (i + 1) * width)),
  };
}

const EXPECTED = 'an IPFX feature-vector .h5 file or a folder of .npy files';

export async function readFeatureVectors(path: string): Promise<FeatureVectors> {
  let folder = false;
  try {
    folder = statSync(path).isDirectory();
  } catch {
    expectFile(path, EXPECTED); // throws the one-line reason (not found, broken link …)
  }
  return folder ? readNpyFolder(path) : readH5(path);
}

async function readH5(path: string): Promise<FeatureVectors> {
  const f = await openH5(path);
  try {
    return h5call(path, undefined, () => {
      const ids = stringsOf(dataset(f, path, 'ids'), path);
      const names = f.keys().filter((k) => k !== 'ids' && isDataset(f.get(k)));
      if (names.length === 0)
        throw new InputError(path, undefined, `no feature-vector datasets besides 'ids'`);
      return {
        path,
        ids,
        families: names.map((name) => {
          const d = dataset(f, path, name);
          const shape = h5call(path, name, () => d.shape);
          if (shape && shape.length === 2 && shape[0] !== ids.length)
            throw new InputError(path, name, `has ${shape[0]} rows but 'ids' has ${ids.length}`);
          return { name, ...rowsOf(numbers(d, path), ids.length, path, name) };
        }),
      };
    });
  } finally {
    closeH5(f);
  }
}

function readNpyFolder(dir: string): FeatureVectors {
  const idsNpy = join(dir, 'ids.npy');
  const idsTxt = join(dir, 'ids.txt');
  let ids: string[];
  if (existsSync(idsNpy)) {
    expectFile(idsNpy, 'a .npy file of cell ids');
    ids = Array.from(toFloat64(readNpy(idsNpy).data), (v) => String(v));
  } else if (existsSync(idsTxt)) {
    expectFile(idsTxt, 'a text file of cell ids, one a line');
    ids = readFileSync(idsTxt, 'utf8')
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter(Boolean);
  } else
    throw new InputError(dir, 'ids', 'expected ids.npy or ids.txt beside the family .npy files');
  const files = readdirSync(dir)
    .filter((n) => n.endsWith('.npy') && n !== 'ids.npy')
    .sort();
  if (files.length === 0) throw new InputError(dir, undefined, 'no family .npy files');
  return {
    path: dir,
    ids,
    families: files.map((file) => {
      const name = basename(file, '.npy').replace(/^fv_/, '');
      expectFile(join(dir, file), 'a .npy array of one feature-vector family');
      const arr = readNpy(join(dir, file));
      if (arr.shape[0] !== ids.length)
        throw new InputError(
          join(dir, file),
          'shape',
          `has ${arr.shape[0]} rows but there are ${ids.length} ids`,
        );
      return { name, ...rowsOf(toFloat64(arr.data), ids.length, join(dir, file), name) };
    }),
  };
}

/** Writes the HDF5 layout (atomically). */
export async function writeFeatureVectors(
  path: string,
  fv: Omit<FeatureVectors, 'path'>,
): Promise<void> {
  await withAtomicPath(path, async (tmp) => {
    const f = await createH5(tmp);
    try {
      f.create_dataset({ name: 'ids', data: fv.ids });
      for (const fam of fv.families) {
        const flat = new Float64Array(fv.ids.length * fam.width);
        fam.values.forEach((v, i) => flat.set(v, i * fam.width));
        f.create_dataset({ name: fam.name, data: flat, shape: [fv.ids.length, fam.width] });
      }
    } finally {
      f.close();
    }
  });
}
