/**
 * Plain tables of spikes: a header with a unit column (`unit`, `cluster`, `unit_id`) and a
 * time column whose unit is declared by its name (`time_s`, `time_ms`, `sample`) or by the
 * `timeUnit` option (`time` alone means seconds). Comma- or tab-separated.
 */
import { InputError } from '../../core/errors.js';
import { readTable } from './table.js';
import { buildSpikeTrains, type ReadOptions, type SpikeTrains } from './types.js';

const UNIT_COLS = ['unit', 'unit_id', 'cluster', 'cluster_id'];
const TIME_COLS: Record<string, 's' | 'ms' | 'samples'> = {
  time: 's',
  time_s: 's',
  t: 's',
  time_ms: 'ms',
  sample: 'samples',
  samples: 'samples',
  time_samples: 'samples',
};

export function readCsv(path: string, options: ReadOptions = {}): SpikeTrains {
  const { header, rows } = readTable(path);
  const lower = header.map((h) => h.toLowerCase());
  const uc = lower.findIndex((h) => UNIT_COLS.includes(h));
  const tc = lower.findIndex((h) => h in TIME_COLS);
  if (uc < 0 || tc < 0) {
    throw new InputError(
      path,
      'header',
      `expected a unit column (${UNIT_COLS.join('/')}) and a time column (${Object.keys(TIME_COLS).join('/')}), got ${header.join(', ') || 'an empty file'}`,
    );
  }
  const unit = options.timeUnit ?? TIME_COLS[lower[tc]];
  if (unit === 'samples' && !(options.sampleRateHz! > 0)) {
    throw new InputError(
      path,
      header[tc],
      'times are in samples but no sample rate was given; expected --sample-rate',
    );
  }
  const scale = unit === 's' ? 1 : unit === 'ms' ? 1e-3 : 1 / options.sampleRateHz!;
  const times = new Float64Array(rows.length);
  const clusters = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    const t = Number(r[tc]);
    const u = Number(r[uc]);
    if (r[tc] === undefined || r[tc] === '' || Number.isNaN(t)) {
      throw new InputError(
        path,
        `row ${i + 2}, column ${header[tc]}`,
        `expected a number, got '${r[tc] ?? ''}'`,
      );
    }
    if (r[uc] === undefined || r[uc] === '' || !Number.isInteger(u)) {
      throw new InputError(
        path,
        `row ${i + 2}, column ${header[uc]}`,
        `expected an integer unit id, got '${r[uc] ?? ''}'`,
      );
    }
    times[i] = unit === 'samples' ? t / options.sampleRateHz! : t * scale;
    clusters[i] = u;
  });
  return buildSpikeTrains(path, header[tc], times, clusters, 'none', {
    sampleRateHz: options.sampleRateHz,
    provenance: { format: 'csv', path, files: [path], timeUnit: unit },
  });
}
