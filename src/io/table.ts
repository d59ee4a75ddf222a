/**
 * Delimited tables (CSV/TSV) for every reader in the project, parsed with csv-parse:
 * quotes, CRLF and BOMs handled; the delimiter is taken from the header line (tab when it
 * has more tabs than commas: some published "CSV" files are tab-separated); every row keeps
 * its 1-based line number so errors can name it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { InputError } from '../core/errors.js';

export interface DelimitedTable {
  path: string;
  /** Header names, trimmed (published headers carry stray spaces). */
  header: string[];
  rows: string[][];
  /** 1-based line number of each row in the file. */
  lines: number[];
}

export function readDelimited(path: string): DelimitedTable {
  if (!existsSync(path)) throw new InputError(path, undefined, 'file not found');
  const text = readFileSync(path, 'utf8');
  const firstLine = text.slice(0, Math.max(0, text.indexOf('\n')) || text.length);
  const tabs = firstLine.split('\t').length;
  const commas = firstLine.split(',').length;
  const delimiter = path.endsWith('.tsv') || tabs > commas ? '\t' : ',';
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      delimiter,
      bom: true,
      skip_empty_lines: true,
      relax_quotes: true,
      // Callers check row widths themselves, naming the line (R tables have a header one field short).
      relax_column_count: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new InputError(path, e.lines ? `line ${e.lines}` : undefined, e.message);
  }
  if (records.length === 0) throw new InputError(path, undefined, 'the table is empty');
  return {
    path,
    header: records[0].record.map((h) => h.trim()),
    rows: records.slice(1).map((r) => r.record),
    lines: records.slice(1).map((r) => r.info.lines),
  };
}

/** Index of a column by name (trimmed, exact), or an InputError listing the columns. */
export function columnIndex(t: DelimitedTable, name: string, role = 'column'): number {
  const i = t.header.indexOf(name.trim());
  if (i < 0)
    throw new InputError(
      t.path,
      name,
      `no ${role} named '${name}'; the columns are: ${t.header.map((h) => `'${h}'`).join(', ')}`,
    );
  return i;
}
