/**
 * The 12 feature-vector families of Gouwens et al. 2020 that the attention BiLSTM reads, as
 * IPFX `feature_vectors` and `run_feature_vector_extraction` compute them from long-square,
 * short-square and ramp analyses (same windows, bins, targets and interpolation rules):
 * step_subthresh, subthresh_norm, isi_shape, first_ap_v, first_ap_dv, inst_freq, psth and
 * spiking_{threshold_v, peak_v, width, fast_trough_v, upstroke_downstroke_ratio}.
 * A cell lacking what a family needs is left out (with a note); first-AP parts of a missing
 * protocol are zeros, as IPFX writes them.
 */
import { IPFX_FAMILIES as FV_FAMILIES, type FeatureVectors } from '../../../io/ephys/ipfx.js';
import type { CellExtraction } from './extract-cell.js';
import type { LongSquareResult, SweepResult, SweepTrace } from './protocols.js';
import type { Spike } from './spike-features.js';
import { FeatureError, findTimeIndex } from './time-series.js';

const EXTEND = 0.2;
const SUBSAMPLE = 0.01;
const AP_WINDOW = 0.005;
const AP_RATE = 50000;

/** Means of consecutive groups of `width` values (IPFX `_subsample_average`; a ragged tail is dropped). */
function subsample(x: ArrayLike<number>, a: number, b: number, width: number): number[] {
  const out: number[] = [];
  for (let k = a; k + width <= b; k += width) {
    let s = 0;
    for (let j = k; j < k + width; j++) s += x[j];
    out.push(s / width);
  }
  return out;
}

function stepSegment(s: SweepTrace, start: number, end: number): number[] {
  const a = findTimeIndex(s.t, start - EXTEND);
  const b = findTimeIndex(s.t, end + EXTEND);
  return subsample(s.v, a, b, Math.round(SUBSAMPLE * s.samplingRateHz));
}

interface Ctx {
  ls: LongSquareResult;
  traces: Map<number, SweepTrace>;
}

/** IPFX `step_subthreshold`: targets −90…−10 pA (±5), missing ones scaled from neighbours. */
function stepSubthresh(c: Ctx, hyper: SweepResult[]): number[] {
  const byAmp = new Map<number, number[]>();
  for (const r of hyper)
    byAmp.set(
      Math.round(r.stim_amp),
      stepSegment(c.traces.get(r.sweep_number)!, c.ls.start, c.ls.end),
    );
  const amps = [...byAmp.keys()];
  const ext = Math.round(EXTEND / SUBSAMPLE);
  return [-90, -70, -50, -30, -10].flatMap((amp) => {
    const near = amps
      .filter((a) => Math.abs(a - amp) <= 5)
      .sort((x, y) => Math.abs(x - amp) - Math.abs(y - amp))[0];
    if (near !== undefined) return byAmp.get(near)!;
    const lower = amps.filter((a) => a < amp).reduce((m, a) => (m === 0 || a > m ? a : m), 0);
    const upper = amps.filter((a) => a > amp).reduce((m, a) => (m === 0 || a < m ? a : m), 0);
    let avg: number[];
    let scale: number;
    let from: number;
    let to: number;
    if (lower !== 0 && upper !== 0) {
      avg = byAmp.get(lower)!.map((x, k) => (x + byAmp.get(upper)![k]) / 2);
      scale = amp / ((lower + upper) / 2);
      [from, to] = [ext, avg.length - ext];
    } else {
      const one = lower !== 0 ? lower : upper;
      avg = [...byAmp.get(one)!];
      scale = amp / one;
      [from, to] = [ext, avg.length];
    }
    const base = avg.slice(0, ext).reduce((s, x) => s + x, 0) / ext;
    for (let k = from; k < to; k++) avg[k] = (avg[k] - base) * scale + base;
    return avg;
  });
}

/** IPFX `subthresh_norm`: the step nearest −101 pA, (v − baseline) / (baseline − peak deflection). */
function subthreshNorm(c: Ctx, hyper: SweepResult[]): number[] {
  const r = hyper.reduce((best, x) =>
    Math.abs(Math.round(x.stim_amp) + 101) < Math.abs(Math.round(best.stim_amp) + 101) ? x : best,
  );
  const base = r.v_baseline!;
  const delta = base - r.peak_deflect!;
  return stepSegment(c.traces.get(r.sweep_number)!, c.ls.start, c.ls.end).map(
    (x) => (x - base) / delta,
  );
}

