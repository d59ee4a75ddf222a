/**
 * One self-contained HTML page for any neurobridge report: Plotly (bundled from
 * plotly.js-dist-min, inlined so the file opens offline with no CDN), figures given as
 * Plotly {data, layout} JSON, HTML tables and inline SVG. Each system's report module builds
 * `Section`s; this module only lays them out.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

export type Block =
  | { kind: 'figure'; figure: Figure; caption?: string; height?: number }
  | { kind: 'table'; headers: string[]; rows: (string | number)[][]; caption?: string }
  | { kind: 'text'; text: string }
  /** Trusted markup made by neurobridge itself (e.g. SVG rasters); never user text. */
  | { kind: 'html'; html: string };

export interface Section {
  title: string;
  blocks: Block[];
}

export interface Page {
  title: string;
  subtitle?: string;
  sections: Section[];
}

let plotlySource: string | null = null;

function plotly(): string {
  if (plotlySource === null) {
    const require = createRequire(import.meta.url);
    // A literal "</script" inside the bundle would end the inline element early.
    plotlySource = readFileSync(require.resolve('plotly.js-dist-min'), 'utf8').replace(
      /<\/script/gi,
      '<\\/script',
    );
  }
  return plotlySource;
}

export function escapeHtml(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d232a;background:#fafafa}
header{background:#1d3557;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:22px}header p{margin:4px 0 0;opacity:.85}
nav{padding:8px 32px;background:#e9eef3;font-size:14px}nav a{margin-right:14px;color:#1d3557}
main{padding:8px 32px 48px;max-width:1200px}
section{background:#fff;border:1px solid #dde3ea;border-radius:6px;padding:12px 20px;margin:18px 0}
h2{font-size:18px;margin:6px 0 12px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #dde3ea;padding:4px 8px;text-align:right}th{background:#f1f4f7}
td:first-child,th:first-child{text-align:left}
.caption{font-size:13px;color:#4a5561;margin:4px 0 12px}
.figure{width:100%}pre{font-size:12px;background:#f5f7f9;padding:8px;overflow:auto}
svg{max-width:100%;height:auto}
`;

const RENDER = `
(function(){
  var figures = JSON.parse(document.getElementById('nb-figures').textContent);
  figures.forEach(function(f){
    var config = {responsive:true, displaylogo:false};
    Plotly.newPlot(document.getElementById(f.id), f.figure.data, f.figure.layout, config);
  });
})();
`;

export function renderPage(page: Page): string {
  const figures: { id: string; figure: Figure }[] = [];
  const body = page.sections
    .map((section, s) => {
      const anchor = `s${s}`;
      const blocks = section.blocks
        .map((b) => {
          if (b.kind === 'figure') {
            const id = `fig${figures.length}`;
            figures.push({ id, figure: b.figure });
            const caption = b.caption ? `<p class="caption">${escapeHtml(b.caption)}</p>` : '';
            return `<div class="figure" id="${id}" style="height:${b.height ?? 420}px"></div>${caption}`;
          }
          if (b.kind === 'table') {
            const head = b.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
            const rows = b.rows
              .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(String(c))}</td>`).join('')}</tr>`)
              .join('\n');
            const caption = b.caption ? `<p class="caption">${escapeHtml(b.caption)}</p>` : '';
            return `<table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>${caption}`;
          }
          if (b.kind === 'text') return `<p>${escapeHtml(b.text)}</p>`;
          return b.html;
        })
        .join('\n');
      return `<section id="${anchor}"><h2>${escapeHtml(section.title)}</h2>\n${blocks}</section>`;
    })
    .join('\n');
  const nav = page.sections.map((s, i) => `<a href="#s${i}">${escapeHtml(s.title)}</a>`).join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
<script>${plotly()}</script>
</head><body>
<header><h1>${escapeHtml(page.title)}</h1>${page.subtitle ? `<p>${escapeHtml(page.subtitle)}</p>` : ''}</header>
<nav>${nav}</nav>
<main>
${body}
</main>
<script type="application/json" id="nb-figures">${scriptJson(figures)}</script>
<script>${RENDER}</script>
</body></html>
`;
}

/** A confusion matrix as an annotated heatmap (rows true, columns predicted). */
export function confusionFigure(classes: (string | number)[], counts: number[][]): Figure {
  return {
    data: [
      {
        type: 'heatmap',
        z: counts,
        x: classes,
        y: classes,
        colorscale: 'Blues',
        text: counts.map((r) => r.map(String)),
        texttemplate: '%{text}',
      },
    ],
    layout: {
      xaxis: { title: { text: 'predicted' }, type: 'category' },
      yaxis: { title: { text: 'true' }, type: 'category', autorange: 'reversed' },
      margin: { t: 20 },
    },
  };
}

/**
 * A 2-D scatter with one trace (colour) per group, groups in sorted order: embedding maps
 * and feature spaces coloured by class or species. `title` is optional; the top margin makes
 * room for it.
 */
export function groupScatterFigure(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  groups: string[],
  o: { xTitle: string; yTitle: string; markerSize: number; title?: string },
): Figure {
  return {
    data: [...new Set(groups)].sort().map((g) => {
      const idx = groups.flatMap((v, i) => (v === g ? [i] : []));
      return {
        type: 'scattergl',
        mode: 'markers',
        name: g,
        x: idx.map((i) => x[i]),
        y: idx.map((i) => y[i]),
        marker: { size: o.markerSize },
      };
    }),
    layout: {
      ...(o.title ? { title: { text: o.title, font: { size: 13 } } } : {}),
      xaxis: { title: { text: o.xTitle } },
      yaxis: { title: { text: o.yTitle } },
      margin: { t: o.title ? 30 : 20 },
    },
  };
}
