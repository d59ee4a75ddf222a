import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import { registerSimulateSpikes } from '../../src/cli/spikes-data.js';
import { UsageError } from '../../src/core/errors.js';
import { readSpikes } from '../../src/io/spikes/index.js';
import { unitTimes, type SpikeTrains } from '../../src/io/spikes/types.js';
import { runNetwork, simulateNetwork, type NetworkRun } from '../../src/sim/network.js';
import { simulateSpikes } from '../../src/sim/spikes.js';

// Statistics computed here from the spike trains alone, independently of the simulator.

function perUnit(st: SpikeTrains): Float64Array[] {
  return Array.from(st.unitIds, (_, k) => unitTimes(st, k));
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function isiCv(ts: Float64Array): number {
  const d = Array.from(ts.subarray(1), (t, i) => t - ts[i]);
  const m = d.reduce((a, b) => a + b, 0) / d.length;
  const v = d.reduce((a, b) => a + (b - m) ** 2, 0) / d.length;
  return Math.sqrt(v) / m;
}

/** Population spike count in bins of `binS`. */
function popCounts(st: SpikeTrains, binS: number): Float64Array {
  const c = new Float64Array(Math.floor(st.durationS / binS));
  for (const t of st.times) {
    const b = Math.floor(t / binS);
    if (b < c.length) c[b]++;
  }
  return c;
}

function fano(c: Float64Array): number {
  const m = c.reduce((a, b) => a + b, 0) / c.length;
  return c.reduce((a, b) => a + (b - m) ** 2, 0) / c.length / m;
}

/** Mean Pearson correlation of spike counts (50 ms bins) over pairs of units above 1 Hz. */
function meanPairCorrelation(trains: Float64Array[], durationS: number, maxUnits = 60): number {
  const nb = Math.floor(durationS / 0.05);
  const counts = trains
    .filter((ts) => ts.length / durationS > 1)
    .slice(0, maxUnits)
    .map((ts) => {
      const c = new Float64Array(nb);
      for (const t of ts) if (t / 0.05 < nb) c[Math.floor(t / 0.05)]++;
      const m = c.reduce((a, b) => a + b, 0) / nb;
      const sd = Math.sqrt(c.reduce((a, b) => a + (b - m) ** 2, 0) / nb);
      return c.map((x) => (x - m) / sd);
    });
  let sum = 0;
  let n = 0;
  for (let a = 0; a < counts.length; a++) {
    for (let b = a + 1; b < counts.length; b++) {
      let s = 0;
      for (let i = 0; i < nb; i++) s += counts[a][i] * counts[b][i];
      sum += s / nb;
      n++;
    }
  }
  return sum / n;
}

/**
 * Population bursts: population count in 10 ms bins, smoothed over 50 ms, above 5× its
 * median (and at least 2 % of the units per bin); epochs closer than 200 ms merge, and
 * epochs shorter than 30 ms are dropped. Returns [start, end] in seconds.
 */
function detectBursts(st: SpikeTrains): [number, number][] {
  const c = popCounts(st, 0.01);
  const s = c.map((_, i) => {
    let a = 0;
    let n = 0;
    for (let j = Math.max(0, i - 2); j <= Math.min(c.length - 1, i + 2); j++, n++) a += c[j];
    return a / n;
  });
  const thr = Math.max(5 * quantile(Array.from(s), 0.5), 0.02 * st.unitIds.length);
  const epochs: [number, number][] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] <= thr) continue;
    const last = epochs.at(-1);
    if (last && i - last[1] <= 20) last[1] = i;
    else epochs.push([i, i]);
  }
  return epochs.filter(([a, b]) => b - a >= 3).map(([a, b]) => [a / 100, (b + 1) / 100]);
}

function stateRates(run: NetworkRun, high: boolean): number {
  let n = 0;
  let T = 0;
  for (const s of run.states) {
    if (s.high !== high) continue;
    T += s.endS - s.startS;
    for (const t of run.trains.times) if (t >= s.startS && t < s.endS) n++;
  }
  return n / run.trains.unitIds.length / T;
}