/** IPFX `identify_sweep_for_isi_shape` + `isi_shape`: mean threshold-aligned ISI trajectory, 100 points. */
function isiShape(c: Ctx): number[] {
  const duration = c.ls.end - c.ls.start;
  const supra = c.ls.sweeps.filter((r) => r.avg_rate! > 0 && r.stim_amp > 0);
  if (supra.length === 0) throw new FeatureError('no spiking long square for isi_shape');
  const n = supra.map((r) => r.avg_rate! * duration);
  let pick: SweepResult;
  if (n.some((x) => x >= 5))
    pick = supra
      .filter((_, k) => n[k] >= 5)
      .sort((a, b) => Math.round(a.stim_amp) - Math.round(b.stim_amp))[0];
  else if (n.some((x) => x > 1)) pick = supra[n.indexOf(Math.max(...n))];
  else pick = [...supra].sort((a, b) => Math.round(a.stim_amp) - Math.round(b.stim_amp))[0];
  const s = c.traces.get(pick.sweep_number)!;
  const sp = pick.spikes;
  const points = 100;
  if (sp.length > 1) {
    const isis: number[][] = [];
    for (let k = 0; k + 1 < sp.length; k++) {
      const a = sp[k].fast_trough_index;
      const b = sp[k + 1].threshold_index;
      if (Number.isNaN(a)) continue;
      const width = Math.floor((b - a) / points);
      if (width === 0) continue;
      isis.push(subsample(s.v, a, a + width * points, width).map((x) => x - sp[k].threshold_v));
    }
    if (isis.length === 0) throw new FeatureError('no ISI long enough for isi_shape');
    return isis[0].map((_, j) => isis.reduce((t, x) => t + x[j], 0) / isis.length);
  }
  const ft = sp[0].fast_trough_index;
  if (Number.isNaN(ft)) throw new FeatureError('the only spike has no fast trough (isi_shape)');
  const end = c.ls.end;
  const stimEnd = findTimeIndex(s.t, end);
  let endIndex: number;
  if (s.t[ft] < end - 0.1) {
    const maxEnd = findTimeIndex(s.t, Math.min(s.t[ft] + 0.1, s.t[s.t.length - 1]));
    const a = findTimeIndex(s.t, end - 0.1);
    let ss = 0;
    for (let k = a; k < stimEnd; k++) ss += s.v[k];
    ss /= stimEnd - a;
    let back = -1;
    for (let k = ft; k < s.v.length; k++)
      if (s.v[k] >= ss - 1) {
        back = k;
        break;
      }
    endIndex = back >= 0 ? Math.min(back, maxEnd) : maxEnd;
  } else endIndex = stimEnd;
  if (endIndex - ft < points) endIndex = ft + points;
  const width = Math.floor((endIndex - ft) / points);
  return subsample(s.v, ft, ft + width * points, width).map((x) => x - sp[0].threshold_v);
}

/** IPFX `first_ap_vectors`: mean first-AP waveform over 5 ms from threshold at 50 kHz and its difference. */
function firstAp(items: { s: SweepTrace; spike: Spike }[]): { v: number[]; dv: number[] } {
  const n = Math.round(AP_RATE * AP_WINDOW);
  if (items.length === 0) {
    const zero = new Array<number>(n).fill(0);
    return { v: zero, dv: zero.slice(1) };
  }
  const waves = items.map(({ s, spike }) => {
    // Resampled to 50 kHz (IPFX averages down from higher rates; lower rates are interpolated here).
    const out: number[] = [];
    for (let j = 0; j < n; j++) {
      const tj = s.t[spike.threshold_index] + j / AP_RATE;
      const x = (tj - s.t[0]) * s.samplingRateHz;
      const k = Math.min(Math.floor(x), s.v.length - 2);
      const frac = x - k;
      out.push(s.v[k] * (1 - frac) + s.v[k + 1] * frac);
    }
    return out;
  });
  const v = waves[0].map((_, j) => waves.reduce((t, w) => t + w[j], 0) / waves.length);
  return { v, dv: v.slice(1).map((x, j) => x - v[j]) };
}

