/** Spike-sorted session readers: one entry point, format detected from the path or forced. */
import { InputError } from '../../core/errors.js';
import { readAlf } from './alf.js';
import { readAxion } from './axion.js';
import { readCircus } from './circus.js';
import { readCsv } from './csv.js';
import { detectFormat } from './detect.js';
import { readMaxwell } from './maxwell.js';
import { readMeaH5 } from './mea-h5.js';
import { readNwb } from './nwb.js';
import { readPhy } from './phy.js';
import { SPIKE_FORMATS, type ReadOptions, type SpikeFormat, type SpikeTrains } from './types.js';

export * from './types.js';
export { detectFormat } from './detect.js';
export { readAlf, readPhy, readNwb, readCircus, readMaxwell, readMeaH5, readAxion, readCsv };

export async function readSpikes(
  path: string,
  options: ReadOptions & { format?: string } = {},
): Promise<SpikeTrains> {
  if (options.format !== undefined && !SPIKE_FORMATS.includes(options.format as SpikeFormat)) {
    throw new InputError(
      path,
      'format',
      `unknown format '${options.format}'; expected one of ${SPIKE_FORMATS.join(', ')}`,
    );
  }
  const format = (options.format as SpikeFormat | undefined) ?? (await detectFormat(path));
  switch (format) {
    case 'alf':
      return readAlf(path, options);
    case 'phy':
      return readPhy(path, options);
    case 'nwb':
      return readNwb(path, options);
    case 'circus':
      return readCircus(path, options);
    case 'maxwell':
      return readMaxwell(path, options);
    case 'mea-h5':
      return readMeaH5(path, options);
    case 'axion':
      return readAxion(path, options);
    case 'csv':
      return readCsv(path, options);
  }
}
