/** The small tables that sit next to spike files (ALF intervals, Phy cluster labels, CSV spike lists), read with the project's table reader (io/table.ts). */
import { readDelimited, readText } from '../table.js';

export interface Table {
  header: string[];
  rows: string[][];
}

/** Header and rows with cells trimmed; an empty file is an empty table. */
export function readTable(path: string): Table {
  if (readText(path).trim() === '') return { header: [], rows: [] };
  const t = readDelimited(path);
  return { header: t.header, rows: t.rows.map((r) => r.map((c) => c.trim())) };
}
