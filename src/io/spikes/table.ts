/** Minimal CSV/TSV parsing for the small tables that sit next to spike files. */
import { readFileSync } from 'node:fs';

export interface Table {
  header: string[];
  rows: string[][];
}

/** Splits on tabs for .tsv, else on commas (or tabs when the header has no comma). */
export function readTable(path: string): Table {
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/).filter((l) => l.trim().length > 0);
  if (lines.length === 0) return { header: [], rows: [] };
  const sep = path.endsWith('.tsv') || !lines[0].includes(',') ? '\t' : ',';
  const split = (l: string) => l.split(sep).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  return { header: split(lines[0]), rows: lines.slice(1).map(split) };
}
