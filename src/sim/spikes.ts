/**
 * Seeded spike-train simulators standing in for real recordings in tests and demos.
 *
 * - `in_vitro`: cultured-network-like. Low background rates (0.1–2 Hz) plus synchronized
 *   network bursts every few seconds that recruit most units for ~100–300 ms.
 * - `in_vivo`: cortex-like. Asynchronous firing with log-normal rates (1–20 Hz), modulated
 *   by slow switches between a low and a high arousal state, with a refractory period.
 * Both enforce a 2 ms refractory period, so no unit fires twice within 2 ms.
 */
import { UsageError } from '../core/errors.js';
import { Rng } from '../core/random.js';
import { buildSpikeTrains, type SpikeTrains } from '../io/spikes/types.js';

export const SIM_KINDS = ['in_vitro', 'in_vivo'] as const;
export type SimKind = (typeof SIM_KINDS)[number];

export interface SimOptions {
  kind: SimKind;
  durationS: number;
  seed: number;
  /** Default 320: enough for the skip-100/take-128 unit rule. */
  units?: number;
}

const REFRACTORY_S = 0.002;

export function simulateSpikes(options: SimOptions): SpikeTrains {
  const { kind, durationS, seed } = options;
  const nUnits = options.units ?? 320;
  if (!(Number.isFinite(durationS) && durationS > 0))
    throw new UsageError(`simulateSpikes: durationS: expected seconds > 0, got ${durationS}`);
  if (!(Number.isInteger(nUnits) && nUnits >= 1))
    throw new UsageError(`simulateSpikes: units: expected a whole number ≥ 1, got ${nUnits}`);
  const rng = new Rng(seed);
  const perUnit =
    kind === 'in_vitro' ? inVitro(rng, nUnits, durationS) : inVivo(rng, nUnits, durationS);
  let n = 0;
  for (const ts of perUnit) n += ts.length;
  const times = new Float64Array(n);
  const clusters = new Int32Array(n);
  let o = 0;
  perUnit.forEach((ts, u) => {
    times.set(ts, o);
    clusters.fill(u, o, o + ts.length);
    o += ts.length;
  });
  return buildSpikeTrains('simulator', kind, times, clusters, 'per-unit', {
    durationS,
    knownUnitIds: Array.from({ length: nUnits }, (_, k) => k),
    provenance: {
      format: 'simulated',
      path: `sim:${kind}:seed=${seed}`,
      files: [],
      simulated: true,
    },
  });
}

function clip(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** Sorts one unit's times and drops spikes that fall within the refractory period. */
function refractory(ts: number[]): Float64Array {
  ts.sort((a, b) => a - b);
  const out: number[] = [];
  for (const t of ts) if (out.length === 0 || t - out[out.length - 1] >= REFRACTORY_S) out.push(t);
  return Float64Array.from(out);
}

function inVitro(rng: Rng, nUnits: number, durationS: number): Float64Array[] {
  const rates = Array.from({ length: nUnits }, () =>
    clip(Math.exp(rng.normal(Math.log(0.5), 0.7)), 0.1, 2),
  );
  const recruit = Array.from({ length: nUnits }, () => rng.uniform() * 0.7 + 0.2);
  const lag = Array.from({ length: nUnits }, () => rng.uniform() * 0.05);
  const lists: number[][] = rates.map((r) => {
    const ts: number[] = [];
    for (let t = rng.exponential(r); t < durationS; t += rng.exponential(r)) ts.push(t);
    return ts;
  });
  // Network bursts: inter-burst intervals of 2 s plus an exponential with mean 3 s.
  for (let b = 1 + rng.exponential(1 / 3); b < durationS; b += 2 + rng.exponential(1 / 3)) {
    const length = 0.1 + 0.2 * rng.uniform();
    for (let u = 0; u < nUnits; u++) {
      if (rng.uniform() >= recruit[u]) continue;
      const k = 1 + rng.poisson(2);
      for (let j = 0; j < k; j++) {
        const t = b + lag[u] + rng.uniform() * length;
        if (t < durationS) lists[u].push(t);
      }
    }
  }
  return lists.map(refractory);
}

function inVivo(rng: Rng, nUnits: number, durationS: number): Float64Array[] {
  const rates = Array.from({ length: nUnits }, () =>
    clip(Math.exp(rng.normal(Math.log(5), 0.8)), 1, 20),
  );
  const depth = Array.from({ length: nUnits }, () => rng.uniform() * 0.8);
  // Slow state changes: segments of mean 4 s alternating between low (−) and high (+) arousal.
  const segments: [number, number, number][] = [];
  let state = rng.uniform() < 0.5 ? -0.5 : 0.5;
  for (let t = 0; t < durationS;) {
    const end = Math.min(durationS, t + 0.5 + rng.exponential(1 / 3.5));
    segments.push([t, end, state]);
    state = -state;
    t = end;
  }
  return rates.map((r, u) => {
    const ts: number[] = [];
    let last = -Infinity;
    for (const [a, b, s] of segments) {
      const rate = r * (1 + 2 * depth[u] * s);
      // Poisson within the segment (memoryless, so restarting at `a` is exact), then
      // dead time: a spike within 2 ms of the previous one is dropped.
      for (let t = a + rng.exponential(rate); t < b; t += rng.exponential(rate)) {
        if (t - last >= REFRACTORY_S) {
          ts.push(t);
          last = t;
        }
      }
    }
    return Float64Array.from(ts);
  });
}
