/**
 * A mechanistic spiking-network simulator: a recurrent network of excitatory (E) and
 * inhibitory (I) leaky integrate-and-fire neurons, from which a random subset is "recorded"
 * as a spike-sorted session. Pure TypeScript, no dependencies.
 *
 * Model (all potentials in mV, times in ms inside the loop; currents are written as R·I, in mV):
 *   τ_m dV/dt = −(V − E_L) + I_E + I_I + μ_i + g_i·D(t) + ξ_i(t) − w
 *   τ_E dI_E/dt = −I_E,  τ_I dI_I/dt = −I_I      (exponential current-based synapses)
 *   τ_w dw/dt = −w,  w += b at each spike           (spike-frequency adaptation, E cells)
 *   V ≥ θ_i → spike, V ← V_reset, clamped for τ_ref.
 * - Connectivity: fixed in-degree, K_E = p·N_E excitatory and K_I = p·N_I inhibitory inputs
 *   per neuron (no self-connections, no multapses), log-normal weights. PSC amplitudes are
 *   scaled by K_ref/K (K_ref = the in-degree at 1,000 neurons) so smaller networks get the same
 *   mean input. Outgoing synapses are stored as CSR; each has a conduction delay drawn
 *   uniformly from [delayMinMs, delayMaxMs], and spikes are delivered event-driven into a
 *   ring buffer of incoming current (one slot per time step).
 * - External drive: a per-neuron mean μ_i (heterogeneous: normal with sd `driveSd`) plus an
 *   independent Ornstein–Uhlenbeck current ξ_i (sd `noiseSd`, time constant `noiseTauMs`),
 *   and a shared slow drive D(t) (gain g_i per neuron): a two-state Markov switch (low/high,
 *   dwell `stateDwellMinS` + exponential of mean `stateDwellMeanS`) plus a slow OU process.
 *   Thresholds θ_i are heterogeneous too (sd `thresholdSd`), so rates are log-normal-ish.
 * - Integration: exact exponential integration of the linear subthreshold dynamics per step
 *   (Rotter & Diesmann 1999): V, I_E, I_I and w are propagated exactly; μ, D and ξ are held
 *   constant within a step. dt = 0.25 ms by default: spikes fall on a 0.25 ms grid (the
 *   1 ms analysis bins hold exactly 4 steps) and 240 s × 1,000 neurons runs in seconds;
 *   0.1 ms changes the statistics little and costs 2.5× the time.
 *
 * Regimes (named parameter sets, `NETWORK_REGIMES`):
 * - `in_vitro`: strong, slow (τ_E 40 ms, NMDA-like) recurrent excitation, weak inhibition,
 *   weak noisy drive and strong, slow adaptation on E cells (τ_w 1.5 s): sparse background
 *   firing, and population bursts that recruit most E cells for ~0.2–0.4 s every ~2–3 s,
 *   igniting once adaptation has decayed and ending when it has built up again. Depressing
 *   excitatory synapses cap the in-burst rate (without them a burst runs at the refractory
 *   limit); a purely current-based network with fast synapses gave 30 ms all-or-none volleys.
 * - `in_vivo`: inhibition-dominated recurrent network driven by strong independent noisy
 *   input: asynchronous irregular firing (ISI CV ≈ 1, low pairwise correlations), a few Hz
 *   with a wide spread, with the drive switching between two states every tens of seconds
 *   and slowly modulated within them.
 */
import { UsageError } from '../core/errors.js';
import { Rng } from '../core/random.js';
import { buildSpikeTrains, type SpikeTrains } from '../io/spikes/types.js';

export type NetworkRegime = 'in_vitro' | 'in_vivo';