/** IPFX `_identify_suprathreshold_indices`: steps 0…100 pA above rheobase (shift 10 pA if ≤ 1 match). */
function suprathresholdSweeps(ls: LongSquareResult): (SweepResult | null)[] {
  const rheo = ls.rheobase_i!;
  const supra = ls.sweeps.filter((r) => r.avg_rate! > 0 && r.stim_amp >= rheo);
  // One sweep per amplitude: the one with the median rate when repeated.
  const byAmp = new Map<number, SweepResult[]>();
  for (const r of supra) byAmp.set(r.stim_amp, [...(byAmp.get(r.stim_amp) ?? []), r]);
  const chosen = [...byAmp.values()].map((rs) => {
    const rates = rs.map((r) => r.avg_rate!).sort((a, b) => a - b);
    const med =
      rates.length % 2
        ? rates[(rates.length - 1) / 2]
        : (rates[rates.length / 2 - 1] + rates[rates.length / 2]) / 2;
    return rs.reduce((b, r) => (Math.abs(r.avg_rate! - med) < Math.abs(b.avg_rate! - med) ? r : b));
  });
  const targets = [0, 20, 40, 60, 80, 100];
  const match = (shift: number) =>
    targets.map((tg) => chosen.find((r) => Math.round(r.stim_amp - rheo) - shift === tg) ?? null);
  let found = match(0);
  if (found.filter(Boolean).length <= 1) found = match(10);
  if (found.filter(Boolean).length <= 1)
    throw new FeatureError('could not find at least two spiking sweeps at 0–100 pA above rheobase');
  return found;
}

/** IPFX `_combine_and_interpolate`: missing sweeps become the mean of their nearest neighbours. */
function combine(data: (number[] | null)[]): number[] {
  return data.flatMap((d, i) => {
    if (d) return d;
    let lower = -1;
    let upper = Infinity;
    data.forEach((n, j) => {
      if (j !== i && n) {
        if (j < i && j > lower) lower = j;
        if (j > i && j < upper) upper = j;
      }
    });
    if (lower > -1 && upper < data.length)
      return data[lower]!.map((x, k) => (x + data[upper]![k]) / 2);
    return lower === -1 ? data[upper]! : data[lower]!;
  });
}

/** Binned statistic over [start, end] (last bin closed, as scipy `binned_statistic`). */
function binned(
  times: number[],
  values: number[],
  start: number,
  end: number,
  widthMs: number,
  stat: 'sum' | 'mean',
): number[] {
  const duration = Math.round(end * 1000) / 1000 - Math.round(start * 1000) / 1000;
  const nBins = Math.floor(Math.trunc(duration / 0.001) / widthMs);
  const binWidth = (end - start) / nBins;
  const sum = new Array<number>(nBins).fill(0);
  const count = new Array<number>(nBins).fill(0);
  times.forEach((tt, k) => {
    if (tt < start || tt > end) return;
    const b = Math.min(nBins - 1, Math.floor((tt - start) / binWidth));
    sum[b] += values[k];
    count[b]++;
  });
  return stat === 'sum' ? sum : sum.map((s, b) => (count[b] ? s / count[b] : NaN));
}

/** NaN bins linearly interpolated from the filled ones (numpy `interp`, ends held); all NaN → zeros. */
function fillNaN(x: number[]): number[] {
  const ok = x.flatMap((v, k) => (Number.isNaN(v) ? [] : [k]));
  if (ok.length === 0) return x.map(() => 0);
  return x.map((v, k) => {
    if (!Number.isNaN(v)) return v;
    const r = ok.findIndex((j) => j > k);
    if (r === -1) return x[ok[ok.length - 1]];
    if (r === 0) return x[ok[0]];
    const [a, b] = [ok[r - 1], ok[r]];
    return x[a] + ((x[b] - x[a]) * (k - a)) / (b - a);
  });
}

