/**
 * A deterministic model neuron for testing the current-clamp extraction end to end: the
 * adaptive exponential integrate-and-fire neuron (AdEx, Brette & Gerstner 2005) driven by
 * IPFX-style protocols (a test pulse, then long squares, short squares or a ramp), recorded
 * at 50 kHz and written as NWB with the current icephys tables.
 *
 * Below threshold, with a = 0 and V far under V_T, the model is a plain RC membrane, so the
 * extraction can be checked against closed forms: τ = C/g_L, input resistance 1/g_L, no sag;
 * and a constant current fires only above I_rh = g_L (V_T − E_L − Δ_T), the maximum of the
 * steady-state current–voltage curve.
 */
import { randomUUID } from 'node:crypto';
import { withAtomicPath } from '../core/atomic.js';
import { createH5 } from '../io/h5.js';

export interface AdexParams {
  /** pF */
  c: number;
  /** nS */
  gL: number;
  /** mV */
  eL: number;
  vT: number;
  deltaT: number;
  vReset: number;
  vPeak: number;
  /** nS, subthreshold adaptation */
  a: number;
  /** pA, spike-triggered adaptation */
  b: number;
  /** ms */
  tauW: number;
}

/** R = 200 MΩ, τ = 20 ms, rheobase 90 pA. */
export const DEFAULT_ADEX: AdexParams = {
  c: 100,
  gL: 5,
  eL: -70,
  vT: -50,
  deltaT: 2,
  vReset: -58,
  vPeak: 20,
  a: 0,
  b: 40,
  tauW: 100,
};

/** I_rh = g_L (V_T − E_L − Δ_T) in pA (nS × mV), valid for a = 0. */
export function adexRheobase(p: AdexParams): number {
  return p.gL * (p.vT - p.eL - p.deltaT);
}

/**
 * Integrates the AdEx neuron (RK4, `substeps` per sample) under `currentPa`, sampled at
 * `rateHz`; returns the membrane potential in mV. A spike is drawn as one sample at V_peak
 * before the reset, so it has a peak and a fast fall like a recorded action potential.
 */
export function simulateAdex(
  p: AdexParams,
  currentPa: Float64Array,
  rateHz: number,
  substeps = 8,
): Float64Array {
  const dtMs = 1000 / rateHz / substeps;
  const v = new Float64Array(currentPa.length);
  let V = p.eL;
  let w = 0;
  const f = (x: number, ww: number, i: number) =>
    (-p.gL * (x - p.eL) +
      p.gL * p.deltaT * Math.exp(Math.min((x - p.vT) / p.deltaT, 50)) -
      ww +
      i) /
    p.c;
  const g = (x: number, ww: number) => (p.a * (x - p.eL) - ww) / p.tauW;
  for (let n = 0; n < currentPa.length; n++) {
    const i = currentPa[n];
    let spiked = false;
    for (let s = 0; s < substeps && !spiked; s++) {
      const k1v = f(V, w, i),
        k1w = g(V, w);
      const k2v = f(V + (dtMs / 2) * k1v, w + (dtMs / 2) * k1w, i),
        k2w = g(V + (dtMs / 2) * k1v, w + (dtMs / 2) * k1w);
      const k3v = f(V + (dtMs / 2) * k2v, w + (dtMs / 2) * k2w, i),
        k3w = g(V + (dtMs / 2) * k2v, w + (dtMs / 2) * k2w);
      const k4v = f(V + dtMs * k3v, w + dtMs * k3w, i),
        k4w = g(V + dtMs * k3v, w + dtMs * k3w);
      V += (dtMs / 6) * (k1v + 2 * k2v + 2 * k3v + k4v);
      w += (dtMs / 6) * (k1w + 2 * k2w + 2 * k3w + k4w);
      if (V >= p.vPeak || !Number.isFinite(V)) spiked = true;
    }
    if (spiked) {
      v[n] = p.vPeak;
      V = p.vReset;
      w += p.b;
    } else v[n] = V;
  }
  return v;
}

export type IcephysProtocol = 'long_square' | 'short_square' | 'ramp';