export interface NetworkParams {
  /** Integration step (ms). */
  dtMs: number;
  /** Fraction of excitatory neurons. */
  fracExc: number;
  /** Connection probability (fixed in-degree K = p·N per presynaptic population). */
  pConnect: number;
  /** Conduction delays, uniform per synapse (ms). */
  delayMinMs: number;
  delayMaxMs: number;
  /** Membrane time constants (ms). */
  tauMemE: number;
  tauMemI: number;
  /** Leak (resting) potential, reset and mean threshold (mV), threshold sd across neurons. */
  eLeak: number;
  vReset: number;
  vThreshold: number;
  thresholdSd: number;
  /** Absolute refractory period (ms). */
  refractoryMs: number;
  /** Synaptic current time constants (ms). */
  tauSynE: number;
  tauSynI: number;
  /** Peak EPSP (mV) of a mean-weight excitatory synapse at the reference in-degree. */
  epsp: number;
  /** Inhibitory / excitatory synaptic charge ratio (relative inhibitory strength). */
  g: number;
  /** Coefficient of variation of the log-normal synaptic weights. */
  weightCv: number;
  /**
   * Short-term depression of excitatory synapses (Tsodyks–Markram, per presynaptic neuron):
   * each spike releases the fraction x of the resources (x = 1 at rest, full efficacy), then
   * x ← x·(1 − stdU), recovering to 1 with `stdTauMs`. stdU = 0 turns it off.
   */
  stdU: number;
  stdTauMs: number;
  /** Adaptation increment per spike (mV, as R·I) and decay (ms); E cells only. */
  adaptB: number;
  tauAdaptMs: number;
  /** Mean external drive (mV above rest, R·I) of E and I cells, and its sd across neurons. */
  driveE: number;
  driveI: number;
  driveSd: number;
  /** Independent OU input current: stationary sd (mV, R·I) and time constant (ms). */
  noiseSd: number;
  noiseTauMs: number;
  /** Two-state drive switch: high − low drive difference (mV) and dwell times (s). */
  stateDelta: number;
  stateDwellMinS: number;
  stateDwellMeanS: number;
  /** Shared slow OU modulation of the drive: sd (mV) and time constant (s). */
  slowSd: number;
  slowTauS: number;
  /** Per-neuron gain of the shared drive: uniform in [1 − gainSpread, 1 + gainSpread]. */
  gainSpread: number;
}

const COMMON: NetworkParams = {
  dtMs: 0.25,
  fracExc: 0.8,
  pConnect: 0.2,
  delayMinMs: 1,
  delayMaxMs: 5,
  tauMemE: 20,
  tauMemI: 10,
  eLeak: -70,
  vReset: -60,
  vThreshold: -50,
  thresholdSd: 1.5,
  refractoryMs: 2,
  tauSynE: 5,
  tauSynI: 8,
  epsp: 0.2,
  g: 5,
  weightCv: 0.5,
  stdU: 0,
  stdTauMs: 100,
  adaptB: 0,
  tauAdaptMs: 500,
  driveE: 15,
  driveI: 15,
  driveSd: 1.5,
  noiseSd: 8,
  noiseTauMs: 5,
  stateDelta: 0,
  stateDwellMinS: 8,
  stateDwellMeanS: 12,
  slowSd: 0,
  slowTauS: 3,
  gainSpread: 0.5,
};

export const NETWORK_REGIMES: Record<NetworkRegime, NetworkParams> = {
  in_vitro: {
    ...COMMON,
    // Slow (NMDA-like) recurrent excitation spreads a burst over ~100–300 ms; depression
    // caps the in-burst rate; adaptation (τ_w 1.5 s) ends bursts and spaces them.
    tauSynE: 40,
    epsp: 1.0,
    g: 1,
    stdU: 0.3,
    stdTauMs: 300,
    adaptB: 3,
    tauAdaptMs: 1500,
    driveE: 12,
    driveI: 10,
    noiseSd: 7,
  },
  in_vivo: {
    ...COMMON,
    epsp: 0.2,
    g: 5,
    adaptB: 0.3,
    tauAdaptMs: 300,
    driveE: 22,
    driveI: 22,
    noiseSd: 10,
    stateDelta: 3,
    slowSd: 1,
  },
};

export interface NetworkOptions {
  regime: NetworkRegime;
  durationS: number;
  seed: number;
  /** Network size (default 1000). */
  neurons?: number;
  /** Neurons recorded as units (default 320, so the skip-100/take-128 rule works). */
  recorded?: number;
  params?: Partial<NetworkParams>;
}

