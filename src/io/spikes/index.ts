/** Spike-sorted session readers: one entry point, format detected from the path or forced. */
import { readAlf } from './alf.js';
import { readAxion } from './axion.js';
import { readCircus } from './circus.js';
import { readCsv } from './csv.js';
import { readMaxwell } from './maxwell.js';
import { readMeaH5 } from './mea-h5.js';
import { readNwb } from './nwb.js';
import { readPhy } from './phy.js';

export * from './types.js';
export type { PathInfo, SpikeFormatDescriptor } from './format.js';
export {
  detectFormat,
  readSpikes,
  spikeFormat,
  spikeInputFiles,
  SPIKE_FORMATS,
  SPIKE_FORMAT_REGISTRY,
} from './registry.js';
export { readAlf, readPhy, readNwb, readCircus, readMaxwell, readMeaH5, readAxion, readCsv };
