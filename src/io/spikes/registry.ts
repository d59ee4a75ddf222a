/**
 * The spike formats, one descriptor each (see `format.ts`), in detection order: folders by
 * their files, then files by name (an Axion export before any other CSV), then `.h5`/`.hdf5`
 * files by contents. `readSpikes`, `detectFormat`, `spikeInputFiles` and `SPIKE_FORMATS` are
 * all derived from this list.
 */
import { InputError } from '../../core/errors.js';
import { excerpt, pathKind } from '../table.js';
import { alfFormat } from './alf.js';
import { axionFormat } from './axion.js';
import { circusFormat } from './circus.js';
import { csvFormat } from './csv.js';
import { pathInfo, type SpikeFormatDescriptor } from './format.js';
import { runIsolated } from './h5-isolate.js';
import { withH5 } from './h5-read.js';
import { maxwellFormat } from './maxwell.js';
import { meaH5Format } from './mea-h5.js';
import { nwbFormat } from './nwb.js';
import { phyFormat } from './phy.js';
import type { ReadOptions, SpikeFormat, SpikeTrains } from './types.js';

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
    'cannot tell the format from the name or contents; expected .nwb, *.result.hdf5, a MaxWell .h5, an MEA spike-list .h5 (/spikes + /sCount), .csv/.tsv (an Axion spike_list.csv[.gz] too) or an ALF/Phy folder (or pass --format)',
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
      `is a ${layout}, but format ${d.name} is ${d.description}; expected a ${d.layout} (or another --format)`,
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

/** Reads in this thread (what the isolating worker runs). */
export async function readDirect(
  format: SpikeFormat,
  path: string,
  options: ReadOptions,
): Promise<SpikeTrains> {
  return spikeFormat(format, path).read(path, options);
}

/** The format an `.h5`/`.hdf5` file's contents say, in this thread, or null. */
export async function sniffDirect(path: string): Promise<SpikeFormat | null> {
  const sniffers = SPIKE_FORMAT_REGISTRY.filter((d) => d.detectContents);
  const found = await withH5(path, (f) => sniffers.find((d) => d.detectContents!(f)));
  return found ? found.name : null;
}
