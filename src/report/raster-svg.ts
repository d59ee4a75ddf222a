/**
 * SVG rasters: side-by-side binary spike matrices (e.g. true vs predicted spikes), and the
 * first seconds of a recorded session (`spikes inspect`).
 */
import { basename } from 'node:path';
import type { SpikeTrains } from '../io/spikes/index.js';
import type { BinaryRaster } from '../pipelines/spikes/data/raster.js';

export interface RasterPanel {
  label: string;
  raster: BinaryRaster;
}

/** One panel per raster, stacked vertically; at most `maxBins` bins and `maxUnits` units drawn. */
export function binaryRasterSvg(panels: RasterPanel[], maxBins = 2000, maxUnits = 128): string {
  const width = 1000;
  const rowHeight = 2;
  const labelHeight = 16;
  let y = 0;
  const parts: string[] = [];
  for (const { label, raster } of panels) {
    const bins = Math.min(maxBins, raster.bins);
    const units = Math.min(maxUnits, raster.units);
    parts.push(
      `<text x="0" y="${y + 12}" font-family="sans-serif" font-size="12">${escapeXml(label)}</text>`,
    );
    y += labelHeight;
    const path: string[] = [];
    for (let t = 0; t < bins; t++) {
      for (let u = 0; u < units; u++) {
        if (raster.data[t * raster.units + u])
          path.push(`M${((t / bins) * width).toFixed(1)} ${y + u * rowHeight}v${rowHeight}`);
      }
    }
    parts.push(`<path d="${path.join('')}" stroke="black" stroke-width="1"/>`);
    y += units * rowHeight + 8;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}">${parts.join('')}</svg>\n`;
}

/** A raster of the first `seconds` of up to `maxUnits` units of a session, captioned with its file. */
export function sessionRasterSvg(st: SpikeTrains, seconds = 30, maxUnits = 200): string {
  const w = 1000;
  const units = Math.min(maxUnits, st.unitIds.length);
  const rowH = units > 100 ? 2 : 4;
  const h = Math.max(1, units) * rowH;
  const t0 = st.times.length ? st.times[0] : 0;
  const span = Math.min(seconds, Math.max(st.durationS - t0, 1e-3));
  const parts: string[] = [];
  for (let i = 0; i < st.times.length && st.times[i] < t0 + span && parts.length < 50000; i++) {
    const u = st.unitIndex[i];
    if (u >= units) continue;
    const x = ((st.times[i] - t0) / span) * w;
    parts.push(`M${x.toFixed(1)} ${u * rowH}v${rowH}`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h + 20}" viewBox="0 0 ${w} ${h + 20}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<path d="${parts.join('')}" stroke="black" stroke-width="1"/>`,
    `<text x="4" y="${h + 15}" font-family="sans-serif" font-size="12">${escapeXml(basename(st.provenance.path))}: ${units} units, ${t0.toFixed(2)}–${(t0 + span).toFixed(2)} s</text>`,
    `</svg>\n`,
  ].join('\n');
}

/** The one XML escape of the SVG writers (text and attribute values). */
function escapeXml(s: string): string {
  return s.replace(
    /[<>&"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!,
  );
}
