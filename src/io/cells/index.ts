/** `readCounts(path)`: any supported single-cell count matrix, picked from the name or contents. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../core/errors.js';
import { readDenseCounts } from './dense.js';
import { readH5ad, type H5adOptions } from './h5ad.js';
import { readTenxH5, readTenxMtx } from './tenx.js';
import type { CountMatrix } from './types.js';

export type { CountMatrix } from './types.js';
export { readH5ad, writeH5ad } from './h5ad.js';
export { readTenxH5, readTenxMtx } from './tenx.js';
export { readDenseCounts } from './dense.js';

export async function readCounts(
  path: string,
  o: H5adOptions & { orientation?: 'genes-by-cells' | 'cells-by-genes' } = {},
): Promise<CountMatrix> {
  if (!existsSync(path)) throw new InputError(path, undefined, 'not found');
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'matrix.mtx')) || existsSync(join(path, 'matrix.mtx.gz')))
      return readTenxMtx(path);
    throw new InputError(
      path,
      undefined,
      'a folder without matrix.mtx[.gz]; expected a 10x Matrix Market folder',
    );
  }
  const lower = path.toLowerCase();
  if (lower.endsWith('.h5ad')) return readH5ad(path, o);
  if (lower.endsWith('.h5') || lower.endsWith('.hdf5')) return readTenxH5(path);
  if (/\.(csv|tsv|txt)$/.test(lower)) return readDenseCounts(path, o);
  throw new InputError(
    path,
    undefined,
    'unknown count-matrix format; expected .h5ad, a 10x .h5, a 10x mtx folder, or a dense .csv/.tsv/.txt',
  );
}
