/**
 * Delimited tables (CSV/TSV) for every reader in the project, parsed with csv-parse:
 * quotes, CRLF and BOMs handled; the delimiter is taken from the header line (tab when it
 * has more tabs than commas: some published "CSV" files are tab-separated); every row keeps
 * its 1-based line number so errors can name it. `.gz` files are decompressed first.
 */
import {
  closeSync,
  lstatSync,
  openSync,
  readFileSync,
  readSync,
  readlinkSync,
  statSync,
} from 'node:fs';
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
    throw new InputError(
      path,
      e.lines ? `line ${e.lines}` : undefined,
      excerpt(e.message.split('\n')[0], 200),
    );
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
export function readText(path: string, field?: string): string {
  requireFile(path, field);
  let buf: Buffer;
  try {
    const size = statSync(path).size;
    if (size > MAX_TEXT_BYTES) throw tooLarge(path, field, `is ${size} bytes`);
    buf = readFileSync(path);
  } catch (err) {
    throw fsInputError(path, field, err);
  }
  if (!/\.gz$/i.test(path)) return buf.toString('utf8');
  let text: Buffer;
  try {
    text = gunzipSync(buf, { maxOutputLength: MAX_TEXT_BYTES });
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ||
      err instanceof RangeError
    ) {
      throw tooLarge(path, field, `decompresses to more than ${MAX_TEXT_BYTES} bytes`);
    }
    throw new InputError(
      path,
      field,
      `not a readable gzip file (${excerpt(String((err as Error).message), 120)})`,
    );
  }
  return text.toString('utf8');
}

/**
 * Largest text read whole: V8's longest string (2^29 − 24 UTF-16 units) caps it anyway,
 * and past that `toString` fails with a stack trace instead of a message.
 */
const MAX_TEXT_BYTES = 2 ** 29 - 24;

function tooLarge(path: string, field: string | undefined, what: string): InputError {
  return new InputError(
    path,
    field,
    `${what}; expected at most ${MAX_TEXT_BYTES} bytes of text (the longest string Node holds)`,
  );
}

/**
 * The first line of a text file (gzipped or not) without reading the whole file: format
 * detection looks at headers of exports that can be hundreds of megabytes.
 */
export function readFirstLine(path: string, maxBytes = 65536): string {
  requireFile(path);
  const buf = Buffer.alloc(maxBytes);
  let n: number;
  try {
    const fd = openSync(path, 'r');
    try {
      n = readSync(fd, buf, 0, maxBytes, 0);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw fsInputError(path, undefined, err);
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

/**
 * What is at `path`: a regular file, a folder, nothing, or a symbolic link to nothing
 * (a dangling link: `existsSync` says false, yet the name is listed in its folder).
 */
export function pathKind(path: string): 'file' | 'folder' | 'missing' | 'dangling' | 'other' {
  try {
    const s = statSync(path);
    return s.isDirectory() ? 'folder' : s.isFile() ? 'file' : 'other';
  } catch {
    try {
      return lstatSync(path).isSymbolicLink() ? 'dangling' : 'missing';
    } catch {
      return 'missing';
    }
  }
}

/** Why `path` cannot be read as a file, in words, or undefined when it is a readable file. */
/** What keeps `path` from being read as a regular file, or undefined when it is one. */
export function notAFile(path: string): string | undefined {
  switch (pathKind(path)) {
    case 'file':
      return undefined;
    case 'folder':
      return 'is a folder; expected a file';
    case 'missing':
      return 'file not found';
    case 'dangling': {
      let target = '?';
      try {
        target = readlinkSync(path);
      } catch {
        // Unreadable link: the message still says what is wrong.
      }
      return `is a symbolic link to '${excerpt(target)}', which does not exist; expected a file`;
    }
    case 'other':
      return 'is not a regular file (a device, socket or pipe); expected a file';
  }
}

/** An InputError unless `path` is a regular file (not a folder, a dangling link or missing). */
export function requireFile(path: string, field?: string): void {
  const problem = notAFile(path);
  if (problem) throw new InputError(path, field, problem);
}

/** A file-system error (EISDIR, ENOENT, EACCES …) met while reading `path`, as an InputError. */
export function fsInputError(path: string, field: string | undefined, err: unknown): Error {
  if (err instanceof InputError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  if (typeof code !== 'string') return err as Error;
  const problem =
    notAFile(path) ??
    (code === 'EACCES' || code === 'EPERM'
      ? 'permission denied; expected a readable file'
      : `cannot be read (${code})`);
  return new InputError(path, field, problem);
}

/**
 * A value from a file, quoted in a message: cut to `max` characters (a field can be 20 MB)
 * and with control characters escaped (`\n`, `\r`, `\x00` …), so the message stays one line
 * and cannot drive the terminal.
 */
export function excerpt(value: string, max = 80): string {
  const cut = value.length <= max ? value : `${value.slice(0, max)}… (${value.length} characters)`;
  return cut.replace(/[\u0000-\u001f\u007f]/g, (c) =>
    c === '\n'
      ? '\\n'
      : c === '\r'
        ? '\\r'
        : c === '\t'
          ? '\\t'
          : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/**
 * A decimal number as written in a data file: `12`, `-0.5`, `1e-3`, `.5`. Unlike `Number()`,
 * refuses hex (`0x10` would be 16), binary, `Infinity`, empty and blank strings, so a
 * mangled cell is an error rather than a plausible number. Returns NaN when not a number;
 * an overflowing literal (`1e999`) gives ±Infinity, which callers refuse as non-finite.
 */
export function parseDecimal(text: string): number {
  const s = text.trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : NaN;
}

/** A decimal integer (`-3`, `42`; also `42.0`), or NaN. */
export function parseInteger(text: string): number {
  const v = parseDecimal(text);
  return Number.isInteger(v) ? v : NaN;
}
