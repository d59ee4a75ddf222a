/**
 * The files a reader will consume for a given path, known before reading it, so a cache key
 * can be computed without parsing anything (and big raw `.dat` files are left out).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { circusParamsCandidates } from './circus.js';
import type { SpikeFormat } from './types.js';

export function spikeInputFiles(path: string, format: SpikeFormat): string[] {
  if (!statSync(path).isDirectory()) {
    const extra =
      format === 'circus' ? circusParamsCandidates(path).filter((p) => existsSync(p)) : [];
    return [path, ...extra];
  }
  const pick = (dir: string, re: RegExp) =>
    readdirSync(dir)
      .filter((n) => re.test(n))
      .sort()
      .map((n) => join(dir, n));
  if (format === 'alf') {
    return [
      ...pick(path, /^(_[a-z]+_)?(spikes|clusters)\..*\.npy$/i),
      ...pick(path, /passivePeriods\.intervalsTable.*\.csv$/),
      ...pick(dirname(path), /passivePeriods\.intervalsTable.*\.csv$/),
    ];
  }
  return pick(
    path,
    /^(spike_times\.npy|spike_clusters\.npy|spike_templates\.npy|params\.py|cluster_.*\.tsv)$/,
  );
}