/** Drive-state segment (in vivo): `high` is the high-drive state. */
export interface DriveSegment {
  startS: number;
  endS: number;
  high: boolean;
}

export interface NetworkRun {
  trains: SpikeTrains;
  /** Cell type of each unit (by position in `trains.unitIds`). */
  unitTypes: ('E' | 'I')[];
  /** Network neuron behind each unit. */
  unitNeurons: Int32Array;
  /** Drive-state segments covering [0, durationS] (one segment when stateDelta = 0). */
  states: DriveSegment[];
  params: NetworkParams;
  /** Spikes of the whole network (recorded or not). */
  totalSpikes: number;
}

/** Seeded recurrent E/I LIF network; returns the recorded units as a sorted session. */
export function simulateNetwork(options: NetworkOptions): SpikeTrains {
  return runNetwork(options).trains;
}

/** Propagator of a current decaying with τ_s into a membrane with τ_m over one step h. */
function propagator(h: number, tauS: number, tauM: number): number {
  const pm = Math.exp(-h / tauM);
  if (Math.abs(tauS - tauM) < 1e-9 * tauM) return (h / tauM) * pm;
  return (tauS / (tauS - tauM)) * (Math.exp(-h / tauS) - pm);
}

/** Peak of the PSP (mV) produced by a unit-amplitude exponential PSC. */
function pspPeak(tauS: number, tauM: number): number {
  if (Math.abs(tauS - tauM) < 1e-9 * tauM) return Math.exp(-1);
  const tPeak = (Math.log(tauM / tauS) * tauS * tauM) / (tauM - tauS);
  return (tauS / (tauM - tauS)) * (Math.exp(-tPeak / tauM) - Math.exp(-tPeak / tauS));
}

/** Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/**
 * 4,096 equiprobable normal quantiles, rescaled to unit variance: the hot loop draws one
 * table entry per neuron and step from a 32-bit xorshift stream, far cheaper than
 * Box–Muller. The quantisation is invisible after the OU filter.
 */
const GAUSS_BITS = 12;
const GAUSS = (() => {
  const n = 1 << GAUSS_BITS;
  const t = new Float64Array(n);
  let ss = 0;
  for (let k = 0; k < n; k++) {
    t[k] = normalQuantile((k + 0.5) / n);
    ss += t[k] * t[k];
  }
  const s = Math.sqrt(n / ss);
  for (let k = 0; k < n; k++) t[k] *= s;
  return t;
})();

export function runNetwork(options: NetworkOptions): NetworkRun {
  const { regime, durationS, seed } = options;
  const { P, N, nRec } = checkedOptions(options);
  const rng = new Rng(seed);
  const NE = Math.round(P.fracExc * N);
  // The draws come in this order: connectivity, neurons, recorded subset, drive states.
  const net = connect(P, N, NE, rng);
  const cells = initialNeurons(P, N, NE, rng);

  // --- Recording: a shuffled random subset, E and I mixed. -------------------------------
  const perm = rng.permutation(N);
  const unitNeurons = Int32Array.from(perm.slice(0, nRec));
  const unitOf = new Int32Array(N).fill(-1);
  unitNeurons.forEach((n, u) => (unitOf[n] = u));

  const states = driveStates(P, durationS, rng);
  const slowRng = rng.fork();
  const noiseSeed = rng.nextUint32() | 1;
  const nSteps = Math.round((durationS * 1000) / P.dtMs);
  const { spikes, total } = integrate(P, net, cells, {
    NE,
    nSteps,
    unitOf,
    states,
    slowRng,
    noiseSeed,
  });

  const trains = buildSpikeTrains(
    'simulator',
    `network-${regime}`,
    spikes.times.slice(0, spikes.n),
    spikes.units.subarray(0, spikes.n),
    'global',
    {
      durationS,
      knownUnitIds: Array.from({ length: nRec }, (_, k) => k),
      provenance: {
        format: 'simulated',
        path: `sim:network-${regime}:seed=${seed}`,
        files: [],
        simulated: true,
        neurons: N,
      },
    },
  );
  return {
    trains,
    unitTypes: Array.from(unitNeurons, (n) => (n < NE ? 'E' : 'I')),
    unitNeurons,
    states,
    params: P,
    totalSpikes: total,
  };
}

