/**
 * HTML report of `ephys extract`: per cell, the cell features, the traces with detected
 * thresholds and peaks (rheobase, hero, a ramp and a short square), the f–I curve, the
 * membrane time-constant fits on hyperpolarising steps, and every excluded sweep with its
 * reason.
 */
import type { CellExtraction } from '../pipelines/ephys/extract/extract-cell.js';
import type { SweepResult, SweepTrace } from '../pipelines/ephys/extract/protocols.js';
import { renderPage, type Block, type Figure, type Section } from './page.js';

const MAX_POINTS = 4000;

/** Every k-th sample, so a 900 000-sample sweep stays a few thousand points in the page. */
function decimated(s: SweepTrace): { x: number[]; y: number[] } {
  const k = Math.max(1, Math.ceil(s.t.length / MAX_POINTS));
  const x: number[] = [];
  const y: number[] = [];
  for (let j = 0; j < s.t.length; j += k) {
    x.push(s.t[j]);
    y.push(s.v[j]);
  }
  return { x, y };
}

function traceFigure(title: string, s: SweepTrace, r: SweepResult): Figure {
  const d = decimated(s);
  return {
    data: [
      {
        type: 'scattergl',
        mode: 'lines',
        name: 'V (mV)',
        x: d.x,
        y: d.y,
        line: { width: 1, color: '#1d3557' },
      },
      {
        type: 'scatter',
        mode: 'markers',
        name: 'threshold',
        x: r.spikes.map((p) => p.threshold_t),
        y: r.spikes.map((p) => p.threshold_v),
        marker: { color: '#e76f51', size: 7 },
      },
      {
        type: 'scatter',
        mode: 'markers',
        name: 'peak',
        x: r.spikes.map((p) => p.peak_t),
        y: r.spikes.map((p) => p.peak_v),
        marker: { color: '#2a9d8f', size: 7, symbol: 'triangle-up' },
      },
    ],
    layout: {
      title: { text: title, font: { size: 13 } },
      xaxis: { title: { text: 'time from sweep start (s)' } },
      yaxis: { title: { text: 'mV' } },
      shapes: [
        {
          type: 'rect',
          xref: 'x',
          yref: 'paper',
          x0: r.start,
          x1: r.end,
          y0: 0,
          y1: 1,
          fillcolor: '#f4a261',
          opacity: 0.12,
          line: { width: 0 },
        },
      ],
      margin: { t: 30 },
    },
  };
}

const fmt = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v)
    ? '–'
    : Math.abs(v) >= 1000 || Math.abs(v) < 0.01
      ? v.toExponential(3)
      : v.toFixed(3);

