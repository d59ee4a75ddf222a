/**
 * Current-clamp sweeps from NWB 2.x files: each `CurrentClampSeries` (the recorded voltage)
 * with its `CurrentClampStimulusSeries` (the injected current), scaled by `conversion` (and
 * `offset`) and `unit` to mV and pA. Sweeps are found through
 *
 * - the icephys tables of current NWB (2.4+): `general/intracellular_ephys/intracellular_recordings`,
 *   whose `responses/response` and `stimuli/stimulus` rows reference a series and a sample range;
 * - the older `general/intracellular_ephys/sweep_table` (series references grouped by sweep
 *   number), used by files converted with IPFX's x_to_nwb (NWB 2.0b);
 * - otherwise the series in `acquisition` and `stimulus/presentation`, paired by their
 *   `sweep_number` attribute.
 *
 * Every problem is one InputError naming the file and the HDF5 path.
 */
import { InputError } from '../../core/errors.js';
import {
  attrValue,
  closeH5,
  compoundNumbers,
  dataset,
  getNode,
  isDataset,
  isGroup,
  numbers,
  openH5,
  referencedPaths,
  sliceNumbers,
  type H5File,
} from '../h5.js';

export interface Sweep {
  /** The file it came from. */
  file: string;
  sweepNumber: number;
  samplingRateHz: number;
  /** Start of the sweep in the session (s), from `starting_time` or the first timestamp. */
  t0?: number;
  voltageMv: Float64Array;
  /** Injected current (pA), null when the file has no stimulus series for this sweep. */
  stimulusPa: Float64Array | null;
  /** The response's `stimulus_description` (the protocol name), else the stimulus series'. */
  stimulusDescription: string;
  responsePath: string;
  stimulusPath: string | null;
}

const ICEPHYS = 'general/intracellular_ephys';

/** Reads every current-clamp sweep of an NWB file, ordered by sweep number. */
export async function readCurrentClampSweeps(path: string): Promise<Sweep[]> {
  const f = await openH5(path);
  try {
    const pairs = seriesPairs(f, path);
    if (pairs.length === 0)
      throw new InputError(
        path,
        'acquisition',
        'no CurrentClampSeries found; expected current-clamp sweeps (NWB icephys)',
      );
    return pairs.map((p) => readSweep(f, path, p)).sort((a, b) => a.sweepNumber - b.sweepNumber);
  } finally {
    closeH5(f);
  }
}

interface SeriesPair {
  response: string;
  stimulus: string | null;
  /** Sample range of the response (current layout); the whole series otherwise. */
  responseRange?: [number, number];
  stimulusRange?: [number, number];
  sweepNumber?: number;
}

function neurodataType(f: H5File, file: string, p: string): string | undefined {
  const node = getNode(f, file, p);
  if (!node || !(isGroup(node) || isDataset(node))) return undefined;
  const v = attrValue(node, file, 'neurodata_type');
  return typeof v === 'string' ? v : undefined;
}

const isResponse = (type: string | undefined) => type === 'CurrentClampSeries';
const isStimulus = (type: string | undefined) => type === 'CurrentClampStimulusSeries';

function seriesPairs(f: H5File, file: string): SeriesPair[] {
  const recordings = `${ICEPHYS}/intracellular_recordings`;
  if (getNode(f, file, recordings)) return fromRecordingsTable(f, file, recordings);
  const sweepTable = `${ICEPHYS}/sweep_table`;
  if (getNode(f, file, sweepTable)) return fromSweepTable(f, file, sweepTable);
  return fromSweepNumbers(f, file);
}

/** Current NWB: one row per recording, response and stimulus as (series, start, count). */
function fromRecordingsTable(f: H5File, file: string, table: string): SeriesPair[] {
  const column = (category: string, name: string) => {
    const d = dataset(f, file, `${table}/${category}/${name}`);
    return {
      paths: referencedPaths(f, d, file, 'timeseries'),
      start: compoundNumbers(d, file, 'idx_start'),
      count: compoundNumbers(d, file, 'count'),
    };
  };
  const responses = column('responses', 'response');
  const stimuli = getNode(f, file, `${table}/stimuli/stimulus`)
    ? column('stimuli', 'stimulus')
    : null;
  const out: SeriesPair[] = [];
  responses.paths.forEach((response, row) => {
    if (!isResponse(neurodataType(f, file, response))) return; // voltage clamp, I=0 …
    const range = (c: typeof responses): [number, number] | undefined =>
      c.start[row] >= 0 && c.count[row] >= 0
        ? [c.start[row], c.start[row] + c.count[row]]
        : undefined;
    const hasStimulus = stimuli !== null && stimuli.start[row] >= 0;
    out.push({
      response,
      stimulus: hasStimulus ? stimuli.paths[row] : null,
      responseRange: range(responses),
      stimulusRange: hasStimulus ? range(stimuli) : undefined,
      sweepNumber: row,
    });
  });
  return out;
}

