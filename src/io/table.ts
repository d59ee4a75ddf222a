/**
 * Delimited tables (CSV/TSV) for every reader in the project, parsed with csv-parse:
 * quotes, CRLF and BOMs handled; the delimiter is taken from the header line (tab when it
 * has more tabs than commas: some published "CSV" files are tab-separated); every row keeps
 * its 1-based line number so errors can name it. `.gz` files are decompressed first.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { constants, gunzipSync } from 'node:zlib';
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
  const text = readText(path);
  const firstLine = text.slice(0, Math.max(0, text.indexOf('\n')) || text.length);
  const tabs = firstLine.split('\t').length;
  const commas = firstLine.split(',').length;
  const delimiter = /\.tsv(\.gz)?$/i.test(path) || tabs > commas ? '\t' : ',';
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

/** A text file as a string, gunzipped when the name ends in `.gz`. */
export function readText(path: string): string {
  if (!existsSync(path)) throw new InputError(path, undefined, 'file not found');
  const buf = readFileSync(path);
  if (!/\.gz$/i.test(path)) return buf.toString('utf8');
  try {
    return gunzipSync(buf).toString('utf8');
  } catch (err) {
    throw new InputError(path, undefined, `not a readable gzip file (${(err as Error).message})`);
  }
}

/**
 * The first line of a text file (gzipped or not) without reading the whole file: format
 * detection looks at headers of exports that can be hundreds of megabytes.
 */
export function readFirstLine(path: string, maxBytes = 65536): string {
  const buf = Buffer.alloc(maxBytes);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, buf, 0, maxBytes, 0);
  } finally {
    closeSync(fd);
  }
  let text: string;
  if (/\.gz$/i.test(path)) {
    try {
      // A sync flush decompresses a truncated stream as far as it goes instead of failing.
      text = gunzipSync(buf.subarray(0, n), { finishFlush: constants.Z_SYNC_FLUSH }).toString(
        'utf8',
      );
    } catch {
      return '';
    }
  } else {
    text = buf.subarray(0, n).toString('utf8');
  }
  const end = text.search(/\r|\n/);
  return (end < 0 ? text : text.slice(0, end)).replace(/^\uFEFF/, '');
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