function cellSections(c: CellExtraction): Section[] {
  const traces = new Map(c.traces.map((s) => [s.sweepNumber, s]));
  const blocks: Block[] = [];
  const shown: [string, SweepResult | undefined][] = [
    ['rheobase sweep', c.longSquare?.rheobase_sweep],
    ['hero sweep', c.longSquare?.hero_sweep],
    ['ramp', c.ramp?.sweeps[0]],
    ['short square', c.shortSquare?.common_amp_sweeps[0] ?? c.shortSquare?.sweeps[0]],
  ];
  for (const [what, r] of shown)
    if (r)
      blocks.push({
        kind: 'figure',
        figure: traceFigure(
          `${what}: sweep ${r.sweep_number}, ${fmt(r.stim_amp)} pA, ${r.spikes.length} spikes`,
          traces.get(r.sweep_number)!,
          r,
        ),
        height: 320,
      });
  const ls = c.longSquare;
  if (ls) {
    const sorted = [...ls.sweeps].sort((a, b) => a.stim_amp - b.stim_amp);
    blocks.push({
      kind: 'figure',
      figure: {
        data: [
          {
            type: 'scatter',
            mode: 'lines+markers',
            x: sorted.map((r) => r.stim_amp),
            y: sorted.map((r) => r.avg_rate),
            name: 'rate',
          },
        ],
        layout: {
          xaxis: { title: { text: 'step amplitude (pA)' } },
          yaxis: { title: { text: 'rate in the step (Hz)' } },
          margin: { t: 20 },
        },
      },
      caption: `f–I curve of the long squares: rheobase ${fmt(ls.rheobase_i)} pA, f–I slope ${fmt(ls.fi_fit_slope)} Hz/pA.`,
      height: 320,
    });
    const fits = ls.sweeps.filter((r) => r.tau_fit && Number.isFinite(r.tau!));
    if (fits.length)
      blocks.push({
        kind: 'figure',
        figure: {
          data: fits.flatMap((r) => {
            const s = traces.get(r.sweep_number)!;
            const f = r.tau_fit!;
            const a = Math.max(0, Math.round((ls.start - 0.05) * s.samplingRateHz));
            const b = Math.min(s.t.length, Math.round((f.end + 0.1) * s.samplingRateHz));
            const k = Math.max(1, Math.ceil((b - a) / 1500));
            const xs: number[] = [];
            const ys: number[] = [];
            for (let j = a; j < b; j += k) {
              xs.push(s.t[j]);
              ys.push(s.v[j]);
            }
            const fx = Array.from(
              { length: 100 },
              (_, j) => f.start + ((f.end - f.start) * j) / 99,
            );
            return [
              {
                type: 'scatter',
                mode: 'lines',
                name: `${fmt(r.stim_amp)} pA`,
                x: xs,
                y: ys,
                line: { width: 1 },
              },
              {
                type: 'scatter',
                mode: 'lines',
                name: `fit τ ${(r.tau! * 1e3).toFixed(1)} ms`,
                x: fx,
                y: fx.map((x) => f.y0 + f.a * Math.exp(-(x - f.start) / r.tau!)),
                line: { dash: 'dash', width: 2 },
              },
            ];
          }),
          layout: {
            xaxis: { title: { text: 's' } },
            yaxis: { title: { text: 'mV' } },
            margin: { t: 20 },
          },
        },
        caption: `Subthreshold fits: single exponential from 10 % of the deflection to the peak; τ ${fmt(ls.tau)} s, input resistance ${fmt(ls.input_resistance)} MΩ, sag ${fmt(ls.sag)} at ${fmt(ls.vm_for_sag)} mV.`,
        height: 360,
      });
    for (const n of ls.notes) blocks.push({ kind: 'text', text: n });
  }
  const features: Block = {
    kind: 'table',
    headers: ['feature', 'value'],
    rows: Object.entries(c.record).map(([k, v]) => [k, fmt(v)]),
    caption: 'IPFX column names and units (s, mV, pA, MΩ, Hz, V/s); – where undefined.',
  };
  const excluded: Block = c.excluded.length
    ? {
        kind: 'table',
        headers: ['sweep', 'protocol', 'reason'],
        rows: c.excluded.map((e) => [e.sweep_number, e.protocol ?? '–', e.reason]),
      }
    : { kind: 'text', text: 'No sweep was excluded.' };
  const counts = ['long_square', 'short_square', 'ramp']
    .map((p) => `${c.traces.filter((s) => s.epoch.protocol === p).length} ${p.replace('_', ' ')}`)
    .join(', ');
  return [
    {
      title: `${c.cellId}: sweeps`,
      blocks: [{ kind: 'text', text: `${c.file}: ${counts}.` }, ...blocks],
    },
    { title: `${c.cellId}: features`, blocks: [features] },
    { title: `${c.cellId}: excluded sweeps`, blocks: [excluded] },
  ];
}

export function renderExtraction(cells: CellExtraction[], fvNotes: string[]): string {
  const sections = cells.flatMap(cellSections);
  if (fvNotes.length)
    sections.push({
      title: 'Feature vectors',
      blocks: fvNotes.map((text) => ({ kind: 'text' as const, text })),
    });
  return renderPage({
    title: 'neurobridge ephys extract',
    subtitle: `${cells.length} cell(s), IPFX-equivalent features`,
    sections,
  });
}
