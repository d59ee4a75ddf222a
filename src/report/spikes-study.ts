/**
 * The HTML report of a spike transfer study (Shimono 2026): the N × N matrix split into
 * domain quadrants, the grouped table (the paper's Table 2) with bars, the 3-D proximity
 * map, ROC/PR curves and rasters of each model on its own data, attention/AWI maps,
 * ablations, and the run's metadata. Reads only the files `runStudy` writes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import type { StudyCell, StudyResult } from '../pipelines/spikes/study/study-cells.js';
import { StudyCells } from '../pipelines/spikes/study/study-cells.js';
import { denseRaster, type ReducedMap } from '../pipelines/spikes/analysis/probes.js';
import type { AblationName } from '../pipelines/spikes/analysis/ablation.js';
import { meanSd } from '../stats/index.js';
import { binaryRasterSvg } from './raster-svg.js';
import { stackedSelfCellsSection } from './spikes-self-cells.js';
import { escapeHtml, renderPage, type Block, type Figure, type Section } from './page.js';

const DOMAIN_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const pm = (m: { mean: number; sd: number }, digits = 3) =>
  `${m.mean.toFixed(digits)} ± ${Number.isFinite(m.sd) ? m.sd.toFixed(digits) : '–'}`;
const pValue = (t: { p: number } | null) => (t ? t.p.toExponential(1) : '–');

export interface LoadedStudy {
  dir: string;
  result: StudyResult;
  /** cells[loss][i][j] in the order of result.datasets. */
  cells: Record<string, StudyCell[][]>;
  manifestText: string;
}

export function loadStudy(dir: string): LoadedStudy {
  const store = new StudyCells(dir);
  const result = store.readSummary();
  const cells: Record<string, StudyCell[][]> = {};
  for (const loss of Object.keys(result.losses))
    cells[loss] = result.datasets.map((s) =>
      result.datasets.map((t) => store.read(loss, s.id, t.id)),
    );
  const manifestText = existsSync(result.run.manifest)
    ? readFileSync(result.run.manifest, 'utf8')
    : `(manifest ${result.run.manifest} not found)`;
  return { dir, result, cells, manifestText };
}

/** Writes `<dir>/report.html` and returns its path. */
export function writeStudyReport(dir: string): string {
  const path = join(dir, 'report.html');
  writeFileAtomic(path, renderStudyReport(loadStudy(dir)));
  return path;
}

export function renderStudyReport(s: LoadedStudy): string {
  const { result } = s;
  const domains = [...new Set(result.datasets.map((d) => d.domain))];
  const sections: Section[] = [summarySection(s)];
  for (const loss of Object.keys(result.losses)) {
    sections.push(matrixSection(s, loss, domains));
    const outputs = stackedSelfCellsSection(diagonalCells(s, loss), loss);
    if (outputs) sections.push(outputs);
    sections.push(mapSection(s, loss, domains));
    sections.push(curvesSection(s, loss));
    sections.push(interpretationSection(s, loss));
    sections.push(ablationSection(s, loss));
    sections.push(generationSection(s, loss));
  }
  sections.push(metadataSection(s));
  return renderPage({
    title: 'neurobridge · spike transfer study',
    subtitle: `${result.datasets.length} datasets (${domains.join(', ')}), losses ${Object.keys(result.losses).join(', ')}, unit alignment ${result.unitAlignment}, calibration ${result.transferCalibration ?? 'none'}, preset ${result.run.preset}`,
    sections,
  });
}

/** Mean ROC-AUC of self cells vs cross-domain cells: the paper's headline comparison. */
export function selfVsCrossDomain(s: LoadedStudy, loss: string) {
  const d = s.result.datasets;
  const self: number[] = [];
  const cross: number[] = [];
  s.cells[loss].forEach((row, i) =>
    row.forEach((c, j) => {
      const roc = c.scores.transformer.pooled.rocAuc;
      if (i === j) self.push(roc);
      else if (d[i].domain !== d[j].domain) cross.push(roc);
    }),
  );
  return { self: meanSd(self), cross: meanSd(cross) };
}