function checkedOptions(options: NetworkOptions): { P: NetworkParams; N: number; nRec: number } {
  const { regime, durationS } = options;
  const base = NETWORK_REGIMES[regime];
  if (!base)
    throw new UsageError(
      `simulateNetwork: regime: unknown '${String(regime)}'; expected one of ${Object.keys(NETWORK_REGIMES).join(', ')}`,
    );
  if (!(Number.isFinite(durationS) && durationS > 0))
    throw new UsageError(`simulateNetwork: durationS: expected seconds > 0, got ${durationS}`);
  const P: NetworkParams = { ...base, ...options.params };
  const N = options.neurons ?? 1000;
  const nRec = Math.min(N, options.recorded ?? 320);
  if (!Number.isInteger(N) || N < 1)
    throw new UsageError(`simulateNetwork: neurons: expected a whole number ≥ 1, got ${N}`);
  if (!(Number.isInteger(nRec) && nRec >= 1))
    throw new UsageError(
      `simulateNetwork: recorded: expected a whole number ≥ 1, got ${options.recorded}`,
    );
  return { P, N, nRec };
}

/** Outgoing synapses in CSR form: neuron i's are [outStart[i], outStart[i + 1]). */
interface Synapses {
  N: number;
  outStart: Int32Array;
  outTarget: Int32Array;
  /** In steps. */
  outDelay: Int32Array;
  outWeight: Float64Array;
  maxDelay: number;
}

/** Connectivity: fixed in-degree, then transposed to outgoing CSR. */
function connect(P: NetworkParams, N: number, NE: number, rng: Rng): Synapses {
  const h = P.dtMs;
  const NI = N - NE;
  const KE = Math.min(NE - 1, Math.round(P.pConnect * NE));
  const KI = Math.min(NI - (NE === N ? 0 : 1), Math.round(P.pConnect * NI));
  const KEref = P.pConnect * P.fracExc * 1000;
  const KIref = P.pConnect * (1 - P.fracExc) * 1000;
  // PSC amplitudes (mV, R·I) giving the requested EPSP peak onto an E cell; inhibitory
  // charge is g × excitatory charge.
  const w0 = P.epsp / pspPeak(P.tauSynE, P.tauMemE);
  const wE = w0 * (KE > 0 ? KEref / KE : 1);
  const wI = -((P.g * w0 * P.tauSynE) / P.tauSynI) * (KI > 0 ? KIref / KI : 1);
  const sigmaLn = Math.sqrt(Math.log(1 + P.weightCv * P.weightCv));
  const delaySteps = (ms: number) => Math.max(1, Math.round(ms / h));
  const dMin = delaySteps(P.delayMinMs);
  const dMax = Math.max(dMin, delaySteps(P.delayMaxMs));
  const nSyn = N * (KE + KI);
  const preOf = new Int32Array(nSyn);
  const stamp = new Int32Array(N).fill(-1);
  for (let j = 0, s = 0; j < N; j++) {
    stamp[j] = j; // no autapses
    for (let k = 0; k < KE; k++) {
      let i: number;
      do i = rng.int(NE);
      while (stamp[i] === j);
      stamp[i] = j;
      preOf[s++] = i;
    }
    for (let k = 0; k < KI; k++) {
      let i: number;
      do i = NE + rng.int(NI);
      while (stamp[i] === j);
      stamp[i] = j;
      preOf[s++] = i;
    }
  }
  const outStart = new Int32Array(N + 1);
  for (let s = 0; s < nSyn; s++) outStart[preOf[s] + 1]++;
  for (let i = 0; i < N; i++) outStart[i + 1] += outStart[i];
  const fill = outStart.slice(0, N);
  const outTarget = new Int32Array(nSyn);
  const outDelay = new Int32Array(nSyn);
  const outWeight = new Float64Array(nSyn);
  for (let s = 0; s < nSyn; s++) {
    const j = Math.floor(s / (KE + KI));
    const i = preOf[s];
    const o = fill[i]++;
    outTarget[o] = j;
    outDelay[o] = dMin + rng.int(dMax - dMin + 1);
    const lw = Math.exp(rng.normal(-0.5 * sigmaLn * sigmaLn, sigmaLn));
    outWeight[o] = (i < NE ? wE : wI) * lw;
  }
  return { N, outStart, outTarget, outDelay, outWeight, maxDelay: dMax };
}

