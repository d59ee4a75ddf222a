/**
 * HDF5 access for the spike readers: a damaged file's failures inside the HDF5 library
 * become InputErrors naming the file, and numeric datasets have their type checked.
 */
import { InputError } from '../../core/errors.js';
import { h5call, numbers, openH5, type H5Dataset, type H5File } from '../h5.js';

export { checkDatasetSize } from '../h5.js';

/**
 * Opens `path`, runs `body` and closes the file. Errors raised by h5wasm while walking a
 * damaged file (a plain `Error`, or a WebAssembly `RuntimeError` when the library aborts on
 * a corrupt structure) become one InputError naming the file; errors of our own code
 * (TypeError, RangeError …) pass through, as they are bugs.
 */
export async function withH5<T>(path: string, body: (f: H5File) => T): Promise<T> {
  const f = await openH5(path);
  try {
    // HDF5's throwing error handler for the whole read: its diagnostics are never printed.
    return h5call(path, undefined, () => body(f));
  } catch (err) {
    throw h5InputError(path, err);
  } finally {
    try {
      f.close();
    } catch {
      // Closing after the library aborted can fail too; the first error is the one to show.
    }
  }
}

function h5InputError(path: string, err: unknown): unknown {
  if (err instanceof InputError) return err;
  const libraryError =
    err instanceof WebAssembly.RuntimeError || (err instanceof Error && err.constructor === Error);
  if (!libraryError) return err;
  const first = String((err as Error).message)
    .split('\n')[0]
    .slice(0, 160);
  return new InputError(path, undefined, `damaged or unreadable HDF5 contents (${first})`);
}

/** HDF5 datatype classes (H5T_class_t) by number, for messages. */
const H5T_CLASS = [
  'integer',
  'float',
  'time',
  'string',
  'bitfield',
  'opaque',
  'compound',
  'reference',
  'enum (booleans are stored as one)',
  'variable-length',
  'array',
];

/**
 * A dataset's values as float64, refusing anything but integers and floats: an enum
 * (h5py's booleans), strings or compound rows would otherwise become 0/1 or NaN times.
 */
export function numericValues(d: H5Dataset, file: string): Float64Array {
  const type = (d.metadata as { type?: number }).type;
  if (type !== 0 && type !== 1) {
    throw new InputError(
      file,
      d.path,
      `holds ${H5T_CLASS[type ?? -1] ?? `type class ${type}`} values; expected integers or floats`,
    );
  }
  return numbers(d, file); // checks the declared size against the file first
}
