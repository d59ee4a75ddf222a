/**
 * Seeded synthetic Patch-seq electrophysiology in IPFX feature-vector form, standing in for
 * Allen mouse and human interneuron cohorts in demos and tests. Each cell draws intrinsic
 * parameters around its subclass's mean (Pvalb: narrow, fast, non-adapting spikes; Sst:
 * adapting, large sag; Vip: high input resistance, irregular; Lamp5: late-spiking), with
 * cell-to-cell spread so that classes overlap, then renders all 12 IPFX families from them.
 * The human cohort is shifted (wider spikes, lower rates and resistance, other class
 * proportions, fewer cells) and uses human subclass names.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { Rng } from '../core/random.js';
import { writeFeatureVectors, type FeatureVectors } from '../io/ephys/ipfx.js';

export type EphysSpecies = 'mouse' | 'human';

interface CellParams {
  rin: number; // MΩ
  tau: number; // ms
  sag: number; // fraction
  width: number; // ms
  rate: number; // Hz at the strongest step
  adaptation: number; // fraction lost over a sweep
  latency: number; // fraction of the sweep before the first spike
  irregularity: number;
  udr: number; // upstroke/downstroke ratio
  threshold: number; // mV
  trough: number; // mV below threshold
}

const CLASS_MEANS: Record<string, CellParams> = {
  Pvalb: {
    rin: 110,
    tau: 8,
    sag: 0.05,
    width: 0.35,
    rate: 90,
    adaptation: 0.05,
    latency: 0.05,
    irregularity: 0.05,
    udr: 1.5,
    threshold: -42,
    trough: 22,
  },
  Sst: {
    rin: 200,
    tau: 15,
    sag: 0.18,
    width: 0.6,
    rate: 35,
    adaptation: 0.45,
    latency: 0.06,
    irregularity: 0.1,
    udr: 2.4,
    threshold: -40,
    trough: 15,
  },
  Vip: {
    rin: 320,
    tau: 18,
    sag: 0.08,
    width: 0.65,
    rate: 28,
    adaptation: 0.3,
    latency: 0.08,
    irregularity: 0.35,
    udr: 2.8,
    threshold: -38,
    trough: 13,
  },
  Lamp5: {
    rin: 170,
    tau: 13,
    sag: 0.06,
    width: 0.55,
    rate: 40,
    adaptation: 0.15,
    latency: 0.35,
    irregularity: 0.1,
    udr: 2.1,
    threshold: -39,
    trough: 17,
  },
};

const SPECIES = {
  mouse: {
    names: { Pvalb: 'Pvalb', Sst: 'Sst', Vip: 'Vip', Lamp5: 'Lamp5' } as Record<string, string>,
    proportions: { Pvalb: 0.3, Sst: 0.3, Vip: 0.22, Lamp5: 0.18 } as Record<string, number>,
    scale: { width: 1, rate: 1, rin: 1 },
    offset: 0,
  },
  human: {
    names: { Pvalb: 'PVALB', Sst: 'SST', Vip: 'VIP', Lamp5: 'LAMP5/PAX6/Other' } as Record<
      string,
      string
    >,
    proportions: { Pvalb: 0.5, Sst: 0.22, Vip: 0.16, Lamp5: 0.12 } as Record<string, number>,
    scale: { width: 1.25, rate: 0.75, rin: 0.7 },
    offset: 3,
  },
};

export interface SimulatedEphys {
  species: EphysSpecies;
  vectors: Omit<FeatureVectors, 'path'>;
  /** Per cell, the species-specific subclass name (mouse `Pvalb`, human `PVALB`, …). */
  labels: string[];
}

const SWEEPS = 5;
const BINS = 10;

export function simulateEphysCohort(o: {
  species: EphysSpecies;
  cells: number;
  seed: number;
  spread?: number;
}): SimulatedEphys {
  const rng = new Rng(o.seed);
  const sp = SPECIES[o.species];
  const spread = o.spread ?? 0.35;
  const classes = Object.keys(CLASS_MEANS);
  const ids: string[] = [];
  const labels: string[] = [];
  const rows: Record<string, Float64Array[]> = {};
  const push = (name: string, v: number[]) => (rows[name] ??= []).push(Float64Array.from(v));
  for (let i = 0; i < o.cells; i++) {
    let u = rng.uniform();
    let cls = classes[classes.length - 1];
    for (const c of classes) {
      if (u < sp.proportions[c]) {
        cls = c;
        break;
      }
      u -= sp.proportions[c];
    }
    const m = CLASS_MEANS[cls];
    // Log-normal spread per parameter: classes overlap, as real subclasses do.
    const jitter = (x: number, s = spread) => x * Math.exp(s * rng.normal());
    const p: CellParams = {
      rin: jitter(m.rin * sp.scale.rin),
      tau: jitter(m.tau),
      sag: Math.min(0.6, jitter(m.sag)),
      width: jitter(m.width * sp.scale.width, spread * 0.6),
      rate: jitter(m.rate * sp.scale.rate),
      adaptation: Math.min(0.9, jitter(m.adaptation)),
      latency: Math.min(0.8, jitter(m.latency)),
      irregularity: jitter(m.irregularity),
      udr: jitter(m.udr, spread * 0.5),
      threshold: m.threshold + sp.offset + 3 * rng.normal(),
      trough: jitter(m.trough, spread * 0.5),
    };
    ids.push(`${o.species}-${String(i + 1).padStart(5, '0')}`);
    labels.push(sp.names[cls]);
    renderCell(p, rng, push);
  }
  return {
    species: o.species,
    labels,
    vectors: {
      ids,
      families: Object.entries(rows).map(([name, values]) => ({
        name,
        width: values[0].length,
        values,
      })),
    },
  };
}