/** Each neuron's fixed traits and its state at the start. */
interface Neurons {
  vth: Float64Array;
  mu: Float64Array;
  gain: Float64Array;
  v: Float64Array;
  x: Float64Array;
}

/** Neurons: heterogeneous thresholds, drives and shared-drive gains; random start states. */
function initialNeurons(P: NetworkParams, N: number, NE: number, rng: Rng): Neurons {
  const vth = new Float64Array(N);
  const mu = new Float64Array(N);
  const gain = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    vth[i] = P.vThreshold + P.thresholdSd * rng.normal();
    mu[i] = (i < NE ? P.driveE : P.driveI) + P.driveSd * rng.normal();
    gain[i] = 1 + P.gainSpread * (2 * rng.uniform() - 1);
  }
  const v = new Float64Array(N);
  const x = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    v[i] = P.vReset + (vth[i] - P.vReset) * rng.uniform();
    x[i] = P.noiseSd * rng.normal();
  }
  return { vth, mu, gain, v, x };
}

/** Shared drive: Markov switches between a high and a low state. */
function driveStates(P: NetworkParams, durationS: number, rng: Rng): DriveSegment[] {
  const states: DriveSegment[] = [];
  let high = rng.uniform() < 0.5;
  for (let t = 0; t < durationS;) {
    const end =
      P.stateDelta === 0
        ? durationS
        : Math.min(durationS, t + P.stateDwellMinS + rng.exponential(1 / P.stateDwellMeanS));
    states.push({ startS: t, endS: end, high });
    high = !high;
    t = end;
  }
  return states;
}

/** Exact-integration propagators of one step for a membrane time constant. */
function membraneConstants(P: NetworkParams, tauM: number) {
  const h = P.dtMs;
  return {
    pmm: Math.exp(-h / tauM),
    pme: propagator(h, P.tauSynE, tauM),
    pmi: propagator(h, P.tauSynI, tauM),
    pmw: propagator(h, P.tauAdaptMs, tauM),
  };
}

/** Recorded spikes (time, unit), growing by doubling. */
class SpikeBuffer {
  times = new Float64Array(1 << 16);
  units = new Int32Array(1 << 16);
  n = 0;
  push(t: number, u: number): void {
    if (this.n === this.times.length) {
      const t2 = new Float64Array(this.n * 2);
      t2.set(this.times);
      this.times = t2;
      const u2 = new Int32Array(this.n * 2);
      u2.set(this.units);
      this.units = u2;
    }
    this.times[this.n] = t;
    this.units[this.n++] = u;
  }
}

interface Integration {
  NE: number;
  nSteps: number;
  /** Recorded unit of each neuron (−1: not recorded). */
  unitOf: Int32Array;
  states: DriveSegment[];
  /** Draws the slow OU drive. */
  slowRng: Rng;
  /** Seeds the per-neuron noise (xorshift). */
  noiseSeed: number;
}

