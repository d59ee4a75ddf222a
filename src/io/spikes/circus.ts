/**
 * SpyKING CIRCUS `*.result.hdf5`: one dataset `spiketimes/temp_N` of sample indices per
 * template N. The sampling rate is not in the file: it comes from the option or the
 * `sampling_rate` line of the `<name>.params` file next to the data.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../../core/errors.js';
import { isDataset, isGroup, numbers, openH5 } from '../h5.js';
import { buildSpikeTrains, type ReadOptions, type SpikeTrains } from './types.js';

/** Candidate params files for `dir/name.result[-suffix].hdf5`. */
export function circusParamsCandidates(path: string): string[] {
  const stem = basename(path).replace(/\.result.*$/, '');
  const dir = dirname(path);
  return [join(dir, `${stem}.params`), join(dirname(dir), `${stem}.params`)];
}

export function circusSampleRate(paramsPath: string): number | undefined {
  const m = /^\s*sampling_rate\s*=\s*([0-9.eE+-]+)/m.exec(readFileSync(paramsPath, 'utf8'));
  return m ? Number(m[1]) : undefined;
}

export async function readCircus(path: string, options: ReadOptions = {}): Promise<SpikeTrains> {
  const files = [path];
  let fs = options.sampleRateHz;
  if (fs === undefined) {
    const p = circusParamsCandidates(path).find((c) => existsSync(c));
    if (p) {
      fs = circusSampleRate(p);
      files.push(p);
    }
  }
  if (fs === undefined || !(fs > 0)) {
    throw new InputError(
      path,
      'sampling_rate',
      `missing sample rate; expected ${circusParamsCandidates(path)[0]} with \`sampling_rate = ...\` or the --sample-rate option`,
    );
  }
  const f = await openH5(path);
  try {
    const g = f.get('spiketimes');
    if (!isGroup(g))
      throw new InputError(path, '/spiketimes', 'missing group; expected temp_N datasets');
    const parts: Float64Array[] = [];
    const ids: number[] = [];
    for (const name of g.keys()) {
      const m = /^temp_(\d+)$/.exec(name);
      const d = g.get(name);
      if (!m || !isDataset(d)) continue;
      parts.push(numbers(d, path));
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
  } finally {
    f.close();
  }
}
