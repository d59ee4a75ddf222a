/**
 * SpyKING CIRCUS `*.result.hdf5`: one dataset `spiketimes/temp_N` of sample indices per
 * template N. The sampling rate is not in the file: it comes from the option or the
 * `sampling_rate` line of the `<name>.params` file next to the data.
 */
import { basename, dirname, join } from 'node:path';
import { InputError } from '../../core/errors.js';
import { isDataset, isGroup } from '../h5.js';
import { pathKind, requireFile } from '../table.js';
import { type SpikeFormatDescriptor } from './format.js';
import { numericValues, withH5 } from './h5-read.js';
import { paramsRate } from './side-tables.js';
import { buildSpikeTrains, type ReadOptions, type SpikeTrains } from './types.js';

/** Candidate params files for `dir/name.result[-suffix].hdf5`. */
export function circusParamsCandidates(path: string): string[] {
  const stem = basename(path).replace(/\.result.*$/, '');
  const dir = dirname(path);
  return [join(dir, `${stem}.params`), join(dirname(dir), `${stem}.params`)];
}

export const circusFormat: SpikeFormatDescriptor = {
  name: 'circus',
  description: 'a SpyKING CIRCUS *.result.hdf5 (/spiketimes/temp_N)',
  layout: 'file',
  isolate: true,
  detect: (info) => /\.result[^/]*\.(hdf5|h5)$/.test(info.lower),
  detectContents: (f) => f.get('spiketimes') !== null,
  inputFiles: (path) => {
    requireFile(path);
    const extra = circusParamsCandidates(path).filter((p) => pathKind(p) !== 'missing');
    extra.forEach((p) => requireFile(p, 'sampling_rate'));
    return [path, ...extra];
  },
  read: (path, options) => readCircus(path, options),
};

/** `sampling_rate = 20000` from a `.params` file (INI); a finite positive rate or an error. */
export function circusSampleRate(paramsPath: string): number | undefined {
  return paramsRate(paramsPath, 'sampling_rate', '#;');
}

export async function readCircus(path: string, options: ReadOptions = {}): Promise<SpikeTrains> {
  const files = [path];
  let fs = options.sampleRateHz;
  if (fs === undefined) {
    const p = circusParamsCandidates(path).find((c) => pathKind(c) !== 'missing');
    if (p) {
      fs = circusSampleRate(p);
      files.push(p);
    }
  }
  if (fs === undefined || !(fs > 0)) {
    throw new InputError(
      path,
      'sampling_rate',
      `missing sample rate; expected ${circusParamsCandidates(path)[0]} with \`sampling_rate = ...\` or option \`sampleRateHz\``,
    );
  }
  return withH5(path, (f) => {
    const g = f.get('spiketimes');
    if (!isGroup(g))
      throw new InputError(path, '/spiketimes', 'missing group; expected temp_N datasets');
    const parts: Float64Array[] = [];
    const ids: number[] = [];
    for (const name of g.keys()) {
      const m = /^temp_(\d+)$/.exec(name);
      const d = g.get(name);
      if (!m || !isDataset(d)) continue;
      parts.push(numericValues(d, path));
      ids.push(Number(m[1]));
    }
    const n = parts.reduce((a, p) => a + p.length, 0);
    const times = new Float64Array(n);
    const clusters = new Float64Array(n);
    let o = 0;
    parts.forEach((p, k) => {
      for (let i = 0; i < p.length; i++) times[o + i] = p[i] / fs;
      clusters.fill(ids[k], o, o + p.length);
      o += p.length;
    });
    return buildSpikeTrains(path, '/spiketimes', times, clusters, 'per-unit', {
      sampleRateHz: fs,
      provenance: { format: 'circus', path, files },
    });
  });
}