function summarySection(s: LoadedStudy): Section {
  const blocks: Block[] = [];
  for (const [loss, r] of Object.entries(s.result.losses)) {
    const { self, cross } = selfVsCrossDomain(s, loss);
    blocks.push({
      kind: 'text',
      text: `${loss}: self transfer ROC-AUC ${pm(self)} vs cross-domain ${pm(cross)}: in-domain self transfer ${self.mean > cross.mean ? 'beats' : 'does not beat'} cross-domain transfer.`,
    });
    const groupNames = Object.keys(r.groups);
    const rateByGroup = groupNames.map((g) => groupRateRoc(s, loss, g));
    blocks.push({
      kind: 'table',
      headers: [
        'group',
        'cells',
        'ROC-AUC',
        'PR-AUC',
        'AP',
        'bits/spike',
        'rate ROC-AUC',
        'GLM ROC-AUC',
        'GLM AP',
        'GLM bits/spike',
        'coupled GLM ROC-AUC',
        'coupled GLM AP',
        'coupled GLM bits/spike',
        'population GLM ROC-AUC',
        'population GLM AP',
        'population GLM bits/spike',
        'p vs 0.5',
        'p vs rate',
        'p vs GLM',
      ],
      rows: groupNames.map((g, k) => {
        const x = r.groups[g];
        return [
          g,
          x.cells,
          pm(x.rocAuc),
          pm(x.prAuc, 4),
          pm(x.averagePrecision, 4),
          x.bitsPerSpike ? pm(x.bitsPerSpike) : '–',
          pm(rateByGroup[k]),
          x.glm ? pm(x.glm.rocAuc) : '–',
          x.glm ? pm(x.glm.averagePrecision, 4) : '–',
          x.glm ? pm(x.glm.bitsPerSpike) : '–',
          x.coupledGlm ? pm(x.coupledGlm.rocAuc) : '–',
          x.coupledGlm ? pm(x.coupledGlm.averagePrecision, 4) : '–',
          x.coupledGlm ? pm(x.coupledGlm.bitsPerSpike) : '–',
          x.populationGlm ? pm(x.populationGlm.rocAuc) : '–',
          x.populationGlm ? pm(x.populationGlm.averagePrecision, 4) : '–',
          x.populationGlm ? pm(x.populationGlm.bitsPerSpike) : '–',
          pValue(x.rocVsChance),
          pValue(x.rocVsRate),
          x.rocVsGlm ? pValue(x.rocVsGlm) : '–',
        ];
      }),
      caption: `Grouped scores (${loss}), mean ± sd over cells, as the paper's Table 2. p vs 0.5: one-sample t-test of ROC-AUC against chance; p vs rate / GLM: paired t-tests against the per-unit rate baseline and the multi-scale history GLM (own and other units' counts in windows to 63 ms, fitted on the source's train split) on the same cells; coupled GLM: Pillow et al. 2008, every unit's history through 4 raised cosines to 63 ms, L2-penalised; population GLM: one filter shared by all units over their own and the population's relative counts in windows to 1,023 ms, an intercept per unit (cross cells: its own-history and network parts calibrated with a slope each).`,
    });
    blocks.push({
      kind: 'figure',
      height: 380,
      figure: {
        data: [
          {
            type: 'bar',
            name: 'transformer',
            x: groupNames,
            y: groupNames.map((g) => r.groups[g].rocAuc.mean),
            error_y: { type: 'data', array: groupNames.map((g) => finite(r.groups[g].rocAuc.sd)) },
          },
          {
            type: 'bar',
            name: 'rate baseline',
            x: groupNames,
            y: rateByGroup.map((m) => m.mean),
            error_y: { type: 'data', array: rateByGroup.map((m) => finite(m.sd)) },
          },
          {
            type: 'bar',
            name: 'coupled GLM',
            x: groupNames,
            y: groupNames.map((g) => r.groups[g].coupledGlm?.rocAuc.mean ?? NaN),
          },
          {
            type: 'bar',
            name: 'population GLM',
            x: groupNames,
            y: groupNames.map((g) => r.groups[g].populationGlm?.rocAuc.mean ?? NaN),
          },
          {
            type: 'bar',
            name: 'multi-scale GLM',
            x: groupNames,
            y: groupNames.map((g) => r.groups[g].glm?.rocAuc.mean ?? NaN),
            error_y: {
              type: 'data',
              array: groupNames.map((g) => finite(r.groups[g].glm?.rocAuc.sd ?? NaN)),
            },
          },
        ],
        layout: {
          barmode: 'group',
          yaxis: { title: { text: 'ROC-AUC' } },
          shapes: [hline(0.5)],
          margin: { t: 20 },
        },
      },
      caption: 'Grouped ROC-AUC (mean ± sd); the dashed line is chance.',
    });
  }
  return { title: 'Summary', blocks };
}