export interface ProtocolSweep {
  sweepNumber: number;
  description: string;
  currentPa: Float64Array;
  voltageMv: Float64Array;
}

const RATE = 50000;
/** IPFX-like timing: a 10 ms, −50 pA... test pulse at 0.1 s, the stimulus from 1.02 s. */
const TEST_PULSE = { start: 0.1, duration: 0.01, amplitude: -50 };
export const STIMULUS_START = 1.02;

function trace(seconds: number, fill: (t: number) => number): Float64Array {
  const n = Math.round(seconds * RATE);
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const t = k / RATE;
    const pulse =
      t >= TEST_PULSE.start && t < TEST_PULSE.start + TEST_PULSE.duration
        ? TEST_PULSE.amplitude
        : 0;
    out[k] = pulse + fill(t);
  }
  return out;
}

/**
 * The sweeps of one protocol: long squares of 1 s from −110 to +`maxPa` pA in `stepPa` steps,
 * short squares of 3 ms, or a 25 pA/s ramp; each starts at 1.02 s after a test pulse.
 */
export function protocolSweeps(
  protocol: IcephysProtocol,
  p: AdexParams = DEFAULT_ADEX,
  o: { stepPa?: number; maxPa?: number; firstSweep?: number } = {},
): ProtocolSweep[] {
  const step = o.stepPa ?? 20;
  const first = o.firstSweep ?? 0;
  let currents: { description: string; i: Float64Array }[];
  if (protocol === 'long_square') {
    const amps: number[] = [];
    for (let a = -110; a <= (o.maxPa ?? 250); a += step) amps.push(a);
    currents = amps.map((a) => ({
      description: 'C1LSCOARSE',
      i: trace(3.02, (t) => (t >= STIMULUS_START && t < STIMULUS_START + 1 ? a : 0)),
    }));
  } else if (protocol === 'short_square') {
    const amps = [1500, 1600, 1700, 1700];
    currents = amps.map((a) => ({
      description: 'C1SSFINEST',
      i: trace(1.52, (t) => (t >= STIMULUS_START && t < STIMULUS_START + 0.003 ? a : 0)),
    }));
  } else {
    currents = [
      {
        description: 'C1RP25PR1S',
        i: trace(STIMULUS_START + 10, (t) => (t >= STIMULUS_START ? 25 * (t - STIMULUS_START) : 0)),
      },
    ];
  }
  return currents.map((c, k) => ({
    sweepNumber: first + k,
    description: c.description,
    currentPa: c.i,
    voltageMv: simulateAdex(p, c.i, RATE),
  }));
}

/** Anything that takes attributes (file, group, dataset). */
interface HasAttributes {
  create_attribute(name: string, value: string): void;
}

function typed(o: HasAttributes, type: string, namespace = 'core'): void {
  o.create_attribute('namespace', namespace);
  o.create_attribute('neurodata_type', type);
  o.create_attribute('object_id', randomUUID());
}

/**
 * Writes sweeps as NWB 2.x with the icephys tables: `acquisition/sweep_N` (CurrentClampSeries,
 * volts) and `stimulus/presentation/stimulus_N` (CurrentClampStimulusSeries, amperes),
 * joined by `general/intracellular_ephys/intracellular_recordings`.
 */
