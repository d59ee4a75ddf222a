/**
 * Kilosort/Phy output folders: `spike_times.npy` (sample indices) + `spike_clusters.npy`
 * (or `spike_templates.npy` before curation) + `params.py` for `sample_rate`, with curation
 * labels from `cluster_group.tsv` or `cluster_info.tsv`.
 */
import { join } from 'node:path';
import { InputError } from '../../core/errors.js';
import { readNpyVector, toFloat64, toInt32 } from '../npy.js';
import { excerpt, parseInteger, pathKind, requireFile } from '../table.js';
import { pickFiles, type SpikeFormatDescriptor } from './format.js';
import { paramsRate, readTable } from './side-tables.js';
import { buildSpikeTrains, filterByLabels, type ReadOptions, type SpikeTrains } from './types.js';

const LABEL_FILES = ['cluster_group.tsv', 'cluster_info.tsv', 'cluster_KSLabel.tsv'];

export const phyFormat: SpikeFormatDescriptor = {
  name: 'phy',
  description: 'a Kilosort/Phy folder (spike_times.npy + spike_clusters.npy + params.py)',
  layout: 'folder',
  detect: (info) => info.entries.includes('spike_times.npy'),
  inputFiles: (path) =>
    pickFiles(
      path,
      /^(spike_times\.npy|spike_clusters\.npy|spike_templates\.npy|params\.py|cluster_.*\.tsv)$/,
    ),
  read: (path, options) => readPhy(path, options),
};

/**
 * `sample_rate = 30000.0` from a Phy params.py (a Python file of simple assignments).
 * Undefined when there is no params.py or no such line; an InputError when the file is not
 * readable (a folder, a dangling link) or the rate is not a finite positive number
 * (`1e999` is Infinity in Python too, and would put every spike at time 0).
 */
export function phySampleRate(paramsPath: string): number | undefined {
  if (pathKind(paramsPath) === 'missing') return undefined;
  return paramsRate(paramsPath, 'sample_rate');
}

export function readPhy(dir: string, options: ReadOptions = {}): SpikeTrains {
  const timesPath = join(dir, 'spike_times.npy');
  let clustersPath = join(dir, 'spike_clusters.npy');
  if (pathKind(clustersPath) === 'missing') clustersPath = join(dir, 'spike_templates.npy');
  if (pathKind(timesPath) === 'missing') throw new InputError(dir, 'spike_times.npy', 'missing');
  if (pathKind(clustersPath) === 'missing') {
    throw new InputError(dir, 'spike_clusters.npy', 'missing (nor spike_templates.npy)');
  }
  const paramsPath = join(dir, 'params.py');
  const fs = options.sampleRateHz ?? phySampleRate(paramsPath);
  if (fs === undefined) {
    throw new InputError(
      paramsPath,
      'sample_rate',
      'missing sample rate; expected a line like `sample_rate = 30000.0` or option `sampleRateHz`',
    );
  }
  const samples = toFloat64(readNpyVector(timesPath).data);
  // Convert in place when we own the buffer (toFloat64 copied integer data).
  const times = samples;
  for (let i = 0; i < times.length; i++) times[i] = samples[i] / fs;
  const clusters = toInt32(readNpyVector(clustersPath).data, clustersPath);
  const files = [timesPath, clustersPath];
  if (pathKind(paramsPath) !== 'missing') files.push(paramsPath);
  const found = phyLabels(dir, files);
  const st = buildSpikeTrains(timesPath, 'spike_times', times, clusters, 'global', {
    sampleRateHz: fs,
    labels: found?.labels,
    knownUnitIds: found ? [...found.labels.keys()] : [],
    reuseClusters: true,
    provenance: { format: 'phy', path: dir, files },
  });
  return options.labels
    ? filterByLabels(st, options.labels, found?.file ?? join(dir, 'cluster_group.tsv'))
    : st;
}

/**
 * Curation labels by cluster id, from the first label table present. Ids are checked here
 * (decimal 32-bit integers), so a bad one is reported against the table, by line.
 */
function phyLabels(
  dir: string,
  files: string[],
): { labels: Map<number, string>; file: string } | undefined {
  for (const name of LABEL_FILES) {
    const p = join(dir, name);
    if (pathKind(p) === 'missing') continue;
    requireFile(p, 'labels');
    const { header, rows } = readTable(p);
    const idCol = header.findIndex((h) => h === 'cluster_id' || h === 'id');
    let labelCol = header.indexOf('group');
    if (labelCol < 0) labelCol = header.indexOf('KSLabel');
    if (idCol < 0 || labelCol < 0) {
      throw new InputError(
        p,
        'header',
        `expected columns cluster_id and group, got ${excerpt(header.join(', '))}`,
      );
    }
    files.push(p);
    const ksCol = header.indexOf('KSLabel');
    const labels = new Map<number, string>();
    rows.forEach((r, i) => {
      const id = parseInteger(r[idCol] ?? '');
      if (!(id >= -2147483648 && id <= 2147483647)) {
        throw new InputError(
          p,
          `row ${i + 2}, column ${header[idCol]}`,
          `expected an integer cluster id, got '${excerpt(r[idCol] ?? '')}'`,
        );
      }
      labels.set(id, r[labelCol] || (ksCol >= 0 ? (r[ksCol] ?? '') : ''));
    });
    return { labels, file: p };
  }
  return undefined;
}