function groupRateRoc(s: LoadedStudy, loss: string, group: string) {
  const d = s.result.datasets;
  const values: number[] = [];
  s.cells[loss].forEach((row, i) =>
    row.forEach((c, j) => {
      if (groupOf(d[i].domain, d[j].domain, i === j) === group)
        values.push(c.scores.baselines.rate.pooled.rocAuc);
    }),
  );
  return meanSd(values);
}

/** The group name study.ts gives a cell (kept in step with its summarise()). */
function groupOf(a: string, b: string, self: boolean): string {
  if (a !== b) return `${a} → ${b}`;
  return self ? `${a}: self` : `${a}: others within domain`;
}

const finite = (x: number) => (Number.isFinite(x) ? x : 0);
const hline = (y: number) => ({
  type: 'line',
  xref: 'paper',
  x0: 0,
  x1: 1,
  y0: y,
  y1: y,
  line: { dash: 'dash', color: '#888' },
});

function domainOrder(s: LoadedStudy, domains: string[]): number[] {
  const d = s.result.datasets;
  return domains.flatMap((dom) => d.flatMap((x, i) => (x.domain === dom ? [i] : [])));
}

function matrixSection(s: LoadedStudy, loss: string, domains: string[]): Section {
  const d = s.result.datasets;
  const order = domainOrder(s, domains);
  const names = order.map((i) => d[i].id);
  const heatmap = (metric: 'rocAuc' | 'prAuc', title: string): Figure => {
    const m = s.result.losses[loss][metric];
    // Lines between domain blocks split the matrix into its quadrants.
    const shapes: Record<string, unknown>[] = [];
    let k = 0;
    for (const dom of domains.slice(0, -1)) {
      k += d.filter((x) => x.domain === dom).length;
      const at = k - 0.5;
      shapes.push({
        type: 'line',
        x0: at,
        x1: at,
        y0: -0.5,
        y1: d.length - 0.5,
        line: { color: '#fff', width: 4 },
      });
      shapes.push({
        type: 'line',
        y0: at,
        y1: at,
        x0: -0.5,
        x1: d.length - 0.5,
        line: { color: '#fff', width: 4 },
      });
    }
    return {
      data: [
        {
          type: 'heatmap',
          z: order.map((i) => order.map((j) => m[i][j])),
          x: names,
          y: names,
          colorscale: 'Viridis',
          colorbar: { title: { text: title } },
          text: order.map((i) => order.map((j) => m[i][j].toFixed(3))),
          texttemplate: '%{text}',
          hovertemplate: 'train %{y} → test %{x}: %{z:.4f}<extra></extra>',
        },
      ],
      layout: {
        xaxis: { title: { text: 'test dataset' }, type: 'category' },
        yaxis: { title: { text: 'training dataset' }, type: 'category', autorange: 'reversed' },
        shapes,
        margin: { t: 20 },
      },
    };
  };
  return {
    title: `Transfer matrix (${loss})`,
    blocks: [
      {
        kind: 'figure',
        height: 520,
        figure: heatmap('rocAuc', 'ROC-AUC'),
        caption: `Model trained on the row dataset, scored one step ahead on the column dataset's test split. Datasets are ordered by domain (${domains.join(', ')}); white lines separate the domain quadrants.`,
      },
      { kind: 'figure', height: 520, figure: heatmap('prAuc', 'PR-AUC') },
    ],
  };
}

