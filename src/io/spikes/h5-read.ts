/**
 * HDF5 access for the spike readers: a damaged file's failures inside the HDF5 library
 * become InputErrors naming the file, and numeric datasets have their type checked.
 */
import { InputError } from '../../core/errors.js';
import { closeH5, h5call, numbers, openH5, type H5Dataset, type H5File } from '../h5.js';

export { checkDatasetSize } from '../h5.js';

/**
 * Opens `path`, runs `body` under HDF5's throwing error handler (h5call: nothing printed,
 * any failure one InputError naming the file) and closes the file.
 */
export async function withH5<T>(path: string, body: (f: H5File) => T): Promise<T> {
  const f = await openH5(path);
  try {
    return h5call(path, undefined, () => body(f));
  } finally {
    closeH5(f);
  }
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