describe('network simulator: LIF integration', () => {
  for (const dtMs of [0.01, 0.25]) {
    test(`constant suprathreshold drive: ISI matches the closed form (dt ${dtMs} ms)`, () => {
      // One E neuron, no noise, no adaptation, no heterogeneity: V∞ = E_L + R·I.
      const P = {
        dtMs,
        driveE: 30,
        driveSd: 0,
        thresholdSd: 0,
        noiseSd: 0,
        adaptB: 0,
        stateDelta: 0,
        slowSd: 0,
        gainSpread: 0,
      };
      const run = runNetwork({
        regime: 'in_vivo',
        durationS: 1,
        seed: 1,
        neurons: 1,
        recorded: 1,
        params: P,
      });
      const { eLeak, vReset, vThreshold, tauMemE, refractoryMs } = run.params;
      const vInf = eLeak + P.driveE;
      const isi = refractoryMs + tauMemE * Math.log((vInf - vReset) / (vInf - vThreshold));
      const ts = run.trains.times;
      assert.ok(ts.length > 50, `${ts.length} spikes`);
      // Spikes fall on the step grid: each ISI is the closed form rounded up to a step.
      for (let i = 1; i < ts.length; i++) {
        const d = (ts[i] - ts[i - 1]) * 1000;
        assert.ok(d >= isi - 1e-6 && d <= isi + dtMs + 1e-6, `ISI ${d} ms vs ${isi} ms`);
      }
    });
  }

  test('subthreshold constant drive never fires', () => {
    const st = simulateNetwork({
      regime: 'in_vivo',
      durationS: 2,
      seed: 1,
      neurons: 1,
      recorded: 1,
      params: { driveE: 19, driveSd: 0, thresholdSd: 0, noiseSd: 0, stateDelta: 0, slowSd: 0 },
    });
    // The random initial potential relaxes towards E_L + 19 mV < threshold: at most one spike.
    assert.ok(st.times.length <= 1);
  });
});

describe('network simulator: determinism, units, E/I, refractoriness', () => {
  test('same seed → identical spikes; different seed → different', () => {
    const o = { regime: 'in_vivo' as const, durationS: 5, neurons: 300, recorded: 200 };
    const a = simulateNetwork({ ...o, seed: 3 });
    const b = simulateNetwork({ ...o, seed: 3 });
    const c = simulateNetwork({ ...o, seed: 4 });
    assert.equal(a.unitIds.length, 200);
    assert.ok(a.times.length > 100);
    assert.deepEqual(a.times, b.times);
    assert.deepEqual(a.unitIndex, b.unitIndex);
    assert.notDeepEqual(a.times, c.times);
  });

  test('default: 320 recorded units, E and I mixed and shuffled', () => {
    const run = runNetwork({ regime: 'in_vitro', durationS: 1, seed: 5 });
    assert.equal(run.trains.unitIds.length, 320);
    assert.equal(run.trains.provenance.neurons, 1000);
    const nI = run.unitTypes.filter((t) => t === 'I').length;
    assert.ok(nI > 40 && nI < 90, `${nI} I units of 320`);
    // No E/I structure in unit order: I units in both halves, neurons not ascending.
    const firstHalfI = run.unitTypes.slice(0, 160).filter((t) => t === 'I').length;
    assert.ok(firstHalfI > 10 && nI - firstHalfI > 10);
    assert.ok(run.unitNeurons.some((n, k) => k > 0 && n < run.unitNeurons[k - 1]));
    assert.equal(new Set(run.unitNeurons).size, 320);
  });

  for (const regime of ['in_vitro', 'in_vivo'] as const) {
    test(`${regime}: no unit fires twice within the refractory period`, () => {
      const run = runNetwork({ regime, durationS: 20, seed: 7, neurons: 400 });
      const ref = run.params.refractoryMs / 1000;
      let n = 0;
      for (const ts of perUnit(run.trains)) {
        for (let i = 1; i < ts.length; i++, n++) assert.ok(ts[i] - ts[i - 1] > ref);
      }
      assert.ok(n > 1000);
    });
  }
});

