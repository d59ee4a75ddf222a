/**
 * Checks of compressed sparse matrices (CSR or CSC: `indptr`, `indices`, `data`) read from a
 * file, shared by the h5ad and 10x HDF5 readers, so that a corrupted or hand-made file ends
 * in one InputError naming the file, the dataset and the entry instead of a RangeError, a
 * silently truncated index or NaN counts further on. `major` is the number of compressed
 * rows (cells for CSR, genes for CSC), `minor` the range of `indices`.
 */
import { InputError } from '../../core/errors.js';

/** `indptr`: major + 1 non-decreasing integers from 0 to nnz. */
export function checkIndptr(
  indptr: ArrayLike<number>,
  major: number,
  nnz: number,
  file: string,
  field: string,
): void {
  if (indptr.length !== major + 1)
    throw new InputError(
      file,
      field,
      `has ${indptr.length} entries; ${major} rows of the compressed matrix need ${major + 1}`,
    );
  if (indptr[0] !== 0) throw new InputError(file, field, `starts at ${indptr[0]}; expected 0`);
  for (let i = 1; i <= major; i++) {
    const v = indptr[i];
    if (!Number.isInteger(v))
      throw new InputError(file, field, `entry ${i} is ${v}; expected an integer`);
    if (v < indptr[i - 1])
      throw new InputError(
        file,
        field,
        `entry ${i} (${v}) is below entry ${i - 1} (${indptr[i - 1]}); indptr must not decrease`,
      );
    if (v > nnz)
      throw new InputError(
        file,
        field,
        `entry ${i} (${v}) is past the ${nnz} stored values (indices/data)`,
      );
  }
  if (indptr[major] !== nnz)
    throw new InputError(
      file,
      field,
      `ends at ${indptr[major]} but there are ${nnz} stored values (indices/data)`,
    );
}

/** Every index an integer in 0..minor−1; `offset` is the position of indices[0] in the file. */
export function checkIndices(
  indices: ArrayLike<number>,
  minor: number,
  file: string,
  field: string,
  offset = 0,
): void {
  for (let k = 0; k < indices.length; k++) {
    const v = indices[k];
    if (!(Number.isInteger(v) && v >= 0 && v < minor))
      throw new InputError(
        file,
        field,
        `index ${v} at position ${offset + k} is outside 0..${minor - 1}`,
      );
  }
}

/** Every stored value finite (counts or normalized values; NaN/±inf are refused). */
export function checkValues(
  data: ArrayLike<number>,
  file: string,
  field: string,
  offset = 0,
): void {
  for (let k = 0; k < data.length; k++)
    if (!Number.isFinite(data[k]))
      throw new InputError(
        file,
        field,
        `value ${data[k]} at position ${offset + k}; expected finite numbers`,
      );
}

/** Sparse-matrix dimensions from a `shape` attribute: two non-negative integers. */
export function checkShape(shape: unknown, file: string, field: string): [number, number] {
  const dims =
    shape !== null && typeof shape === 'object' && 'length' in shape
      ? Array.from(shape as ArrayLike<number | bigint>, Number)
      : [];
  if (dims.length !== 2 || !dims.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw new InputError(
      file,
      field,
      `expected a shape of 2 non-negative integers, got ${shape === undefined ? 'none' : `(${dims.join(', ')})`}`,
    );
  return dims as [number, number];
}

/** All of the above for a matrix read whole. */
export function checkCompressed(
  m: { indptr: ArrayLike<number>; indices: ArrayLike<number>; data: ArrayLike<number> },
  major: number,
  minor: number,
  file: string,
  path: string,
): void {
  if (m.indices.length !== m.data.length)
    throw new InputError(
      file,
      path,
      `has ${m.indices.length} indices but ${m.data.length} values; expected as many`,
    );
  checkIndptr(m.indptr, major, m.indices.length, file, `${path}/indptr`);
  checkIndices(m.indices, minor, file, `${path}/indices`);
  checkValues(m.data, file, `${path}/data`);
}