/** NWB 2.0–2.3: series references in ragged rows, one sweep number per row. */
function fromSweepTable(f: H5File, file: string, table: string): SeriesPair[] {
  const series = referencedPaths(f, dataset(f, file, `${table}/series`), file);
  const index = numbers(dataset(f, file, `${table}/series_index`), file);
  const sweepNumbers = numbers(dataset(f, file, `${table}/sweep_number`), file);
  if (sweepNumbers.length !== index.length)
    throw new InputError(
      file,
      `${table}/sweep_number`,
      `has ${sweepNumbers.length} rows but series_index has ${index.length}; expected one per row`,
    );
  // The converter writes one row per series, several rows sharing a sweep number.
  const bySweep = new Map<number, string[]>();
  let start = 0;
  index.forEach((end, row) => {
    if (!Number.isInteger(end) || end < start || end > series.length)
      throw new InputError(
        file,
        `${table}/series_index`,
        `row ${row} ends at ${end}; expected non-decreasing offsets within 0..${series.length}`,
      );
    const list = bySweep.get(sweepNumbers[row]) ?? [];
    list.push(...series.slice(start, end));
    bySweep.set(sweepNumbers[row], list);
    start = end;
  });
  const out: SeriesPair[] = [];
  for (const [sweepNumber, paths] of bySweep) {
    const types = paths.map((p) => neurodataType(f, file, p));
    const response = paths.find((_, k) => isResponse(types[k]));
    if (!response) continue;
    out.push({
      response,
      stimulus: paths.find((_, k) => isStimulus(types[k])) ?? null,
      sweepNumber,
    });
  }
  return out;
}

/** No table: series paired by their sweep_number attribute (else by name). */
function fromSweepNumbers(f: H5File, file: string): SeriesPair[] {
  const list = (group: string, want: (t: string | undefined) => boolean) => {
    const g = getNode(f, file, group);
    if (!g || !isGroup(g)) return [];
    return g
      .keys()
      .map((k) => `/${group}/${k}`)
      .filter((p) => want(neurodataType(f, file, p)));
  };
  const stimuli = list('stimulus/presentation', isStimulus);
  const numberOf = (p: string) => {
    const v = attrValue(
      getNode(f, file, p) as Parameters<typeof attrValue>[0],
      file,
      'sweep_number',
    );
    return v === undefined ? undefined : Number(v);
  };
  const stimulusBySweep = new Map(stimuli.map((p) => [numberOf(p) ?? p.split('/').pop(), p]));
  return list('acquisition', isResponse).map((response, k) => {
    const n = numberOf(response);
    return {
      response,
      stimulus: stimulusBySweep.get(n ?? response.split('/').pop()) ?? null,
      sweepNumber: n ?? k,
    };
  });
}

/** Scale of a unit string to mV (voltage) or pA (current); undefined for anything else. */
const VOLT_SCALE: Record<string, number> = {
  v: 1e3,
  volt: 1e3,
  volts: 1e3,
  mv: 1,
  millivolt: 1,
  millivolts: 1,
};
const AMP_SCALE: Record<string, number> = {
  a: 1e12,
  amp: 1e12,
  amps: 1e12,
  ampere: 1e12,
  amperes: 1e12,
  na: 1e3,
  pa: 1,
  picoampere: 1,
  picoamperes: 1,
};

interface Series {
  values: Float64Array;
  rate: number;
  t0?: number;
  description: string;
}

