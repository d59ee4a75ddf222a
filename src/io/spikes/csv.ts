/**
 * Plain tables of spikes: a header with a unit column (`unit`, `cluster`, `unit_id`) and a
 * time column whose unit is declared by its name (`time_s`, `time_ms`, `sample`) or by the
 * `timeUnit` option (`time` alone means seconds). Comma- or tab-separated.
 */
import { InputError } from '../../core/errors.js';
import { excerpt, parseDecimal, parseInteger } from '../table.js';
import { singleFile, type SpikeFormatDescriptor } from './format.js';
import { readTable } from './side-tables.js';
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

export const csvFormat: SpikeFormatDescriptor = {
  name: 'csv',
  description: 'a .csv/.tsv table with a unit column and a time column',
  layout: 'file',
  detect: (info) => /\.(csv|tsv)(\.gz)?$/.test(info.lower),
  inputFiles: singleFile,
  read: (path, options) => readCsv(path, options),
};

/**
 * Numbers are parsed strictly as decimals (`0x10` is an error, not 16). Rows may come in any
 * order: spikes are sorted by time. Extra columns are ignored; a row missing the time or
 * the unit is an error naming its line.
 */
export function readCsv(path: string, options: ReadOptions = {}): SpikeTrains {
  const { header, rows } = readTable(path);
  const lower = header.map((h) => h.toLowerCase());
  const uc = lower.findIndex((h) => UNIT_COLS.includes(h));
  const tc = lower.findIndex((h) => h in TIME_COLS);
  if (uc < 0 || tc < 0) {
    throw new InputError(
      path,
      'header',
      `expected a unit column (${UNIT_COLS.join('/')}) and a time column (${Object.keys(TIME_COLS).join('/')}), got ${excerpt(header.join(', ')) || 'an empty file'}`,
    );
  }
  const unit = options.timeUnit ?? TIME_COLS[lower[tc]];
  if (unit === 'samples' && !(options.sampleRateHz! > 0)) {
    throw new InputError(
      path,
      header[tc],
      'times are in samples but no sample rate was given; expected option `sampleRateHz`',
    );
  }
  const scale = unit === 's' ? 1 : unit === 'ms' ? 1e-3 : 1 / options.sampleRateHz!;
  const times = new Float64Array(rows.length);
  const clusters = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    const t = parseDecimal(r[tc] ?? '');
    const u = parseInteger(r[uc] ?? '');
    if (Number.isNaN(t)) {
      throw new InputError(
        path,
        `row ${i + 2}, column ${excerpt(header[tc])}`,
        `expected a number, got '${excerpt(r[tc] ?? '')}'`,
      );
    }
    if (Number.isNaN(u)) {
      throw new InputError(
        path,
        `row ${i + 2}, column ${excerpt(header[uc])}`,
        `expected an integer unit id, got '${excerpt(r[uc] ?? '')}'`,
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
