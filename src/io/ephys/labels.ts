/**
 * Cell labels from a metadata table: the id column and the label column are named by the
 * user (`Revised_subclass_label`, `T-type Label`, `RNA family` …). `firstWord` keeps the
 * label's first word (Allen t-types such as "Sst Calb2 Pdlim5" → subclass "Sst").
 */
import { InputError } from '../../core/errors.js';
import { columnIndex, readDelimited } from '../table.js';
import { expectFile } from '../h5.js';

export interface LabelOptions {
  idColumn: string;
  labelColumn: string;
  firstWord?: boolean;
}

export interface LabelTable {
  path: string;
  column: string;
  /** id → label (cells with an empty label are left out). */
  labels: Map<string, string>;
  /** 1-based line of each id, for error messages. */
  lines: Map<string, number>;
}

export function readLabels(path: string, o: LabelOptions): LabelTable {
  expectFile(path, 'a metadata table (CSV/TSV)');
  const t = readDelimited(path);
  const idAt = columnIndex(t, o.idColumn, 'id column');
  const labelAt = columnIndex(t, o.labelColumn, 'label column');
  const labels = new Map<string, string>();
  const lines = new Map<string, number>();
  t.rows.forEach((row, r) => {
    const id = (row[idAt] ?? '').trim();
    let label = (row[labelAt] ?? '').trim();
    if (o.firstWord) label = label.split(/\s+/)[0] ?? '';
    if (!id || !label) return;
    if (labels.has(id))
      throw new InputError(
        path,
        `line ${t.lines[r]}`,
        `cell id '${id}' repeats line ${lines.get(id)}`,
      );
    labels.set(id, label);
    lines.set(id, t.lines[r]);
  });
  return { path, column: o.labelColumn, labels, lines };
}

/** How ids of two tables are matched: exactly, or ignoring case and non-alphanumerics (`20171204_sample_2` = `20171204sample2`). */
export type IdMatch = 'exact' | 'alphanumeric';

export function idKey(id: string, match: IdMatch): string {
  return match === 'exact' ? id : id.toLowerCase().replace(/[^0-9a-z]/g, '');
}

/** The labels of the cells among `ids` only (a metadata table often covers far more cells). */
export function labelsOf(table: LabelTable, ids: string[], match: IdMatch): LabelTable {
  const keys = new Set(ids.map((id) => idKey(id, match)));
  return {
    ...table,
    labels: new Map([...table.labels].filter(([id]) => keys.has(idKey(id, match)))),
  };
}