function mapSection(s: LoadedStudy, loss: string, domains: string[]): Section {
  const d = s.result.datasets;
  const map = s.result.losses[loss].map;
  const byDomain = (pick: (i: number) => number[]) =>
    domains.map((dom, k) => {
      const idx = d.flatMap((x, i) => (x.domain === dom ? [i] : []));
      const coords = idx.map(pick);
      return { dom, idx, coords, color: DOMAIN_COLORS[k % DOMAIN_COLORS.length] };
    });
  return {
    title: `3-D proximity map (${loss})`,
    blocks: [
      {
        kind: 'figure',
        height: 520,
        figure: {
          data: byDomain((i) => map.coordinates[i]).map((g) => ({
            type: 'scatter3d',
            mode: 'markers+text',
            name: g.dom,
            x: g.coords.map((c) => c[0]),
            y: g.coords.map((c) => c[1]),
            z: g.coords.map((c) => c[2]),
            text: g.idx.map((i) => d[i].id),
            marker: { size: 7, color: g.color },
          })),
          layout: { margin: { t: 10, l: 0, r: 0, b: 0 }, scene: { aspectmode: 'data' } },
        },
        caption: `Datasets placed so that distances approximate d_ij = 1/s_ij − 1 with s_ij the mean of the two transfer ROC-AUCs (stress ${map.stress.toExponential(2)}, best of several seeded starts). Drag to rotate.`,
      },
      {
        kind: 'figure',
        height: 380,
        figure: {
          data: byDomain((i) => map.projection2d[i]).map((g) => ({
            type: 'scatter',
            mode: 'markers+text',
            name: g.dom,
            x: g.coords.map((c) => c[0]),
            y: g.coords.map((c) => c[1]),
            text: g.idx.map((i) => d[i].id),
            textposition: 'top center',
            marker: { size: 10, color: g.color },
          })),
          layout: { margin: { t: 10 }, yaxis: { scaleanchor: 'x' } },
        },
        caption: '2-D projection of the map (its first two principal axes).',
      },
    ],
  };
}

/** Each dataset's model scored on its own test split. */
const diagonalCells = (s: LoadedStudy, loss: string): StudyCell[] =>
  s.cells[loss].map((row, i) => row[i]);

/** The diagonal cells that carry probes (curves, rasters, interpretation, ablations). */
function selfCells(s: LoadedStudy, loss: string): StudyCell[] {
  return diagonalCells(s, loss).filter((c) => c.probes !== undefined);
}

function curvesSection(s: LoadedStudy, loss: string): Section {
  const blocks: Block[] = [];
  for (const cell of selfCells(s, loss)) {
    const p = cell.probes!;
    const kinds = [
      ['transformer', p.curves.transformer],
      ['rate', p.curves.rate],
      ['multi-scale GLM', p.curves.glm],
      ...(p.curves.coupledGlm ? [['coupled GLM', p.curves.coupledGlm] as const] : []),
    ] as const;
    const chance = cell.scores.transformer.chance.prAuc;
    blocks.push({
      kind: 'figure',
      height: 340,
      figure: {
        data: [
          ...kinds.map(([name, c]) => ({
            type: 'scatter',
            mode: 'lines',
            name: `ROC ${name}`,
            x: c.roc.fpr,
            y: c.roc.tpr,
            xaxis: 'x',
            yaxis: 'y',
          })),
          ...kinds.map(([name, c]) => ({
            type: 'scatter',
            mode: 'lines',
            name: `PR ${name}`,
            x: c.pr.recall,
            y: c.pr.precision,
            xaxis: 'x2',
            yaxis: 'y2',
          })),
        ],
        layout: {
          grid: { rows: 1, columns: 2, pattern: 'independent' },
          xaxis: { title: { text: 'false positive rate' }, range: [0, 1] },
          yaxis: { title: { text: 'true positive rate' }, range: [0, 1] },
          xaxis2: { title: { text: 'recall' }, range: [0, 1] },
          yaxis2: { title: { text: 'precision' }, type: 'log' },
          shapes: [
            {
              type: 'line',
              xref: 'x',
              yref: 'y',
              x0: 0,
              y0: 0,
              x1: 1,
              y1: 1,
              line: { dash: 'dot', color: '#888' },
            },
            {
              type: 'line',
              xref: 'x2',
              yref: 'y2',
              x0: 0,
              x1: 1,
              y0: chance,
              y1: chance,
              line: { dash: 'dot', color: '#888' },
            },
          ],
          margin: { t: 30 },
          title: {
            text: `${cell.source}: ROC-AUC ${cell.scores.transformer.pooled.rocAuc.toFixed(3)}, PR-AUC ${cell.scores.transformer.pooled.prAuc.toFixed(4)} (chance ${chance.toFixed(4)})`,
            font: { size: 13 },
          },
        },
      },
    });
    const truth = denseRaster(p.raster.truth);
    blocks.push({
      kind: 'html',
      html: binaryRasterSvg([
        { label: `${cell.source}: true spikes (first ${truth.bins} test bins)`, raster: truth },
        {
          label: `predicted one step ahead (rate-matched threshold ${p.raster.threshold.toExponential(2)})`,
          raster: denseRaster(p.raster.predicted),
        },
      ]),
    });
  }
  return { title: `Curves and rasters of each model on its own data (${loss})`, blocks };
}

