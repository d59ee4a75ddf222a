/**
 * MaxWell MaxOne/MaxTwo HDF5 spike tables: legacy `/proc0/spikeTimes` or newer
 * `/recordings/rec0000/well000/spikes`, compound rows (frameno, channel, amplitude).
 * Frame numbers become seconds from the first frame (the first frame of the recording when
 * the file says it, else the first spike); each channel is one unit.
 */
import { InputError } from '../../core/errors.js';
import { isDataset, type H5Dataset, type H5File } from '../h5.js';
import { singleFile, type SpikeFormatDescriptor } from './format.js';
import { checkDatasetSize, numericValues, withH5 } from './h5-read.js';
import { buildSpikeTrains, type ReadOptions, type SpikeTrains } from './types.js';

export const MAXWELL_DEFAULT_RATE_HZ = 20000;

function firstDataset(f: H5File, paths: string[]): [string, H5Dataset] | undefined {
  for (const p of paths) {
    const d = f.get(p);
    if (isDataset(d)) return [p, d];
  }
  return undefined;
}

export const maxwellFormat: SpikeFormatDescriptor = {
  name: 'maxwell',
  description: 'a MaxWell .h5 (/proc0/spikeTimes or /recordings/rec0000/well000/spikes)',
  layout: 'file',
  isolate: true,
  detect: () => false,
  detectContents: (f) => f.get('proc0') !== null || f.get('recordings') !== null,
  inputFiles: singleFile,
  read: (path, options) => readMaxwell(path, options),
};

export async function readMaxwell(
  path: string,
  options: ReadOptions & { recording?: string } = {},
): Promise<SpikeTrains> {
  const rec = options.recording ?? 'rec0000';
  const well = options.well ?? 'well000';
  return withH5(path, (f) => {
    const base = `recordings/${rec}/${well}`;
    const found = firstDataset(f, [`${base}/spikes`, 'proc0/spikeTimes']);
    if (!found) {
      throw new InputError(
        path,
        `/${base}/spikes`,
        'missing (nor /proc0/spikeTimes); expected a MaxWell spike table',
      );
    }
    const [tablePath, table] = found;
    checkDatasetSize(table, path);
    const rows = table.value as unknown;
    const names = table.metadata.compound_type?.members.map((m) => m.name) ?? [];
    const fi = names.indexOf('frameno');
    const ci = names.indexOf('channel');
    if (fi < 0 || ci < 0 || !Array.isArray(rows)) {
      throw new InputError(
        path,
        `/${tablePath}`,
        `expected compound columns frameno and channel, got ${names.join(', ') || 'no columns'}`,
      );
    }
    const rate = options.sampleRateHz ?? samplingRate(f, base, path) ?? MAXWELL_DEFAULT_RATE_HZ;
    const n = rows.length;
    const frames = new Float64Array(n);
    const channels = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const r = rows[i] as unknown[];
      frames[i] = Number(r[fi]);
      channels[i] = Number(r[ci]);
    }
    let t0 = startFrame(f, base, path);
    if (t0 === undefined) {
      t0 = Infinity;
      for (let i = 0; i < n; i++) if (frames[i] < t0) t0 = frames[i];
      if (n === 0) t0 = 0;
    }
    const times = new Float64Array(n);
    for (let i = 0; i < n; i++) times[i] = (frames[i] - t0) / rate;
    return buildSpikeTrains(path, `/${tablePath}`, times, channels, 'none', {
      sampleRateHz: rate,
      provenance: {
        format: 'maxwell',
        path,
        files: [path],
        table: `/${tablePath}`,
        firstFrame: t0,
      },
    });
  });
}

function samplingRate(f: H5File, base: string, file: string): number | undefined {
  const d = firstDataset(f, [`${base}/settings/sampling`, 'settings/sampling']);
  if (!d) return undefined;
  const v = numericValues(d[1], file)[0];
  if (!(Number.isFinite(v) && v > 0))
    throw new InputError(file, `/${d[0]}`, `expected a finite positive sampling rate, got ${v}`);
  return v;
}

/** The recording's first frame number, when the file records it. */
function startFrame(f: H5File, base: string, file: string): number | undefined {
  const d = firstDataset(f, [`${base}/start_frame`, `${base}/groups/routed/frame_nos`]);
  if (!d) return undefined;
  const v = numericValues(d[1], file);
  if (v.length > 0 && !Number.isFinite(v[0])) {
    throw new InputError(file, `/${d[0]}`, `expected a finite first frame number, got ${v[0]}`);
  }
  return v.length > 0 ? v[0] : undefined;
}