/** The 12 IPFX families of one cell, with measurement noise. */
function renderCell(p: CellParams, rng: Rng, push: (name: string, v: number[]) => void): void {
  const noise = (x: number, s: number) => x + s * rng.normal();
  const steps = [-90, -70, -50, -30, -10]; // pA, hyperpolarising
  const t = Array.from({ length: 20 }, (_, k) => (k + 1) * 5); // ms
  const subthresh = steps.flatMap((I) =>
    t.map((ms) => {
      const v = (I * p.rin) / 1000; // mV
      const charge = 1 - Math.exp(-ms / p.tau);
      const sagRelief = p.sag * Math.max(0, 1 - Math.exp(-(ms - 20) / 30));
      return noise(-70 + v * charge * (1 - sagRelief), 0.3);
    }),
  );
  push('step_subthresh', subthresh);
  push(
    'subthresh_norm',
    subthresh.slice(0, 20).map((v) => (v + 70) / Math.min(-1e-3, subthresh[19] + 70)),
  );
  const trough = (ms: number) =>
    -p.trough * Math.exp(-ms / (2 + 6 * p.width)) * (1 - Math.exp(-ms / 0.8));
  push(
    'isi_shape',
    Array.from({ length: 30 }, (_, k) => noise(trough(k * 0.5), 0.3)),
  );
  const ap = Array.from({ length: 30 }, (_, k) => {
    const ms = (k - 8) * 0.1;
    const rise = Math.exp(-((ms / (0.35 * p.width)) ** 2));
    const fall = ms > 0 ? Math.exp(-((ms / (p.width * (p.udr / 2))) ** 2)) : rise;
    return noise(
      p.threshold + 80 * (ms <= 0 ? rise : fall) - (ms > 0 ? p.trough * (1 - fall) * 0.5 : 0),
      0.5,
    );
  });
  push('first_ap_v', ap);
  push(
    'first_ap_dv',
    ap.map((v, k) => noise((ap[Math.min(29, k + 1)] - v) / 0.1, 5)),
  );
  const stim = Array.from({ length: SWEEPS }, (_, s) => 0.6 + 0.1 * s);
  const rateAt = (s: number, b: number) => {
    const late = b / BINS < p.latency * (1 - 0.15 * s) ? 0.1 : 1;
    const adapt = 1 - p.adaptation * (b / (BINS - 1));
    return Math.max(0, p.rate * stim[s] * adapt * late * (1 + p.irregularity * rng.normal()));
  };
  const rates = stim.map((_, s) => Array.from({ length: BINS }, (_, b) => rateAt(s, b)));
  push(
    'psth',
    rates.flat().map((r) => noise(r, 1)),
  );
  push(
    'inst_freq',
    rates.flat().map((r) => noise(r * (1 + 0.1 * p.irregularity), 1.5)),
  );
  const perBin = (f: (s: number, b: number) => number) =>
    rates.flatMap((row, s) => row.map((_, b) => f(s, b)));
  const fatigue = (s: number, b: number) => (b / (BINS - 1)) * (0.5 + 0.1 * s);
  push(
    'spiking_threshold_v',
    perBin((s, b) => noise(p.threshold + 4 * fatigue(s, b) * p.adaptation, 0.5)),
  );
  push(
    'spiking_peak_v',
    perBin((s, b) => noise(p.threshold + 80 - 10 * fatigue(s, b) * p.adaptation, 1)),
  );
  push(
    'spiking_width',
    perBin((s, b) => noise(p.width * (1 + 0.4 * fatigue(s, b) * p.adaptation), 0.02)),
  );
  push(
    'spiking_fast_trough_v',
    perBin((s, b) => noise(p.threshold - p.trough + 2 * fatigue(s, b), 0.7)),
  );
  push(
    'spiking_upstroke_downstroke_ratio',
    perBin((s, b) => noise(p.udr * (1 + 0.2 * fatigue(s, b)), 0.08)),
  );
}

/** Writes `<dir>/<species>_fv.h5` (IPFX vectors) and `<dir>/<species>_metadata.csv`. */
export async function writeEphysCohort(
  dir: string,
  sim: SimulatedEphys,
): Promise<{ vectors: string; metadata: string }> {
  const vectors = join(dir, `${sim.species}_fv.h5`);
  const metadata = join(dir, `${sim.species}_metadata.csv`);
  await writeFeatureVectors(vectors, sim.vectors);
  const quote = (s: string) => (/[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  writeFileAtomic(
    metadata,
    [
      'specimen_id,subclass_label',
      ...sim.vectors.ids.map((id, i) => `${id},${quote(sim.labels[i])}`),
    ].join('\n') + '\n',
  );
  return { vectors, metadata };
}