function mapHeatmap(m: ReducedMap, title: string): Figure {
  const z: number[][] = [];
  for (let i = 0; i < m.size; i++) z.push(m.values.slice(i * m.size, (i + 1) * m.size));
  const axis = (text: string) => ({ title: { text }, constrain: 'domain' });
  return {
    data: [
      {
        type: 'heatmap',
        z,
        colorscale: 'YlOrRd',
        reversescale: true,
        colorbar: { title: { text: title } },
      },
    ],
    layout: {
      xaxis: axis(`key bin (÷${m.binsPerCell})`),
      yaxis: { ...axis(`query bin (÷${m.binsPerCell})`), autorange: 'reversed', scaleanchor: 'x' },
      margin: { t: 20 },
    },
  };
}

function interpretationSection(s: LoadedStudy, loss: string): Section {
  const blocks: Block[] = [];
  for (const cell of selfCells(s, loss)) {
    const x = cell.probes!.interpretation;
    blocks.push({
      kind: 'text',
      text: `${cell.source}: test bins ${x.window.start}–${x.window.start + x.window.bins - 1}, last layer, mean over heads.`,
    });
    blocks.push({ kind: 'figure', height: 420, figure: mapHeatmap(x.attention, 'attention') });
    blocks.push({
      kind: 'figure',
      height: 420,
      figure: mapHeatmap(x.awi, 'AWI'),
      caption:
        'Attention-weighted importance AWI_ij = A_ij · G_j, G_j = Σ_k |∂L/∂h_jk| at the embedding.',
    });
    blocks.push({
      kind: 'figure',
      height: 300,
      figure: {
        data: [
          {
            type: 'scatter',
            mode: 'lines',
            name: 'mean attention by offset',
            y: x.attentionByOffset,
          },
          {
            type: 'scatter',
            mode: 'lines',
            name: 'gradient importance G_j',
            y: x.gradientImportance,
            xaxis: 'x2',
            yaxis: 'y2',
          },
          {
            type: 'scatter',
            mode: 'lines',
            name: 'population spikes',
            y: x.inputActivity,
            xaxis: 'x2',
            yaxis: 'y3',
            line: { color: '#999' },
          },
        ],
        layout: {
          grid: { rows: 1, columns: 2, pattern: 'independent' },
          xaxis: { title: { text: 'offset from the diagonal (bins)' } },
          yaxis: { title: { text: 'attention' } },
          xaxis2: { title: { text: 'input bin' } },
          yaxis2: { title: { text: 'G_j' } },
          yaxis3: { overlaying: 'y2', anchor: 'x2', side: 'right', title: { text: 'spikes' } },
          margin: { t: 20 },
        },
      },
    });
    blocks.push({
      kind: 'table',
      headers: ['relation to input firing', 'Pearson r', 'p'],
      rows: Object.entries(x.correlations).map(([name, c]) => [
        name,
        // NaN (saved as null) when a side is constant, e.g. a model kept at its GLM start.
        Number.isFinite(c.r) ? c.r.toFixed(3) : '–',
        Number.isFinite(c.p) ? c.p.toExponential(2) : '–',
      ]),
    });
  }
  return { title: `Interpretability (${loss})`, blocks };
}

