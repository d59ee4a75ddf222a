/**
 * Format detection and reading over the descriptors of `formats.ts`: `readSpikes`,
 * `detectFormat` and `spikeInputFiles` are derived from that list. HDF5 formats are read
 * through `h5-isolate.ts` (a worker with a time limit).
 */
import { InputError } from '../../core/errors.js';
import { excerpt, pathKind } from '../table.js';
import { pathInfo, type SpikeFormatDescriptor } from './format.js';
import { SPIKE_FORMAT_REGISTRY, spikeFormat } from './formats.js';
import { runIsolated } from './h5-isolate.js';
import type { ReadOptions, SpikeFormat, SpikeTrains } from './types.js';

export { SPIKE_FORMAT_REGISTRY, SPIKE_FORMATS, spikeFormat } from './formats.js';

/** 'folder' or 'file', or an InputError when nothing readable is at `path`. */
function layoutOf(path: string): 'folder' | 'file' {
  const kind = pathKind(path);
  if (kind === 'folder' || kind === 'file') return kind;
  throw new InputError(
    path,
    'path',
    kind === 'missing'
      ? 'not found'
      : kind === 'dangling'
        ? 'is a symbolic link to something that does not exist'
        : 'is not a regular file or folder',
  );
}

/** Guesses a spike path's format (see the registry order above). */
export async function detectFormat(path: string): Promise<SpikeFormat> {
  const layout = layoutOf(path);
  const info = pathInfo(path, layout);
  for (const d of SPIKE_FORMAT_REGISTRY) {
    if (d.layout === layout && d.detect(info)) return d.name;
  }
  const sniffers = SPIKE_FORMAT_REGISTRY.filter((d) => d.layout === layout && d.detectContents);
  if (layout === 'file' && /\.(h5|hdf5)$/.test(info.lower) && sniffers.length > 0) {
    const found = await runIsolated<SpikeFormat | null>({ kind: 'sniff', path });
    if (found) return found;
  }
  if (layout === 'folder') {
    const names = info.entries.slice(0, 8).map((n) => excerpt(n, 40));
    throw new InputError(
      path,
      undefined,
      `cannot tell the format: expected spikes.times.npy (ALF) or spike_times.npy (Kilosort/Phy) in this folder, found ${names.join(', ') || 'nothing'}`,
    );
  }
  throw new InputError(
    path,
    undefined,
    'cannot tell the format from the name or contents; expected .nwb, *.result.hdf5, a MaxWell .h5, an MEA spike-list .h5 (/spikes + /sCount), .csv/.tsv (an Axion spike_list.csv[.gz] too) or an ALF/Phy folder (or give option `format`)',
  );
}

/**
 * The files a reader will consume for `path` in `format`, known before reading it, so a
 * cache key can be computed without parsing anything (big raw `.dat` files are left out).
 */
export function spikeInputFiles(path: string, format: SpikeFormat | string): string[] {
  const d = spikeFormat(format, path);
  checkLayout(d, path);
  return d.inputFiles(path);
}

function checkLayout(d: SpikeFormatDescriptor, path: string): void {
  const layout = layoutOf(path);
  if (layout !== d.layout) {
    throw new InputError(
      path,
      'format',
      `is a ${layout}, but format ${d.name} is ${d.description}; expected a ${d.layout} (or another option \`format\`)`,
    );
  }
}

/**
 * Reads a spike-sorted session, its format detected from the path or forced by
 * `options.format`. A forced format is checked against the path first (ALF and Phy are
 * folders, the others files), and a sample rate must be finite and positive.
 */
export async function readSpikes(
  path: string,
  options: ReadOptions & { format?: string } = {},
): Promise<SpikeTrains> {
  const d =
    options.format !== undefined
      ? spikeFormat(options.format, path)
      : spikeFormat(await detectFormat(path), path);
  checkLayout(d, path);
  const fs = options.sampleRateHz;
  if (fs !== undefined && !(Number.isFinite(fs) && fs > 0)) {
    throw new InputError(path, 'sample rate', `expected a finite positive number of Hz, got ${fs}`);
  }
  if (!d.isolate) return d.read(path, options);
  const { format: _format, ...rest } = options;
  return runIsolated<SpikeTrains>({ kind: 'read', format: d.name, path, options: rest });
}
