/**
 * `neurobridge ephys extract`: current-clamp NWB files → IPFX-equivalent features, one cell
 * per file. Writes, all or nothing, `features.csv` (one row per cell, IPFX column names, usable
 * as a cohort's feature table), `sweeps.json` (every sweep's features and spikes, and the
 * excluded sweeps with their reasons), `features_fv.h5` (the 12 Gouwens et al. 2020
 * feature-vector families that `ephys evaluate` reads) and `report.html`.
 */
import { basename, join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { writeOutputSet } from '../core/atomic.js';
import { readCurrentClampSweeps } from '../io/ephys/nwb-icephys.js';
import { writeFeatureVectors } from '../io/ephys/ipfx.js';
import { extractCell, type CellExtraction } from '../pipelines/ephys/extract/extract-cell.js';
import { featureVectors } from '../pipelines/ephys/extract/feature-vectors.js';
import { renderExtraction } from '../report/ephys-extract.js';

export interface ExtractCommandOptions {
  out: string;
  stimulusWindow?: { start: number; end: number };
  /** Progress: called with (files done, sweeps done in the current file, its sweep count). */
  onProgress?: (file: string, filesDone: number, sweepsDone: number, sweeps: number) => void;
}

export interface ExtractSummary {
  cells: {
    id: string;
    file: string;
    sweeps: number;
    excluded: number;
    spikes: number;
    rheobase_i?: number;
  }[];
  files: { features: string; sweeps: string; vectors: string; report: string };
  featureVectorCells: number;
  featureVectorNotes: string[];
}

/** A cell id from the file name; repeated names get `_2`, `_3` … */
function cellIds(files: string[]): string[] {
  const seen = new Map<string, number>();
  return files.map((f) => {
    const id = basename(f).replace(/\.nwb$/i, '');
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    return n === 1 ? id : `${id}_${n}`;
  });
}

const csvField = (v: string | number) => {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
};

/** features.csv: `specimen_id` then every feature any cell has, in first-seen order. */
export function featuresCsv(cells: CellExtraction[]): string {
  const columns: string[] = [];
  for (const c of cells)
    for (const k of Object.keys(c.record)) if (!columns.includes(k)) columns.push(k);
  const rows = cells.map((c) =>
    [c.cellId, ...columns.map((k) => c.record[k] ?? NaN)].map(csvField).join(','),
  );
  return `${['specimen_id', ...columns].join(',')}\n${rows.join('\n')}\n`;
}

function sweepsJson(cells: CellExtraction[]): string {
  const sweeps = cells.flatMap((c) =>
    [c.longSquare?.sweeps, c.shortSquare?.sweeps, c.ramp?.sweeps]
      .flatMap((s) => s ?? [])
      .sort((a, b) => a.sweep_number - b.sweep_number)
      .map((s) => ({ cell: c.cellId, file: c.file, ...s })),
  );
  const excluded = cells.flatMap((c) =>
    c.excluded.map((e) => ({ cell: c.cellId, file: c.file, ...e })),
  );
  return JSON.stringify(
    { sweeps, excluded },
    (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
    1,
  );
}

export async function runEphysExtract(
  files: string[],
  o: ExtractCommandOptions,
): Promise<ExtractSummary> {
  const ids = cellIds(files);
  const cells: CellExtraction[] = [];
  for (const [k, file] of files.entries()) {
    const sweeps = await readCurrentClampSweeps(file);
    let done = 0;
    o.onProgress?.(file, k, 0, sweeps.length);
    cells.push(
      extractCell(ids[k], file, sweeps, {
        stimulusWindow: o.stimulusWindow,
        onSweep: () => o.onProgress?.(file, k, ++done, sweeps.length),
      }),
    );
  }
  const fv = featureVectors(cells);
  return writeOutputSet(o.out, async (staging) => {
    writeFileSync(join(staging, 'features.csv'), featuresCsv(cells));
    writeFileSync(join(staging, 'sweeps.json'), sweepsJson(cells));
    if (fv.ids.length) await writeFeatureVectors(join(staging, 'features_fv.h5'), fv);
    writeFileSync(join(staging, 'report.html'), renderExtraction(cells, fv.notes));
    return {
      cells: cells.map((c) => ({
        id: c.cellId,
        file: c.file,
        sweeps: c.traces.length + c.excluded.filter((e) => e.protocol === undefined).length,
        excluded: c.excluded.length,
        spikes: [c.longSquare?.sweeps, c.shortSquare?.sweeps, c.ramp?.sweeps]
          .flatMap((s) => s ?? [])
          .reduce((n, s) => n + s.spikes.length, 0),
        rheobase_i: c.longSquare?.rheobase_i,
      })),
      files: {
        features: join(o.out, 'features.csv'),
        sweeps: join(o.out, 'sweeps.json'),
        vectors: join(o.out, 'features_fv.h5'),
        report: join(o.out, 'report.html'),
      },
      featureVectorCells: fv.ids.length,
      featureVectorNotes: fv.notes,
    };
  });
}
