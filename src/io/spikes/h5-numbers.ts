/** Numeric HDF5 datasets for the spike readers, with their type checked before reading. */
import { InputError } from '../../core/errors.js';
import { numbers, type H5Dataset } from '../h5.js';

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
  return numbers(d, file);
}