/** IPFX `_inst_freq_feature`: 1/ISI estimates at the window start, each spike and the window end. */
function instFreq(times: number[], start: number, end: number): { f: number[]; t: number[] } {
  if (times.length === 0) return { f: [0, 0], t: [start, end] };
  const isis = [times[0] - start, ...times.slice(1).map((x, k) => x - times[k])];
  isis.push(Math.max(isis[isis.length - 1], end - times[times.length - 1]));
  const inv = [isis[0], ...times.map((_, k) => (isis[k] + isis[k + 1]) / 2), isis[isis.length - 1]];
  return { f: inv.map((x) => 1 / x), t: [start, ...times, end] };
}

function cellVectors(cell: CellExtraction): Record<string, number[]> {
  const ls = cell.longSquare;
  if (!ls || ls.rheobase_i === undefined) throw new FeatureError('no long squares with a rheobase');
  const c: Ctx = { ls, traces: new Map(cell.traces.map((s) => [s.sweepNumber, s])) };
  const hyper = ls.sweeps.filter((r) => r.avg_rate === 0 && r.stim_amp < 0 && r.stim_amp >= -1000);
  if (hyper.length === 0) throw new FeatureError('no hyperpolarising subthreshold long square');
  const out: Record<string, number[]> = {
    step_subthresh: stepSubthresh(c, hyper),
    subthresh_norm: subthreshNorm(c, hyper),
    isi_shape: isiShape(c),
  };
  const first = (sweeps: SweepResult[], skipClipped: boolean) =>
    sweeps
      .filter((r) => r.spikes.length && !(skipClipped && r.spikes[0].clipped))
      .map((r) => ({ s: c.traces.get(r.sweep_number)!, spike: r.spikes[0] }));
  const aps = [
    firstAp(first(cell.shortSquare?.common_amp_sweeps ?? [], true)),
    firstAp(first([ls.rheobase_sweep!], false)),
    firstAp(first(cell.ramp?.spiking_sweeps ?? [], true)),
  ];
  out.first_ap_v = aps.flatMap((a) => a.v);
  out.first_ap_dv = aps.flatMap((a) => a.dv);
  const supra = suprathresholdSweeps(ls);
  const { start, end } = ls;
  out.psth = combine(
    supra.map((r) => {
      if (!r) return null;
      const t = r.spikes.map((s) => s.threshold_t);
      const counts = binned(
        t,
        t.map(() => 1),
        start,
        end,
        50,
        'sum',
      );
      const nBins = counts.length;
      return counts.map((x) => x / ((end - start) / nBins));
    }),
  );
  out.inst_freq = combine(
    supra.map((r) => {
      if (!r) return null;
      const f = instFreq(
        r.spikes.map((s) => s.threshold_t),
        start,
        end,
      );
      return fillNaN(binned(f.t, f.f, start, end, 20, 'mean'));
    }),
  );
  for (const feature of [
    'upstroke_downstroke_ratio',
    'peak_v',
    'fast_trough_v',
    'threshold_v',
    'width',
  ] as const)
    out[`spiking_${feature}`] = combine(
      supra.map((r) => {
        if (!r) return null;
        const kept = r.spikes.filter((s) => !s.clipped);
        return fillNaN(
          binned(
            kept.map((s) => s.threshold_t),
            kept.map((s) => s[feature]),
            start,
            end,
            20,
            'mean',
          ),
        );
      }),
    );
  return out;
}

export function featureVectors(
  cells: CellExtraction[],
): Omit<FeatureVectors, 'path'> & { notes: string[] } {
  const notes: string[] = [];
  const rows: { id: string; v: Record<string, number[]> }[] = [];
  for (const cell of cells) {
    try {
      const v = cellVectors(cell);
      const first = rows[0]?.v;
      const mismatch = first && FV_FAMILIES.find((f) => first[f].length !== v[f].length);
      if (mismatch)
        notes.push(
          `${cell.cellId}: ${mismatch} has ${v[mismatch].length} values, other cells ${first[mismatch].length} (another step duration?): left out of the .h5`,
        );
      else rows.push({ id: cell.cellId, v });
    } catch (err) {
      if (!(err instanceof FeatureError)) throw err;
      notes.push(`${cell.cellId}: no feature vectors (${err.message})`);
    }
  }
  return {
    ids: rows.map((r) => r.id),
    families: rows.length
      ? FV_FAMILIES.map((name) => ({
          name,
          width: rows[0].v[name].length,
          values: rows.map((r) => Float64Array.from(r.v[name])),
        }))
      : [],
    notes,
  };
}