describe('network simulator: in_vivo regime (asynchronous irregular, drive states)', () => {
  const dur = 60;
  const run = runNetwork({ regime: 'in_vivo', durationS: dur, seed: 2, neurons: 400 });
  const st = run.trains;
  const trains = perUnit(st);
  const rates = trains.map((ts) => ts.length / dur);

  test('mean rate a few Hz, wide (log-normal-ish) spread, I faster than E', (t) => {
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
    assert.ok(mean > 2 && mean < 10, `mean rate ${mean}`);
    const q10 = quantile(rates, 0.1);
    const q90 = quantile(rates, 0.9);
    t.diagnostic(`mean ${mean.toFixed(2)} Hz, q10 ${q10.toFixed(2)}, q90 ${q90.toFixed(2)}`);
    assert.ok(q90 / q10 > 3, `q10 ${q10} q90 ${q90}`);
    const byType = (t: 'E' | 'I') => {
      const r = rates.filter((_, k) => run.unitTypes[k] === t);
      return r.reduce((a, b) => a + b, 0) / r.length;
    };
    assert.ok(byType('I') > byType('E'), `E ${byType('E')} I ${byType('I')}`);
  });

  test('irregular: median ISI CV in [0.7, 1.5]', (t) => {
    const cvs = trains.filter((ts) => ts.length > 20).map(isiCv);
    const med = quantile(cvs, 0.5);
    t.diagnostic(`median ISI CV ${med.toFixed(2)}`);
    assert.ok(med > 0.7 && med < 1.5, `median CV ${med}`);
  });

  test('asynchronous: low pairwise correlation and population Fano factor', (t) => {
    const r = meanPairCorrelation(trains, dur);
    assert.ok(Math.abs(r) < 0.05, `mean pairwise correlation ${r}`);
    const f = fano(popCounts(st, 0.01));
    t.diagnostic(`pairwise correlation ${r.toFixed(3)}, population Fano ${f.toFixed(1)}`);
    assert.ok(f < 5, `population Fano factor (10 ms) ${f}`);
  });

  test('the two drive states differ in rate', (t) => {
    assert.ok(run.states.length >= 2, `${run.states.length} state segments`);
    const hi = stateRates(run, true);
    const lo = stateRates(run, false);
    t.diagnostic(`high state ${hi.toFixed(2)} Hz, low state ${lo.toFixed(2)} Hz`);
    assert.ok(hi > 1.15 * lo, `high ${hi} Hz, low ${lo} Hz`);
  });
});

