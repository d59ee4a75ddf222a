/**
 * The spike formats, one descriptor each (see `format.ts`), in detection order: folders by
 * their files, then files by name (an Axion export before any other CSV), then `.h5`/`.hdf5`
 * files by contents. Its own module so that the HDF5 reading worker (`h5-direct.ts`) can use
 * the list without importing `registry.ts`, which starts that worker.
 */
import { InputError } from '../../core/errors.js';
import { excerpt } from '../table.js';
import { alfFormat } from './alf.js';
import { axionFormat } from './axion.js';
import { circusFormat } from './circus.js';
import { csvFormat } from './csv.js';
import type { SpikeFormatDescriptor } from './format.js';
import { maxwellFormat } from './maxwell.js';
import { meaH5Format } from './mea-h5.js';
import { nwbFormat } from './nwb.js';
import { phyFormat } from './phy.js';
import type { SpikeFormat } from './types.js';

export const SPIKE_FORMAT_REGISTRY: readonly SpikeFormatDescriptor[] = [
  alfFormat,
  phyFormat,
  nwbFormat,
  circusFormat,
  maxwellFormat,
  meaH5Format,
  axionFormat,
  csvFormat,
];

/** Every format name, in registry order (what `--format` and a manifest's `format` accept). */
export const SPIKE_FORMATS: SpikeFormat[] = SPIKE_FORMAT_REGISTRY.map((d) => d.name);

/** The descriptor of a format name, or an InputError listing the names. */
export function spikeFormat(name: string, path: string): SpikeFormatDescriptor {
  const d = SPIKE_FORMAT_REGISTRY.find((x) => x.name === name);
  if (!d) {
    throw new InputError(
      path,
      'format',
      `unknown format '${excerpt(name)}'; expected one of ${SPIKE_FORMATS.join(', ')}`,
    );
  }
  return d;
}
