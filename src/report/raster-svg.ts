/** Side-by-side SVG rasters of binary spike matrices (e.g. true vs predicted spikes). */
import type { BinaryRaster } from '../pipelines/spikes/raster.js';

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

function escapeXml(s: string): string {
  return s.replace(
    /[<>&"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!,
  );
}