describe('network simulator: in_vitro regime (population bursts)', () => {
  const dur = 60;
  const run = runNetwork({ regime: 'in_vitro', durationS: dur, seed: 2, neurons: 400 });
  const st = run.trains;
  const bursts = detectBursts(st);

  test('low mean rate', (t) => {
    const mean = st.times.length / st.unitIds.length / dur;
    t.diagnostic(`mean rate ${mean.toFixed(2)} Hz`);
    assert.ok(mean > 0.2 && mean < 5, `mean rate ${mean}`);
  });

  test('population bursts every few seconds, lasting ~50–500 ms', (t) => {
    assert.ok(bursts.length >= 8, `${bursts.length} bursts`);
    const ibi = bursts.slice(1).map(([a], i) => a - bursts[i][0]);
    const medIbi = quantile(ibi, 0.5);
    assert.ok(medIbi > 1.5 && medIbi < 8, `median inter-burst interval ${medIbi} s`);
    const medLen = quantile(
      bursts.map(([a, b]) => b - a),
      0.5,
    );
    t.diagnostic(
      `${bursts.length} bursts, median IBI ${medIbi.toFixed(2)} s, length ${medLen.toFixed(2)} s`,
    );
    assert.ok(medLen > 0.05 && medLen < 0.5, `median burst length ${medLen} s`);
  });

  test('most spikes inside bursts, bursts recruit most E units, high population Fano factor', (t) => {
    let inside = 0;
    let k = 0;
    for (const t of st.times) {
      while (k < bursts.length && bursts[k][1] < t) k++;
      if (k < bursts.length && t >= bursts[k][0]) inside++;
    }
    const frac = inside / st.times.length;
    assert.ok(frac > 0.5, `fraction of spikes in bursts ${frac}`);
    const eUnits = run.unitTypes.flatMap((t, u) => (t === 'E' ? [u] : []));
    const recruited = bursts.map(([a, b]) => {
      const seen = new Set<number>();
      for (let i = 0; i < st.times.length; i++) {
        if (st.times[i] >= a && st.times[i] < b && run.unitTypes[st.unitIndex[i]] === 'E')
          seen.add(st.unitIndex[i]);
      }
      return seen.size / eUnits.length;
    });
    const medRecruit = quantile(recruited, 0.5);
    assert.ok(medRecruit > 0.5, `median fraction of E units in a burst ${medRecruit}`);
    const f = fano(popCounts(st, 0.01));
    t.diagnostic(
      `in bursts ${frac.toFixed(2)}, E recruited ${medRecruit.toFixed(2)}, Fano ${f.toFixed(1)}`,
    );
    assert.ok(f > 10, `population Fano factor (10 ms) ${f}`);
  });
});

describe('simulate spikes --kind network-*', () => {
  test('writes a network session that reads back', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nb-netsim-'));
    try {
      const program = new Command('neurobridge').exitOverride();
      registerSimulateSpikes(program.command('simulate'));
      const log = console.log;
      console.log = () => {};
      const out = join(root, 'vitro');
      try {
        await program.parseAsync(
          [
            'simulate',
            'spikes',
            '--kind',
            'network-in-vitro',
            '--format',
            'alf',
            '--out',
            out,
          ].concat(['--duration', '3', '--neurons', '300', '--units', '150', '--seed', '4']),
          { from: 'user' },
        );
      } finally {
        console.log = log;
      }
      const back = await readSpikes(out);
      const direct = simulateNetwork({
        regime: 'in_vitro',
        durationS: 3,
        seed: 4,
        neurons: 300,
        recorded: 150,
      });
      assert.equal(back.unitIds.length, 150);
      assert.deepEqual(back.times, direct.times);
      assert.deepEqual(back.unitIndex, direct.unitIndex);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

test('bad simulator options are UsageErrors naming the field (issue 25)', () => {
  const usage = (re: RegExp) => (e: Error) => e instanceof UsageError && re.test(e.message);
  assert.throws(
    () => simulateNetwork({ regime: 'in_vivo', durationS: 0, seed: 1 }),
    usage(/^simulateNetwork: durationS: expected seconds > 0, got 0$/),
  );
  assert.throws(
    () => simulateNetwork({ regime: 'awake' as 'in_vivo', durationS: 1, seed: 1 }),
    usage(/^simulateNetwork: regime: unknown 'awake'; expected one of in_vitro, in_vivo/),
  );
  assert.throws(
    () => simulateNetwork({ regime: 'in_vivo', durationS: 1, seed: 1, neurons: 2.5 }),
    usage(/^simulateNetwork: neurons: expected a whole number ≥ 1, got 2\.5$/),
  );
  assert.throws(
    () => simulateSpikes({ kind: 'in_vitro', durationS: NaN, seed: 1 }),
    usage(/^simulateSpikes: durationS: expected seconds > 0, got NaN$/),
  );
  assert.throws(
    () => simulateSpikes({ kind: 'in_vitro', durationS: 1, seed: 1, units: 0 }),
    usage(/^simulateSpikes: units: expected a whole number ≥ 1, got 0$/),
  );
});
