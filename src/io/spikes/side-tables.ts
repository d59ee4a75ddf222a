/** The small tables that sit next to spike files (ALF intervals, Phy cluster labels, CSV spike lists), read with the project's table reader (io/table.ts). */
import { InputError } from '../../core/errors.js';
import { excerpt, parseDecimal, readDelimited, readText } from '../table.js';

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

/**
 * A sampling rate `KEY = number` from a sorter's params file (Phy's params.py, a CIRCUS
 * .params INI): undefined when there is no such line, an InputError naming the file and the
 * key when the file cannot be read or the value is not a finite positive number (`1e999`
 * would put every spike at time 0). `commentChars` end the value (`#`, and `;` in INI files).
 */
export function paramsRate(
  paramsPath: string,
  key: string,
  commentChars = '#',
): number | undefined {
  const text = readText(paramsPath, key);
  const m = new RegExp(`^\\s*${key}\\s*=[ \\t]*([^\\r\\n${commentChars}]*)`, 'm').exec(text);
  if (!m) return undefined;
  const v = parseDecimal(m[1]);
  if (!(Number.isFinite(v) && v > 0)) {
    throw new InputError(
      paramsPath,
      key,
      `expected a finite positive number of Hz, got '${excerpt(m[1].trim())}'`,
    );
  }
  return v;
}
