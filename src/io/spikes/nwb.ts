/**
 * NWB 2.x `/units` tables: ragged `spike_times` (seconds) split by `spike_times_index`
 * (end offset of each unit's run), one row per `id`.
 */
import { InputError } from '../../core/errors.js';
import { dataset } from '../h5.js';
import { singleFile, type SpikeFormatDescriptor } from './format.js';
import { numericValues, withH5 } from './h5-read.js';
import { buildSpikeTrains, type ReadOptions, type SpikeTrains } from './types.js';

export const nwbFormat: SpikeFormatDescriptor = {
  name: 'nwb',
  description: 'an NWB 2.x file with a /units table',
  layout: 'file',
  isolate: true,
  detect: (info) => info.lower.endsWith('.nwb'),
  detectContents: (f) => f.get('units') !== null,
  inputFiles: singleFile,
  read: (path, options) => readNwb(path, options),
};

export async function readNwb(path: string, _options: ReadOptions = {}): Promise<SpikeTrains> {
  return withH5(path, (f) => {
    const times = numericValues(dataset(f, path, 'units/spike_times'), path);
    const index = numericValues(dataset(f, path, 'units/spike_times_index'), path);
    const ids = numericValues(dataset(f, path, 'units/id'), path);
    if (index.length !== ids.length) {
      throw new InputError(
        path,
        '/units/spike_times_index',
        `has ${index.length} rows but /units/id has ${ids.length}; expected one per unit`,
      );
    }
    const clusters = new Float64Array(times.length);
    let start = 0;
    for (let r = 0; r < index.length; r++) {
      const end = index[r];
      if (!Number.isInteger(end) || end < start || end > times.length) {
        throw new InputError(
          path,
          '/units/spike_times_index',
          `row ${r} ends at ${end}; expected non-decreasing offsets within 0..${times.length}`,
        );
      }
      clusters.fill(ids[r], start, end);
      start = end;
    }
    if (start !== times.length) {
      throw new InputError(
        path,
        '/units/spike_times_index',
        `last offset is ${start}, but /units/spike_times has ${times.length} values; expected them equal`,
      );
    }
    return buildSpikeTrains(path, '/units/spike_times', times, clusters, 'per-unit', {
      knownUnitIds: ids,
      provenance: { format: 'nwb', path, files: [path] },
    });
  });
}
