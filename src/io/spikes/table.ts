/** The small tables that sit next to spike files, read with the project's table reader. */
import { readFileSync } from 'node:fs';
import { readDelimited } from '../table.js';

export interface Table {
  header: string[];
  rows: string[][];
}

/** Header and rows with cells trimmed; an empty file is an empty table. */
export function readTable(path: string): Table {
  if (readFileSync(path, 'utf8').trim() === '') return { header: [], rows: [] };
  const t = readDelimited(path);
  return { header: t.header, rows: t.rows.map((r) => r.map((c) => c.trim())) };
}
