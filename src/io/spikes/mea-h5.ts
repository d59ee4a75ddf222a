/**
 * The MEA community's HDF5 spike list (Eglen's sjemea / meaRtools / waverepo layout): root
 * datasets `/spikes` (seconds, unit after unit, each unit's block ascending) and `/sCount`
 * (spikes per unit, same order), optionally `/names`, `/epos`, `/array`, `/meta/*`,
 * `/summary/*` and `/recordingtime` [start, end].
 *
 * Unit ids are 0..N-1 in file order (the names are not ids: some are `ch_12a`, some `63`,
 * one repository omits them); the names are kept in `unitNames`. Times are kept as stored:
 * some recordings are a later segment of a longer one (a Stafford 2009 file starts at
 * 3600 s), and shifting them would hide that from a manifest window.
 */
import { InputError } from '../../core/errors.js';
import { dataset, isDataset, isGroup, type H5File } from '../h5.js';
import { singleFile, type SpikeFormatDescriptor } from './format.js';
import { checkDatasetSize, numericValues, withH5 } from './h5-read.js';
import { buildSpikeTrains, type ReadOptions, type SpikeTrains } from './types.js';

/** True when an open HDF5 file has this layout (what detection looks for). */
export function isMeaH5(f: H5File): boolean {
  return isDataset(f.get('spikes')) && isDataset(f.get('sCount'));
}

export const meaH5Format: SpikeFormatDescriptor = {
  name: 'mea-h5',
  description: 'an MEA spike-list .h5 (/spikes + /sCount)',
  layout: 'file',
  isolate: true,
  detect: () => false,
  detectContents: isMeaH5,
  inputFiles: singleFile,
  read: (path, options) => readMeaH5(path, options),
};

/** No option applies: times are seconds and there are no curation labels. */
export async function readMeaH5(path: string, _options: ReadOptions = {}): Promise<SpikeTrains> {
  return withH5(path, (f) => {
    const spikes = numericValues(dataset(f, path, 'spikes'), path);
    const counts = numericValues(dataset(f, path, 'sCount'), path);
    const names = readNames(f, path, counts.length);
    const label = (u: number) => (names ? `unit ${u} (${names[u]})` : `unit ${u}`);
    let total = 0;
    for (let u = 0; u < counts.length; u++) {
      const c = counts[u];
      if (!Number.isInteger(c) || c < 0) {
        throw new InputError(
          path,
          '/sCount',
          `${label(u)} has count ${c}; expected a non-negative integer`,
        );
      }
      total += c;
    }
    if (total !== spikes.length) {
      throw new InputError(
        path,
        '/sCount',
        `counts sum to ${total} but /spikes holds ${spikes.length} times; expected sum(sCount) = len(spikes)`,
      );
    }
    // Checked here rather than left to buildSpikeTrains so the message names the unit's block.
    const clusters = new Int32Array(spikes.length);
    for (let u = 0, o = 0; u < counts.length; o += counts[u++]) {
      clusters.fill(u, o, o + counts[u]);
      for (let i = o; i < o + counts[u]; i++) {
        const t = spikes[i];
        if (!Number.isFinite(t)) {
          throw new InputError(
            path,
            '/spikes',
            `spike ${i} (${label(u)}) has time ${t}; expected a finite number of seconds`,
          );
        }
        if (i > o && t < spikes[i - 1]) {
          throw new InputError(
            path,
            '/spikes',
            `${label(u)} is not sorted: spike ${i} at ${t} s comes after ${spikes[i - 1]} s; expected each unit's block (in /sCount order) ascending`,
          );
        }
      }
    }
    const recordingS = optionalNumbers(f, path, 'recordingtime');
    if (recordingS && (recordingS.length !== 2 || !(recordingS[1] >= recordingS[0]))) {
      throw new InputError(
        path,
        '/recordingtime',
        `got [${Array.from(recordingS).join(', ')}]; expected [start, end] in seconds`,
      );
    }
    const unitIds = Int32Array.from(counts, (_, u) => u);
    return buildSpikeTrains(path, '/spikes', spikes, clusters, 'per-unit', {
      knownUnitIds: unitIds,
      reuseClusters: true,
      // `summary/duration` is rounded (sometimes below the last spike): the recording's end
      // is taken from `/recordingtime` only, else from the last spike.
      durationS: recordingS ? recordingS[1] : undefined,
      unitNames: names ? new Map(names.map((n, u) => [u, n])) : undefined,
      provenance: {
        format: 'mea-h5',
        path,
        files: [path],
        array: optionalString(f, path, 'array'),
        recordingTimeS: recordingS ? Array.from(recordingS) : undefined,
        summaryDurationS: optionalNumbers(f, path, 'summary/duration')?.[0],
        meta: readMeta(f, path),
      },
    });
  });
}

function readNames(f: H5File, file: string, n: number): string[] | undefined {
  const d = f.get('names');
  if (!isDataset(d)) return undefined;
  checkDatasetSize(d, file);
  const v = d.value as unknown;
  const names = (Array.isArray(v) ? v : [v]).map((x) =>
    x instanceof Uint8Array ? Buffer.from(x).toString('latin1') : String(x),
  );
  if (names.length !== n) {
    throw new InputError(
      file,
      '/names',
      `${names.length} names for ${n} units in /sCount; expected one name per unit`,
    );
  }
  return names.map((s) => s.replace(/\0+$/, '').trim());
}

function optionalNumbers(f: H5File, file: string, p: string): Float64Array | undefined {
  const d = f.get(p);
  return isDataset(d) ? numericValues(d, file) : undefined;
}

function optionalString(f: H5File, file: string, p: string): string | undefined {
  const d = f.get(p);
  if (!isDataset(d)) return undefined;
  checkDatasetSize(d, file);
  const v = d.value as unknown;
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s.trim() : undefined;
}

/** `/meta/*` scalars (species, age, key …), for provenance; other shapes are skipped. */
function readMeta(f: H5File, file: string): Record<string, string | number> | undefined {
  const g = f.get('meta');
  if (!isGroup(g)) return undefined;
  const out: Record<string, string | number> = {};
  for (const k of g.keys()) {
    const d = g.get(k);
    if (!isDataset(d)) continue;
    const s = optionalString(f, file, `meta/${k}`);
    if (s !== undefined) {
      out[k] = s;
      continue;
    }
    try {
      const v = numericValues(d, file);
      if (v.length === 1) out[k] = v[0];
    } catch {
      // A non-numeric, non-string entry is metadata we do not need.
    }
  }
  return out;
}
