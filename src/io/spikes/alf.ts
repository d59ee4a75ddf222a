/**
 * IBL ALF probe folders: `spikes.times.npy` (seconds) + `spikes.clusters.npy`, with optional
 * `clusters.label.npy` and `_ibl_passivePeriods.intervalsTable.csv`. Parquet tables
 * (`clusters.metrics.pqt`) are ignored: reading parquet would need another dependency.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../../core/errors.js';
import {
  readNpy,
  readNpyHeader,
  toFloat64,
  toInt32,
  type NpyData,
  type NpyHeader,
} from '../npy.js';
import { readTable } from './table.js';
import { buildSpikeTrains, filterByLabels, type ReadOptions, type SpikeTrains } from './types.js';

/** Finds `<object>.<attribute>[.extra].npy`, allowing an ALF namespace like `_ibl_`. */
export function findAlfFile(dir: string, object: string, attribute: string, ext = 'npy') {
  const re = new RegExp(`^(_[a-z]+_)?${object}\\.${attribute}(\\.[^.]+)*\\.${ext}$`, 'i');
  const hit = readdirSync(dir)
    .filter((n) => re.test(n))
    .sort()[0];
  return hit === undefined ? undefined : join(dir, hit);
}

export function readAlf(dir: string, options: ReadOptions = {}): SpikeTrains {
  const timesPath = findAlfFile(dir, 'spikes', 'times');
  const clustersPath = findAlfFile(dir, 'spikes', 'clusters');
  if (!timesPath) throw new InputError(dir, 'spikes.times.npy', 'missing; expected an ALF folder');
  if (!clustersPath) {
    throw new InputError(dir, 'spikes.clusters.npy', 'missing; expected an ALF folder');
  }
  const times = toFloat64(readNpy(timesPath).data);
  const clusters = toInt32(readNpy(clustersPath).data, clustersPath);
  const files = [timesPath, clustersPath];
  let labels: Map<number, string> | undefined;
  // Numeric labels only: string (<U) or object (|O) arrays are skipped, not fatal.
  const labelPath = findAlfFile(dir, 'clusters', 'label');
  const labelData = labelPath ? tryReadNpy(labelPath) : undefined;
  if (labelPath && labelData) {
    // Row k of a clusters.* table describes cluster id k.
    const l = toFloat64(labelData);
    labels = new Map(Array.from(l, (v, k) => [k, String(v)]));
    files.push(labelPath);
  }
  let spontaneousS: [number, number] | undefined;
  for (const d of [dir, dirname(dir)]) {
    const p = findAlfFile(d, 'passivePeriods', 'intervalsTable', 'csv');
    if (p) {
      spontaneousS = spontaneousInterval(p);
      files.push(p);
      break;
    }
  }
  // Row k of any clusters.* table is cluster k, so its length says how many clusters exist.
  let nClusters = labels?.size ?? 0;
  if (!labels) {
    for (const name of readdirSync(dir).filter((n) => /^(_[a-z]+_)?clusters\..+\.npy$/i.test(n))) {
      const h = tryHeader(join(dir, name));
      if (h && h.shape.length > 0) nClusters = Math.max(nClusters, h.shape[0]);
    }
  }
  const st = buildSpikeTrains(timesPath, 'spikes.times', times, clusters, 'global', {
    labels,
    spontaneousS,
    knownUnitIds: Array.from({ length: nClusters }, (_, k) => k),
    reuseClusters: true,
    provenance: { format: 'alf', path: dir, files },
  });
  return options.labels ? filterByLabels(st, options.labels, labelPath ?? dir) : st;
}

/**
 * The `spontaneousActivity` [start, stop] from an IBL passive-periods table; the table
 * comes with periods as columns and start/stop as rows, or transposed.
 */
export function spontaneousInterval(path: string): [number, number] | undefined {
  const { header, rows } = readTable(path);
  const col = header.indexOf('spontaneousActivity');
  if (col >= 0) {
    const start = rows.find((r) => r[0] === 'start') ?? rows[0];
    const stop = rows.find((r) => r[0] === 'stop') ?? rows[1];
    const iv: [number, number] = [Number(start?.[col]), Number(stop?.[col])];
    if (iv.every(Number.isFinite)) return iv;
    throw new InputError(path, 'spontaneousActivity', 'expected numeric start and stop');
  }
  const row = rows.find((r) => r[0] === 'spontaneousActivity');
  if (row) {
    const iv: [number, number] = [
      Number(row[header.indexOf('start')]),
      Number(row[header.indexOf('stop')]),
    ];
    if (iv.every(Number.isFinite)) return iv;
    throw new InputError(path, 'spontaneousActivity', 'expected numeric start and stop');
  }
  return undefined;
}

function tryReadNpy(path: string): NpyData | undefined {
  try {
    return readNpy(path).data;
  } catch (err) {
    if (err instanceof InputError && err.field === 'descr') return undefined;
    throw err;
  }
}

function tryHeader(path: string): NpyHeader | undefined {
  try {
    return readNpyHeader(path);
  } catch (err) {
    if (err instanceof InputError) return undefined;
    throw err;
  }
}
