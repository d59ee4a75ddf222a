/**
 * Kilosort/Phy output folders: `spike_times.npy` (sample indices) + `spike_clusters.npy`
 * (or `spike_templates.npy` before curation) + `params.py` for `sample_rate`, with curation
 * labels from `cluster_group.tsv` or `cluster_info.tsv`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../core/errors.js';
import { readNpy, toFloat64, toInt32 } from '../npy.js';
import { readTable } from './table.js';
import { buildSpikeTrains, filterByLabels, type ReadOptions, type SpikeTrains } from './types.js';

/** `sample_rate = 30000.0` from a Phy params.py (a Python file of simple assignments). */
export function phySampleRate(paramsPath: string): number | undefined {
  if (!existsSync(paramsPath)) return undefined;
  const m = /^\s*sample_rate\s*=\s*([0-9.eE+-]+)/m.exec(readFileSync(paramsPath, 'utf8'));
  const v = m ? Number(m[1]) : NaN;
  if (m && !(v > 0)) {
    throw new InputError(paramsPath, 'sample_rate', `expected a positive number, got ${m[1]}`);
  }
  return m ? v : undefined;
}

export function readPhy(dir: string, options: ReadOptions = {}): SpikeTrains {
  const timesPath = join(dir, 'spike_times.npy');
  let clustersPath = join(dir, 'spike_clusters.npy');
  if (!existsSync(clustersPath)) clustersPath = join(dir, 'spike_templates.npy');
  if (!existsSync(timesPath)) throw new InputError(dir, 'spike_times.npy', 'missing');
  if (!existsSync(clustersPath)) {
    throw new InputError(dir, 'spike_clusters.npy', 'missing (nor spike_templates.npy)');
  }
  const paramsPath = join(dir, 'params.py');
  const fs = options.sampleRateHz ?? phySampleRate(paramsPath);
  if (fs === undefined) {
    throw new InputError(
      paramsPath,
      'sample_rate',
      'missing sample rate; expected a line like `sample_rate = 30000.0` or the --sample-rate option',
    );
  }
  const samples = toFloat64(readNpy(timesPath).data);
  // Convert in place when we own the buffer (toFloat64 copied integer data).
  const times = samples;
  for (let i = 0; i < times.length; i++) times[i] = samples[i] / fs;
  const clusters = toInt32(readNpy(clustersPath).data, clustersPath);
  const files = [timesPath, clustersPath];
  if (existsSync(paramsPath)) files.push(paramsPath);
  const labels = phyLabels(dir, files);
  const st = buildSpikeTrains(timesPath, 'spike_times', times, clusters, 'global', {
    sampleRateHz: fs,
    labels,
    knownUnitIds: labels ? [...labels.keys()] : [],
    reuseClusters: true,
    provenance: { format: 'phy', path: dir, files },
  });
  return options.labels ? filterByLabels(st, options.labels, join(dir, 'cluster_group.tsv')) : st;
}

function phyLabels(dir: string, files: string[]): Map<number, string> | undefined {
  for (const name of ['cluster_group.tsv', 'cluster_info.tsv', 'cluster_KSLabel.tsv']) {
    const p = join(dir, name);
    if (!existsSync(p)) continue;
    const { header, rows } = readTable(p);
    const idCol = header.findIndex((h) => h === 'cluster_id' || h === 'id');
    let labelCol = header.indexOf('group');
    if (labelCol < 0) labelCol = header.indexOf('KSLabel');
    if (idCol < 0 || labelCol < 0) {
      throw new InputError(
        p,
        'header',
        `expected columns cluster_id and group, got ${header.join(', ')}`,
      );
    }
    files.push(p);
    const labels = new Map<number, string>();
    for (const r of rows) {
      const label = r[labelCol] || (header.includes('KSLabel') ? r[header.indexOf('KSLabel')] : '');
      labels.set(Number(r[idCol]), label);
    }
    return labels;
  }
  return undefined;
}