/** Steps the network, updating `cells` in place; returns the recorded spikes. */
function integrate(
  P: NetworkParams,
  net: Synapses,
  cells: Neurons,
  o: Integration,
): { spikes: SpikeBuffer; total: number } {
  const { N, outStart, outTarget, outDelay, outWeight } = net;
  const { NE, nSteps, unitOf, states, slowRng } = o;
  const { vth, mu, gain, v, x } = cells;
  const h = P.dtMs;
  const cE = membraneConstants(P, P.tauMemE);
  const cI = membraneConstants(P, P.tauMemI);
  const pee = Math.exp(-h / P.tauSynE);
  const pii = Math.exp(-h / P.tauSynI);
  const pww = Math.exp(-h / P.tauAdaptMs);
  const px = Math.exp(-h / P.noiseTauMs);
  const qx = P.noiseSd * Math.sqrt(1 - px * px);
  const pSlow = Math.exp(-h / (P.slowTauS * 1000));
  const qSlow = P.slowSd * Math.sqrt(1 - pSlow * pSlow);
  const refSteps = Math.round(P.refractoryMs / h);
  const D = net.maxDelay + 2;
  const ringE = new Float64Array(D * N);
  const ringI = new Float64Array(D * N);
  const eL = P.eLeak;
  const vReset = P.vReset;
  const bAdapt = P.adaptB;
  const ie = new Float64Array(N);
  const ii = new Float64Array(N);
  const w = new Float64Array(N);
  const refr = new Int32Array(N);

  const spikes = new SpikeBuffer();
  let total = 0;
  let rs = o.noiseSeed;
  let slow = P.slowSd * slowRng.normal();
  let seg = 0;
  const spiked = new Int32Array(N);
  const stdU = P.stdU;
  const stdX = new Float64Array(N).fill(1);
  const lastSpike = new Float64Array(N).fill(-Infinity);

  for (let step = 0; step < nSteps; step++) {
    const tS = (step * h) / 1000;
    while (seg < states.length - 1 && tS >= states[seg].endS) seg++;
    const shared = (states[seg].high ? 0.5 : -0.5) * P.stateDelta + slow;
    if (qSlow > 0) slow = slow * pSlow + qSlow * slowRng.normal();
    const slot = (step % D) * N;
    let nSpiked = 0;
    for (let pop = 0; pop < 2; pop++) {
      const c = pop === 0 ? cE : cI;
      const pmm = c.pmm;
      const pme = c.pme;
      const pmi = c.pmi;
      const pmw = c.pmw;
      const qmm = 1 - pmm;
      const lo = pop === 0 ? 0 : NE;
      const hi = pop === 0 ? NE : N;
      const b = pop === 0 ? bAdapt : 0;
      for (let i = lo; i < hi; i++) {
        const k = slot + i;
        let e = ie[i] + ringE[k];
        let inh = ii[i] + ringI[k];
        ringE[k] = 0;
        ringI[k] = 0;
        const wi = w[i];
        const xi = x[i];
        if (refr[i] > 0) {
          refr[i]--;
        } else {
          const vi =
            eL +
            (v[i] - eL) * pmm +
            e * pme +
            inh * pmi -
            wi * pmw +
            (mu[i] + gain[i] * shared + xi) * qmm;
          if (vi >= vth[i]) {
            v[i] = vReset;
            refr[i] = refSteps;
            w[i] = wi * pww + b;
            spiked[nSpiked++] = i;
          } else {
            v[i] = vi;
            w[i] = wi * pww;
          }
          e *= pee;
          inh *= pii;
          ie[i] = e;
          ii[i] = inh;
          rs ^= rs << 13;
          rs ^= rs >>> 17;
          rs ^= rs << 5;
          x[i] = xi * px + qx * GAUSS[rs >>> (32 - GAUSS_BITS)];
          continue;
        }
        w[i] = wi * pww;
        ie[i] = e * pee;
        ii[i] = inh * pii;
        rs ^= rs << 13;
        rs ^= rs >>> 17;
        rs ^= rs << 5;
        x[i] = xi * px + qx * GAUSS[rs >>> (32 - GAUSS_BITS)];
      }
    }
    if (nSpiked === 0) continue;
    const tSpike = ((step + 1) * h) / 1000;
    total += nSpiked;
    for (let q = 0; q < nSpiked; q++) {
      const i = spiked[q];
      const u = unitOf[i];
      if (u >= 0) spikes.push(tSpike, u);
      // Event-driven delivery: arrives at the start of step + 1 + delay.
      let eff = 1;
      if (stdU > 0 && i < NE) {
        eff = 1 - (1 - stdX[i]) * Math.exp((lastSpike[i] - step) * (h / P.stdTauMs));
        stdX[i] = eff * (1 - stdU);
        lastSpike[i] = step;
      }
      const ring = i < NE ? ringE : ringI;
      for (let s = outStart[i], end = outStart[i + 1]; s < end; s++) {
        const at = (step + 1 + outDelay[s]) % D;
        ring[at * N + outTarget[s]] += eff * outWeight[s];
      }
    }
  }
  return { spikes, total };
}
