/**
 * Axion Biosystems AxIS / Maestro `spike_list.csv` exports (also gzipped): columns
 * `Time (s)`, `Electrode` (`<well>_<electrode>`, e.g. `D3_31` = well D3, electrode row 3
 * column 1) and `Amplitude(mV)` (not read). The first two columns of the first rows carry
 * the recording's settings as name/value pairs, on the same lines as spikes; the spike rows
 * end at the first row without a time (newer exports append a well summary there).
 *
 * A plate holds independent networks (48 wells of 16 electrodes on a Maestro 48-well), so
 * one dataset is one well: `well` picks it, and is required when several wells spiked.
 * Units are the well's electrodes that spiked, with the electrode number as unit id
 * (`D3_31` → 31, unique within a well) and the full name in `unitNames`.
 */
import { InputError } from '../../core/errors.js';
import { excerpt, parseDecimal, readDelimited } from '../table.js';
import { singleFile, type SpikeFormatDescriptor } from './format.js';
import { buildSpikeTrains, type ReadOptions, type SpikeTrains } from './types.js';

const TIME_COL = 'Time (s)';
const ELECTRODE_COL = 'Electrode';
const ELECTRODE = /^([A-Za-z]+\d+)_(\d+)$/;

/** True when a CSV header line is an Axion spike list's. */
export function isAxionHeader(line: string): boolean {
  const cols = line.split(/[,\t]/).map((c) => c.trim().replace(/^"|"$/g, ''));
  return cols.includes(TIME_COL) && cols.includes(ELECTRODE_COL);
}

export const axionFormat: SpikeFormatDescriptor = {
  name: 'axion',
  description: 'an Axion spike_list.csv[.gz] (Time (s), Electrode columns)',
  layout: 'file',
  detect: (info) => /\.csv(\.gz)?$/.test(info.lower) && isAxionHeader(info.firstLine()),
  inputFiles: singleFile,
  read: (path, options) => readAxion(path, options),
};

export function readAxion(path: string, options: ReadOptions = {}): SpikeTrains {
  const t = readDelimited(path);
  const tc = t.header.indexOf(TIME_COL);
  const ec = t.header.indexOf(ELECTRODE_COL);
  if (tc < 0 || ec < 0) {
    throw new InputError(
      path,
      'header',
      `expected Axion spike-list columns '${TIME_COL}' and '${ELECTRODE_COL}', got ${excerpt(t.header.map((h) => `'${h}'`).join(', '))}`,
    );
  }
  // Settings sit in the columns before the spike columns, one name/value pair per row; the
  // header row's pair is the investigator.
  // A Map, not an object: a setting named `__proto__` or `constructor` is just a name.
  const metadata = new Map<string, string>();
  const metaCols = Math.min(tc, ec);
  if (metaCols >= 2 && t.header[0]) metadata.set(t.header[0], t.header[1]);
  const wells = new Map<string, number>();
  const times: number[] = [];
  const wellOf: string[] = [];
  const electrodeOf: number[] = [];
  let last = 0;
  let footerRows = 0;
  for (let r = 0; r < t.rows.length; r++) {
    const row = t.rows[r];
    const time = (row[tc] ?? '').trim();
    const name = (row[ec] ?? '').trim();
    if (time === '') {
      footerRows = t.rows.length - r;
      break;
    }
    if (metaCols >= 2 && row[0]?.trim()) metadata.set(row[0].trim(), (row[1] ?? '').trim());
    const s = parseDecimal(time);
    if (!Number.isFinite(s) || s < 0) {
      throw new InputError(
        path,
        `line ${t.lines[r]}, column ${TIME_COL}`,
        `expected a time in seconds ≥ 0, got '${excerpt(time)}'`,
      );
    }
    const m = ELECTRODE.exec(name);
    if (!m) {
      throw new InputError(
        path,
        `line ${t.lines[r]}, column ${ELECTRODE_COL}`,
        `expected an electrode name like A1_11 (well_electrode), got '${excerpt(name)}'`,
      );
    }
    const well = m[1].toUpperCase();
    wells.set(well, (wells.get(well) ?? 0) + 1);
    times.push(s);
    wellOf.push(well);
    electrodeOf.push(Number(m[2]));
    if (s > last) last = s;
  }
  const listing = () =>
    [...wells.entries()]
      .sort(([a], [b]) => compareWells(a, b))
      .map(([w, n]) => `${w} (${n})`)
      .join(', ');
  let well: string;
  if (options.well !== undefined) {
    well = options.well.trim().toUpperCase();
    if (!wells.has(well)) {
      throw new InputError(
        path,
        'well',
        `no spikes in well '${excerpt(options.well)}'; wells with spikes (spike counts): ${listing() || 'none'}`,
      );
    }
  } else if (wells.size === 1) {
    well = [...wells.keys()][0];
  } else {
    throw new InputError(
      path,
      'well',
      wells.size === 0
        ? 'no spike rows; expected rows with a time and an electrode'
        : `${wells.size} wells spiked and each well is its own network; expected a well (manifest \`well:\`, option \`well\`) among: ${listing()}`,
    );
  }
  const n = wells.get(well)!;
  const wellTimes = new Float64Array(n);
  const clusters = new Int32Array(n);
  const unitNames = new Map<number, string>();
  for (let i = 0, j = 0; i < times.length; i++) {
    if (wellOf[i] !== well) continue;
    wellTimes[j] = times[i];
    clusters[j++] = electrodeOf[i];
    unitNames.set(electrodeOf[i], `${well}_${electrodeOf[i]}`);
  }
  const rateText = /^\s*(\S+)\s*Hz\s*$/i.exec(metadata.get('Sampling Frequency') ?? '')?.[1];
  const rate = rateText === undefined ? undefined : parseDecimal(rateText);
  if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) {
    throw new InputError(
      path,
      'Sampling Frequency',
      `expected a finite positive rate like '12500 Hz', got '${excerpt(rateText!)}'`,
    );
  }
  return buildSpikeTrains(path, TIME_COL, wellTimes, clusters, 'none', {
    // The plate's last spike, not the well's: every well was recorded for as long. The
    // export's own "Actual File Section Run" is not used: published example files keep only
    // the first minute of an 18-minute section.
    durationS: last,
    durationFrom: 'last-spike',
    sampleRateHz: rate,
    unitNames: new Map([...unitNames].sort(([a], [b]) => a - b)),
    reuseClusters: true,
    provenance: {
      format: 'axion',
      path,
      files: [path],
      well,
      wells: Object.fromEntries([...wells.entries()].sort(([a], [b]) => compareWells(a, b))),
      metadata: Object.fromEntries(metadata),
      footerRows,
    },
  });
}

/** A1 < A2 < A10 < B1: row letters, then column number. */
function compareWells(a: string, b: string): number {
  const [, ra, ca] = /^([A-Z]+)(\d+)$/.exec(a)!;
  const [, rb, cb] = /^([A-Z]+)(\d+)$/.exec(b)!;
  return ra.length - rb.length || ra.localeCompare(rb) || Number(ca) - Number(cb);
}
