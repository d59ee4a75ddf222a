/**
 * One row of cell features with the column names of the Allen Institute's IPFX feature
 * tables (e.g. the human interneuron table): the long-square scalars (`rheobase_i`,
 * `fi_fit_slope`, `sag`, `tau`, `input_resistance`, `v_baseline`, `vm_for_sag`), first-spike
 * features of the rheobase and hero sweeps (`*_rheo`, `*_hero`), of the mean first spike of
 * ramps and common-amplitude short squares (`*_ramp`, `*_short_square`), voltages relative
 * to threshold (`*_deltav`), inverted first ISIs (`first_isi_inv_*`), spike-train means and
 * maxima over spiking sweeps, adaptation ratios (4th / 1st spike of the first sweep with ≥ 5
 * spikes) and AHP delay ratios, as IPFX's feature-collection step defines them. Units are
 * IPFX's: s, mV, pA, MΩ, Hz, V/s.
 */
import type { Spike } from './spike-features.js';
import type { LongSquareResult, RampResult, ShortSquareResult, SweepResult } from './protocols.js';

export type CellRecord = Record<string, number>;

const BASE_SPIKE = [
  'upstroke_downstroke_ratio',
  'threshold_v',
  'peak_v',
  'width',
  'upstroke',
  'downstroke',
] as const;
const LS_SPIKE = [...BASE_SPIKE, 'trough_v', 'fast_trough_v'] as const;

const nanMean = (x: number[]) => {
  const ok = x.filter((v) => Number.isFinite(v));
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
};

function spikeValue(s: Spike | undefined, f: string): number {
  const v = s ? (s as unknown as Record<string, unknown>)[f] : undefined;
  return typeof v === 'number' ? v : NaN;
}

/** Mean over sweeps of each sweep's first-spike feature (IPFX `mean_features_first_spike`). */
function meanFirstSpike(
  sweeps: SweepResult[],
  features: readonly string[],
): Record<string, number> {
  return Object.fromEntries(
    features.map((f) => [
      f,
      nanMean(sweeps.filter((s) => s.spikes.length).map((s) => spikeValue(s.spikes[0], f))),
    ]),
  );
}

/** Adds `name + suffix`, with peak/trough voltages also relative to threshold (`*_deltav`). */
function addSpike(record: CellRecord, values: Record<string, number>, suffix: string): void {
  for (const [f, v] of Object.entries(values)) record[`${f}${suffix}`] = v;
  const th = values.threshold_v;
  for (const f of ['peak_v', 'fast_trough_v', 'trough_v'])
    if (f in values) record[`${f.replace('_v', '')}_deltav${suffix}`] = values[f] - th;
}

function ahpDelayRatio(sweep: SweepResult | undefined): number {
  const s = sweep?.spikes ?? [];
  if (s.length < 2) return NaN;
  const a = s[s.length - 2];
  return (a.trough_t - a.peak_t) / (s[s.length - 1].peak_t - a.peak_t);
}

export function cellRecord(
  ls?: LongSquareResult,
  ss?: ShortSquareResult,
  ramp?: RampResult,
): CellRecord {
  const r: CellRecord = {};
  if (ramp) {
    const m = meanFirstSpike(ramp.spiking_sweeps, [...LS_SPIKE, 'threshold_i']);
    addSpike(r, m, '_ramp');
  }
  if (ss) {
    addSpike(
      r,
      meanFirstSpike(ss.common_amp_sweeps, [...BASE_SPIKE, 'fast_trough_v']),
      '_short_square',
    );
    r.threshold_i_short_square = ss.stimulus_amplitude ?? NaN;
  }
  if (ls) {
    Object.assign(r, {
      v_baseline: ls.v_baseline,
      rheobase_i: ls.rheobase_i ?? NaN,
      fi_fit_slope: ls.fi_fit_slope ?? NaN,
      sag: ls.sag ?? NaN,
      vm_for_sag: ls.vm_for_sag ?? NaN,
      input_resistance: ls.input_resistance ?? NaN,
      tau: ls.tau ?? NaN,
    });
    const sweepFeatures = (s: SweepResult | undefined, names: string[], suffix: string) => {
      for (const f of names)
        r[`${f}${suffix}`] = s ? Number((s as unknown as Record<string, number>)[f] ?? NaN) : NaN;
    };
    const rheo = ls.rheobase_sweep;
    sweepFeatures(rheo, ['latency', 'avg_rate', 'mean_isi'], '_rheo');
    r.first_isi_inv_rheo = rheo ? 1 / rheo.first_isi! : NaN;
    addSpike(
      r,
      Object.fromEntries(LS_SPIKE.map((f) => [f, spikeValue(rheo?.spikes[0], f)])),
      '_rheo',
    );
    r.fast_trough_v_last_rheo = spikeValue(rheo?.spikes.at(-1), 'fast_trough_v');
    r.adp_v_last_rheo = spikeValue(rheo?.spikes.at(-1), 'adp_v');
    const hero = ls.hero_sweep;
    sweepFeatures(
      hero,
      ['adapt', 'avg_rate', 'latency', 'mean_isi', 'median_isi', 'isi_cv'],
      '_hero',
    );
    r.first_isi_inv_hero = hero ? 1 / hero.first_isi! : NaN;
    addSpike(
      r,
      Object.fromEntries(LS_SPIKE.map((f) => [f, spikeValue(hero?.spikes[0], f)])),
      '_hero',
    );
    r.ahp_delay_ratio_hero = ahpDelayRatio(hero);
    for (const suffix of ['_rheo', '_hero'])
      r[`trough_slowdeltav${suffix}`] = r[`trough_v${suffix}`] - r[`fast_trough_v${suffix}`];
    const spiking = ls.sweeps.filter((s) => s.avg_rate! > 0);
    r.adapt_mean = nanMean(spiking.map((s) => s.adapt!));
    r.isi_cv_mean = nanMean(spiking.map((s) => s.isi_cv!));
    r.avg_rate_max = spiking.length ? Math.max(...spiking.map((s) => s.avg_rate!)) : NaN;
    // Adaptation ratios: 4th over 1st spike of the lowest positive step with at least 5 spikes.
    const adaptSweep = spiking
      .filter((s) => s.spikes.length >= 5 && s.stim_amp > 0)
      .sort((a, b) => a.stim_amp - b.stim_amp)[0];
    const sp = adaptSweep?.spikes ?? [];
    const isi = (k: number) => (sp[k + 1] ? sp[k + 1].peak_t - sp[k].peak_t : NaN);
    const ratio = (nth: number, first: number) => (nth && first ? nth / first : NaN);
    r.isi_adapt_ratio = ratio(isi(3), isi(0));
    for (const f of ['width', 'upstroke', 'downstroke', 'peak_v', 'threshold_v', 'fast_trough_v'])
      r[`${f}_adapt_ratio`] = ratio(spikeValue(sp[3], f), spikeValue(sp[0], f));
    r.ahp_delay_ratio_5spike = ahpDelayRatio(adaptSweep);
  }
  return r;
}