export async function writeIcephysNwb(
  path: string,
  sweeps: ProtocolSweep[],
  rateHz = RATE,
): Promise<string> {
  await withAtomicPath(path, async (tmp) => {
    const f = await createH5(tmp);
    try {
      const now = new Date().toISOString();
      typed(f, 'NWBFile');
      f.create_attribute('nwb_version', '2.7.0');
      f.create_dataset({ name: 'identifier', data: 'neurobridge-simulated-icephys' });
      f.create_dataset({
        name: 'session_description',
        data: 'AdEx model neuron under IPFX-style protocols',
      });
      f.create_dataset({ name: 'session_start_time', data: now });
      f.create_dataset({ name: 'timestamps_reference_time', data: now });
      f.create_dataset({ name: 'file_create_date', data: [now] });
      for (const g of [
        'acquisition',
        'analysis',
        'processing',
        'stimulus',
        'general',
        'stimulus/presentation',
        'stimulus/templates',
        'general/devices',
        'general/intracellular_ephys',
      ])
        f.create_group(g);
      const device = f.create_group('general/devices/amplifier');
      typed(device, 'Device');
      const electrode = f.create_group('general/intracellular_ephys/electrode_0');
      typed(electrode, 'IntracellularElectrode');
      electrode.create_dataset({ name: 'description', data: 'simulated' });
      electrode.create_attribute('device', device.create_reference());
      const responses: unknown[] = [];
      const stimuli: unknown[] = [];
      const series = (
        group: string,
        name: string,
        type: string,
        values: Float64Array,
        unit: string,
        s: ProtocolSweep,
      ) => {
        const g = f.create_group(`${group}/${name}`);
        typed(g, type);
        g.create_attribute('sweep_number', new BigUint64Array([BigInt(s.sweepNumber)]), [], '<Q');
        g.create_attribute('stimulus_description', s.description);
        g.create_attribute('description', 'simulated');
        g.create_attribute('comments', 'no comments');
        const d = g.create_dataset({ name: 'data', data: values });
        d.create_attribute('unit', unit);
        d.create_attribute('conversion', 1.0);
        d.create_attribute('offset', 0.0);
        d.create_attribute('resolution', -1.0);
        const st = g.create_dataset({ name: 'starting_time', data: 0.0 });
        st.create_attribute('rate', rateHz);
        st.create_attribute('unit', 'seconds');
        g.create_attribute('electrode', electrode.create_reference());
        return g.create_reference();
      };
      for (const s of sweeps) {
        responses.push(
          series(
            'acquisition',
            `sweep_${s.sweepNumber}`,
            'CurrentClampSeries',
            s.voltageMv.map((x) => x * 1e-3),
            'volts',
            s,
          ),
        );
        stimuli.push(
          series(
            'stimulus/presentation',
            `stimulus_${s.sweepNumber}`,
            'CurrentClampStimulusSeries',
            s.currentPa.map((x) => x * 1e-12),
            'amperes',
            s,
          ),
        );
      }
      const table = f.create_group('general/intracellular_ephys/intracellular_recordings');
      typed(table, 'IntracellularRecordingsTable');
      table.create_attribute('categories', ['electrodes', 'stimuli', 'responses']);
      table.create_attribute('colnames', [] as string[]);
      table.create_attribute('description', 'one row per sweep');
      table.create_dataset({
        name: 'id',
        data: new BigInt64Array(sweeps.map((_, k) => BigInt(k))),
      });
      const n = sweeps.length;
      const refColumn = (category: string, column: string, refs: unknown[], tableType: string) => {
        const g = table.create_group(category);
        typed(g, tableType);
        g.create_attribute('colnames', [column]);
        g.create_attribute('description', category);
        g.create_dataset({ name: 'id', data: new BigInt64Array(sweeps.map((_, k) => BigInt(k))) });
        const d = g.create_dataset({
          name: column,
          data: new Map<string, unknown>([
            ['idx_start', new Int32Array(n)],
            ['count', Int32Array.from(sweeps, (s) => s.voltageMv.length)],
            ['timeseries', refs],
          ]) as never,
          shape: [n],
          dtype: [
            ['idx_start', '<i4'],
            ['count', '<i4'],
            ['timeseries', 'Reference'],
          ] as never,
        });
        typed(d, 'TimeSeriesReferenceVectorData');
        d.create_attribute('description', `${column} of each recording`);
      };
      refColumn('stimuli', 'stimulus', stimuli, 'IntracellularStimuliTable');
      refColumn('responses', 'response', responses, 'IntracellularResponsesTable');
      const el = table.create_group('electrodes');
      typed(el, 'IntracellularElectrodesTable');
      el.create_attribute('colnames', ['electrode']);
      el.create_dataset({ name: 'id', data: new BigInt64Array(sweeps.map((_, k) => BigInt(k))) });
      el.create_dataset({
        name: 'electrode',
        data: sweeps.map(() => electrode.create_reference()) as never,
      });
    } finally {
      f.close();
    }
  });
  return path;
}