function generationSection(s: LoadedStudy, loss: string): Section {
  const blocks: Block[] = [];
  const f = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '–');
  for (const cell of selfCells(s, loss)) {
    const g = cell.probes?.generation;
    if (!g) continue;
    const row = (name: string, x: typeof g.observed) => [
      name,
      f(x.meanRateHz, 2),
      f(x.meanPairwiseCorrelation),
      f(x.burstsPerSecond, 2),
      f(x.meanBurstSpikes, 1),
    ];
    blocks.push({
      kind: 'table',
      headers: [
        cell.source,
        'rate (Hz)',
        'pairwise r',
        'bursts/s',
        'spikes/burst',
        'rate r vs observed',
        'ISI KS',
        'pairwise r match',
      ],
      rows: [
        [...row('observed', g.observed), '', '', ''],
        ...Object.entries(g.samples).map(([name, x]) => [
          ...row(name, x),
          f(x.rateCorrelation),
          f(x.isiKs),
          f(x.pairwiseCorrelationMatch),
        ]),
      ],
      caption: `${g.observed.bins} bins generated free-running after the first ${g.seedBins} test bins, against the ${g.observed.bins} observed bins that followed. Pairwise r: spike counts in 20 ms bins; bursts: 10 ms population counts above the observed mean + 3 sd. Rate r: across units; ISI KS: distance of pooled ISI distributions (0 = identical).`,
    });
  }
  if (blocks.length === 0)
    blocks.push({ kind: 'text', text: 'No generation comparison in this study (older cells).' });
  return { title: `Generation (${loss})`, blocks };
}

function ablationSection(s: LoadedStudy, loss: string): Section {
  const cells = selfCells(s, loss);
  const names = cells.length
    ? Object.keys(cells[0].probes!.ablations.change).filter((n) => n !== 'intact')
    : [];
  const bars = (metric: 'rocAuc' | 'prAuc') =>
    cells.map((c) => ({
      type: 'bar',
      name: c.source,
      x: names,
      y: names.map((n) => c.probes!.ablations.change[n as AblationName][metric]),
    }));
  return {
    title: `Ablations (${loss})`,
    blocks: [
      {
        kind: 'figure',
        height: 360,
        figure: {
          data: bars('rocAuc'),
          layout: {
            barmode: 'group',
            yaxis: { title: { text: 'Δ ROC-AUC (ablated − intact)' } },
            margin: { t: 20 },
          },
        },
        caption: `Each model on a seeded sample of its own test bins (${cells[0]?.probes?.ablations.sampledBins ?? 0} bins): attention disabled, and units shuffled within each bin over the most recent 50 % / 95 % of the context.`,
      },
      {
        kind: 'figure',
        height: 360,
        figure: {
          data: bars('prAuc'),
          layout: { barmode: 'group', yaxis: { title: { text: 'Δ PR-AUC' } }, margin: { t: 20 } },
        },
      },
    ],
  };
}

function metadataSection(s: LoadedStudy): Section {
  const { result } = s;
  const timing: (string | number)[][] = [];
  for (const [loss, rows] of Object.entries(s.cells))
    rows.forEach((row) =>
      row.forEach((c) =>
        timing.push([
          `${loss}: ${c.source} → ${c.target}`,
          c.seconds?.training !== undefined ? c.seconds.training.toFixed(1) : '',
          c.seconds ? c.seconds.scoring.toFixed(1) : '',
        ]),
      ),
    );
  const pre = (text: string) => ({ kind: 'html' as const, html: `<pre>${escapeHtml(text)}</pre>` });
  return {
    title: 'Run metadata',
    blocks: [
      {
        kind: 'table',
        headers: ['field', 'value'],
        rows: [
          ['manifest', result.run.manifest],
          ['neurobridge', result.run.codeVersion],
          ['node', result.run.node],
          ['preset', result.run.preset],
          ['seed', result.run.seed],
          ['unit alignment (cross-dataset cells)', result.unitAlignment],
          [
            "calibration on the target's validation split (cross-dataset cells)",
            result.transferCalibration ?? 'none',
          ],
          [
            'cells computed in the last run / reused from the cache',
            `${result.computedCells} / ${result.cachedCells}`,
          ],
          ['last run started', result.run.startedAt],
          ['last run took (s)', result.run.seconds.toFixed(1)],
        ],
      },
      { kind: 'text', text: 'Manifest:' },
      pre(s.manifestText),
      { kind: 'text', text: 'Training configuration per loss:' },
      pre(JSON.stringify(result.run.config, null, 2)),
      {
        kind: 'table',
        headers: ['cell', 'training (s)', 'scoring (s)'],
        rows: timing,
        caption:
          'Times of the run that computed each cell (cached cells keep their original times).',
      },
    ],
  };
}
