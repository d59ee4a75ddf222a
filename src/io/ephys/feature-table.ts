/**
 * Scalar electrophysiology feature tables (one row per cell, one column per feature), such
 * as IPFX's feature exports (`LeeDalley_ephys_fx.csv`) or preprocessed tables from
 * Patch-seq papers. Empty fields and NaN/NA are missing values; anything else must be a number.
 * Columns that are not features (QC flags, dates, free text) are left out by name or pattern.
 */
import { InputError } from '../../core/errors.js';
import { columnIndex, readDelimited } from '../table.js';
import { expectFile } from '../h5.js';

export interface FeatureTable {
  path: string;
  ids: string[];
  features: string[];
  /** Per cell, one value per feature; NaN = missing. */
  values: Float64Array[];
  /** Rows left out by `excludeRows`. */
  excludedRows?: number;
}

const MISSING = new Set(['', 'nan', 'na', 'n/a', 'null', 'none']);

/** A column-name pattern where `*` stands for any run of characters (`*_qc`, `failed_*`). */
export function columnPattern(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

export function readFeatureTable(
  path: string,
  o: {
    idColumn?: string;
    features?: string[];
    exclude?: string[];
    /** Rows whose column holds one of these texts are left out, e.g. { failed_qc: ['True'] }. */
    excludeRows?: Record<string, string[]>;
  } = {},
): FeatureTable {
  expectFile(path, 'a feature table (CSV/TSV)');
  const all = readDelimited(path);
  const tests = Object.entries(o.excludeRows ?? {}).map(
    ([column, texts]): [number, Set<string>] => [
      columnIndex(all, column, 'exclude_cells_where column'),
      new Set(texts),
    ],
  );
  const keep = all.rows.flatMap((row, r) =>
    tests.some(([c, texts]) => texts.has((row[c] ?? '').trim())) ? [] : [r],
  );
  const t = { ...all, rows: keep.map((r) => all.rows[r]), lines: keep.map((r) => all.lines[r]) };
  // Published tables often leave the id column's header empty (pandas index).
  const idAt = o.idColumn !== undefined ? columnIndex(t, o.idColumn, 'id column') : 0;
  const excluded = (o.exclude ?? []).map(columnPattern);
  const featureAt = (
    o.features
      ? o.features.map((f) => columnIndex(t, f, 'feature column'))
      : t.header.map((_, i) => i).filter((i) => i !== idAt)
  ).filter((i) => !excluded.some((re) => re.test(t.header[i])));
  const seen = new Map<string, number>();
  const values = t.rows.map((row, r) => {
    if (row.length !== t.header.length)
      throw new InputError(
        path,
        `line ${t.lines[r]}`,
        `has ${row.length} fields, the header ${t.header.length}`,
      );
    const id = row[idAt].trim();
    if (id === '')
      throw new InputError(
        path,
        `line ${t.lines[r]}`,
        `empty cell id in column '${t.header[idAt]}'`,
      );
    if (seen.has(id))
      throw new InputError(
        path,
        `line ${t.lines[r]}`,
        `cell id '${id}' repeats line ${seen.get(id)}`,
      );
    seen.set(id, t.lines[r]);
    return Float64Array.from(featureAt, (c) => {
      const text = row[c].trim();
      if (MISSING.has(text.toLowerCase())) return NaN;
      const v = Number(text);
      if (!Number.isFinite(v))
        throw new InputError(
          path,
          `line ${t.lines[r]}, column '${t.header[c]}'`,
          `expected a number or an empty field, got '${text}'`,
        );
      return v;
    });
  });
  return {
    path,
    ids: t.rows.map((row) => row[idAt].trim()),
    features: featureAt.map((c) => t.header[c]),
    values,
    excludedRows: all.rows.length - keep.length,
  };
}
