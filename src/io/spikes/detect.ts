/**
 * Guesses a spike file's format from its path: folders by their file names, HDF5 files by
 * extension and then by which groups they contain.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../core/errors.js';
import { findAlfFile } from './alf.js';
import { openH5 } from '../h5.js';
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
  if (lower.endsWith('.csv') || lower.endsWith('.tsv')) return 'csv';
  if (lower.endsWith('.nwb')) return 'nwb';
  if (/\.result[^/]*\.(hdf5|h5)$/.test(lower)) return 'circus';
  if (/\.(h5|hdf5)$/.test(lower)) {
    const f = await openH5(path);
    try {
      const has = (p: string) => f.get(p) !== null;
      if (has('units')) return 'nwb';
      if (has('spiketimes')) return 'circus';
      if (has('proc0') || has('recordings')) return 'maxwell';
    } finally {
      f.close();
    }
  }
  throw new InputError(
    path,
    undefined,
    'cannot tell the format from the name or contents; expected .nwb, *.result.hdf5, a MaxWell .h5, .csv/.tsv or an ALF/Phy folder (or pass --format)',
  );
}
