/**
 * IBL ALF probe folders: `spikes.times.npy` (seconds) + `spikes.clusters.npy`, with optional
 * `clusters.label.npy` and `_ibl_passivePeriods.intervalsTable.csv`. Parquet tables
 * (`clusters.metrics.pqt`) are ignored: reading parquet would need another dependency.
 */
import { dirname, join } from 'node:path';
import { InputError } from '../../core/errors.js';
import {
  readNpyHeader,
  readNpyVector,
  toFloat64,
  toInt32,
  type NpyData,
  type NpyHeader,
} from '../npy.js';
import { excerpt, parseDecimal, pathKind } from '../table.js';
import { listFolder, pickFiles, type SpikeFormatDescriptor } from './format.js';
import { readTable } from './side-tables.js';
import { buildSpikeTrains, filterByLabels, type ReadOptions, type SpikeTrains } from './types.js';

/**
 * Most clusters an ALF folder may declare through the row count of a `clusters.*` table:
 * the same bound as the dense id lookup in `buildSpikeTrains` (sorters number clusters
 * densely; 16 M clusters is far beyond any probe), so a corrupt header cannot make us build
 * a billion-entry id list.
 */
const MAX_ALF_CLUSTERS = 1 << 24;

function alfPattern(object: string, attribute: string, ext: string): RegExp {
  return new RegExp(`^(_[a-z]+_)?${object}\\.${attribute}(\\.[^.]+)*\\.${ext}$`, 'i');
}

/** Finds `<object>.<attribute>[.extra].npy`, allowing an ALF namespace like `_ibl_`. */
export function findAlfFile(
  dir: string,
  object: string,
  attribute: string,
  ext = 'npy',
  entries = listFolder(dir),
) {
  const re = alfPattern(object, attribute, ext);
  const hit = entries.filter((n) => re.test(n)).sort()[0];
  return hit === undefined ? undefined : join(dir, hit);
}

export const alfFormat: SpikeFormatDescriptor = {
  name: 'alf',
  description: 'an ALF probe folder (spikes.times.npy + spikes.clusters.npy)',
  layout: 'folder',
  detect: (info) => info.entries.some((n) => alfPattern('spikes', 'times', 'npy').test(n)),
  inputFiles: (path) => [
    ...pickFiles(path, /^(_[a-z]+_)?(spikes|clusters)\..*\.npy$/i),
    ...pickFiles(path, /passivePeriods\.intervalsTable.*\.csv$/),
    ...pickFiles(dirname(path), /passivePeriods\.intervalsTable.*\.csv$/),
  ],
  read: (path, options) => readAlf(path, options),
};

export function readAlf(dir: string, options: ReadOptions = {}): SpikeTrains {
  const timesPath = findAlfFile(dir, 'spikes', 'times');
  const clustersPath = findAlfFile(dir, 'spikes', 'clusters');
  if (!timesPath) throw new InputError(dir, 'spikes.times.npy', 'missing; expected an ALF folder');
  if (!clustersPath) {
    throw new InputError(dir, 'spikes.clusters.npy', 'missing; expected an ALF folder');
  }
  const times = toFloat64(readNpyVector(timesPath).data);
  const clusters = toInt32(readNpyVector(clustersPath).data, clustersPath);
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
    // The parent may be unreadable (a probe folder at the root of a mount): nothing there.
    const entries = d === dir ? listFolder(d) : tryList(d);
    const p = findAlfFile(d, 'passivePeriods', 'intervalsTable', 'csv', entries);
    if (p) {
      spontaneousS = spontaneousInterval(p);
      files.push(p);
      break;
    }
  }
  // Row k of any clusters.* table is cluster k, so its length says how many clusters exist.
  let nClusters = labels?.size ?? 0;
  if (!labels) {
    for (const name of listFolder(dir).filter((n) => /^(_[a-z]+_)?clusters\..+\.npy$/i.test(n))) {
      const p = join(dir, name);
      const h = tryHeader(p);
      if (h && h.shape.length > 0) {
        if (h.shape[0] > MAX_ALF_CLUSTERS) {
          throw new InputError(
            p,
            'shape',
            `declares ${h.shape[0]} clusters (rows); expected at most ${MAX_ALF_CLUSTERS}`,
          );
        }
        nClusters = Math.max(nClusters, h.shape[0]);
      }
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
    const iv: [number, number] = [
      parseDecimal(start?.[col] ?? ''),
      parseDecimal(stop?.[col] ?? ''),
    ];
    if (iv.every(Number.isFinite)) return iv;
    throw new InputError(
      path,
      'spontaneousActivity',
      `expected numeric start and stop, got '${excerpt(start?.[col] ?? '')}' and '${excerpt(stop?.[col] ?? '')}'`,
    );
  }
  const row = rows.find((r) => r[0] === 'spontaneousActivity');
  if (row) {
    const cells = [row[header.indexOf('start')] ?? '', row[header.indexOf('stop')] ?? ''];
    const iv: [number, number] = [parseDecimal(cells[0]), parseDecimal(cells[1])];
    if (iv.every(Number.isFinite)) return iv;
    throw new InputError(
      path,
      'spontaneousActivity',
      `expected numeric start and stop, got '${excerpt(cells[0])}' and '${excerpt(cells[1])}'`,
    );
  }
  return undefined;
}

/**
 * Label arrays of a dtype we do not read (numpy strings `<U`, objects `|O`) are skipped;
 * any other problem (truncated, corrupt, 2-D) is an error naming the file.
 */
function tryReadNpy(path: string): NpyData | undefined {
  try {
    return readNpyVector(path, false).data;
  } catch (err) {
    if (err instanceof InputError && err.field === 'descr') return undefined;
    throw err;
  }
}

/**
 * The header of another `clusters.*` table (only its row count is used). Tables of a dtype
 * we do not read are skipped; a header that is corrupt or promises more data than its file
 * holds is an error naming the file (its row count would otherwise be believed).
 */
function tryHeader(path: string): NpyHeader | undefined {
  try {
    return readNpyHeader(path);
  } catch (err) {
    if (err instanceof InputError && err.field === 'descr') return undefined;
    throw err;
  }
}

function tryList(dir: string): string[] {
  try {
    return pathKind(dir) === 'folder' ? listFolder(dir) : [];
  } catch {
    return [];
  }
}
