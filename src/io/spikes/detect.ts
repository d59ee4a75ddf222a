/**
 * Guesses a spike file's format from its path: folders by their file names, HDF5 files by
 * extension and then by which groups they contain, CSV files by their header.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../core/errors.js';
import { findAlfFile } from './alf.js';
import { isAxionHeader } from './axion.js';
import { isMeaH5 } from './mea-h5.js';
import { openH5 } from '../h5.js';
import { readFirstLine } from '../table.js';
import type { SpikeFormat } from './types.js';

export async function detectFormat(path: string): Promise<SpikeFormat> {
  if (!existsSync(path)) throw new InputError(path, undefined, 'not found');
  if (statSync(path).isDirectory()) {
    if (findAlfFile(path, 'spikes', 'times')) return 'alf';
    if (existsSync(join(path, 'spike_times.npy'))) return 'phy';
    const names = readdirSync(path).slice(0, 8).join(', ');
    throw new InputError(
      path,
      undefined,
      `cannot tell the format: expected spikes.times.npy (ALF) or spike_times.npy (Kilosort/Phy) in this folder, found ${names || 'nothing'}`,
    );
  }
  const lower = path.toLowerCase();
  if (/\.(csv|tsv)(\.gz)?$/.test(lower)) {
    return /\.csv(\.gz)?$/.test(lower) && isAxionHeader(readFirstLine(path)) ? 'axion' : 'csv';
  }
  if (lower.endsWith('.nwb')) return 'nwb';
  if (/\.result[^/]*\.(hdf5|h5)$/.test(lower)) return 'circus';
  if (/\.(h5|hdf5)$/.test(lower)) {
    const f = await openH5(path);
    try {
      const has = (p: string) => f.get(p) !== null;
      if (has('units')) return 'nwb';
      if (has('spiketimes')) return 'circus';
      if (has('proc0') || has('recordings')) return 'maxwell';
      if (isMeaH5(f)) return 'mea-h5';
    } finally {
      f.close();
    }
  }
  throw new InputError(
    path,
    undefined,
    'cannot tell the format from the name or contents; expected .nwb, *.result.hdf5, a MaxWell .h5, an MEA spike-list .h5 (/spikes + /sCount), .csv/.tsv (an Axion spike_list.csv[.gz] too) or an ALF/Phy folder (or pass --format)',
  );
}