function readSeries(
  f: H5File,
  file: string,
  path: string,
  kind: 'voltage' | 'current',
  range?: [number, number],
): Series {
  const group = getNode(f, file, path);
  if (!group || !isGroup(group))
    throw new InputError(file, path, 'missing group; expected a PatchClampSeries');
  const data = dataset(f, file, `${path}/data`);
  const unit = attrValue(data, file, 'unit');
  const table = kind === 'voltage' ? VOLT_SCALE : AMP_SCALE;
  const toUnit = typeof unit === 'string' ? table[unit.trim().toLowerCase()] : undefined;
  if (toUnit === undefined)
    throw new InputError(
      file,
      `${path}/data@unit`,
      `is ${JSON.stringify(unit ?? null)}; expected ${kind === 'voltage' ? "volts ('V', 'volts' or 'mV')" : "amperes ('A', 'amperes', 'nA' or 'pA')"}`,
    );
  const conversion = Number(attrValue(data, file, 'conversion') ?? 1);
  const offset = Number(attrValue(data, file, 'offset') ?? 0);
  if (!Number.isFinite(conversion) || conversion === 0)
    throw new InputError(
      file,
      `${path}/data@conversion`,
      `is ${conversion}; expected a non-zero number`,
    );
  const raw = range ? sliceNumbers(data, [range], file) : numbers(data, file);
  const values = Float64Array.from(raw, (x) => (x * conversion + offset) * toUnit);
  const { rate, t0 } = timing(f, file, path, range?.[0] ?? 0);
  const desc = attrValue(group, file, 'stimulus_description');
  return { values, rate, t0, description: typeof desc === 'string' ? desc : '' };
}

/** Sampling rate and start time from `starting_time@rate` or uniform `timestamps`. */
function timing(
  f: H5File,
  file: string,
  path: string,
  first: number,
): { rate: number; t0?: number } {
  const st = getNode(f, file, `${path}/starting_time`);
  if (st && isDataset(st)) {
    const rate = Number(attrValue(st, file, 'rate'));
    if (!(rate > 0))
      throw new InputError(
        file,
        `${path}/starting_time@rate`,
        `is ${rate}; expected a sampling rate in Hz`,
      );
    const t0 = numbers(st, file)[0];
    return { rate, t0: Number.isFinite(t0) ? t0 + first / rate : undefined };
  }
  const ts = getNode(f, file, `${path}/timestamps`);
  if (ts && isDataset(ts)) {
    const t = numbers(ts, file);
    if (t.length < 2 || !(t[1] > t[0]))
      throw new InputError(file, `${path}/timestamps`, 'expected increasing times in seconds');
    return { rate: (t.length - 1) / (t[t.length - 1] - t[0]), t0: t[first] };
  }
  throw new InputError(
    file,
    `${path}/starting_time`,
    'missing dataset; expected starting_time (with rate) or timestamps',
  );
}

function readSweep(f: H5File, file: string, p: SeriesPair): Sweep {
  const response = readSeries(f, file, p.response, 'voltage', p.responseRange);
  let stimulus: Series | null = null;
  if (p.stimulus) {
    stimulus = readSeries(f, file, p.stimulus, 'current', p.stimulusRange);
    if (stimulus.values.length !== response.values.length)
      throw new InputError(
        file,
        `${p.stimulus}/data`,
        `has ${stimulus.values.length} samples but the response ${p.response}/data has ${response.values.length}; expected equal lengths`,
      );
    if (Math.abs(stimulus.rate - response.rate) > 1e-6 * response.rate)
      throw new InputError(
        file,
        `${p.stimulus}/starting_time@rate`,
        `is ${stimulus.rate} Hz but the response's is ${response.rate} Hz; expected equal rates`,
      );
  }
  const description =
    response.description && response.description !== 'NA'
      ? response.description
      : (stimulus?.description ?? '');
  const num = attrValue(
    getNode(f, file, p.response) as Parameters<typeof attrValue>[0],
    file,
    'sweep_number',
  );
  return {
    file,
    sweepNumber:
      num !== undefined && Number.isFinite(Number(num)) ? Number(num) : (p.sweepNumber ?? 0),
    samplingRateHz: response.rate,
    t0: response.t0,
    voltageMv: response.values,
    stimulusPa: stimulus?.values ?? null,
    stimulusDescription: description,
    responsePath: p.response,
    stimulusPath: p.stimulus,
  };
}
