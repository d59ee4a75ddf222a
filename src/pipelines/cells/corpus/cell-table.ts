/**
 * Cell annotations from a separate table, the way most published matrices come (a 10x folder
 * or a dense table plus a metadata CSV): the table's first column is the cell id (barcode),
 * every other column becomes an annotation (`obs`). Also: keeping a subset of the cells by an
 * annotation, and undoing R's renaming of gene names.
 */
import { InputError, UsageError } from '../../../core/errors.js';
import type { CountMatrix } from '../../../io/cells/types.js';
import { readDelimited } from '../../../io/table.js';
import type { MouseCaseRestorer } from './gene-case.js';

/** A table of cell annotations, read once, joined to matrices (whole, or chunk by chunk). */
export interface CellTable {
  file: string;
  /**
   * The matrix with the table's columns as annotations; every cell must have a row.
   * `cells`: how an error names the matrix's cells (default: "the N cells of PATH").
   */
  annotate: (matrix: CountMatrix, cells?: string) => CountMatrix;
}

export function readCellTable(file: string): CellTable {
  const t = readDelimited(file);
  if (t.header.length < 2)
    throw new InputError(file, undefined, 'expected a cell id column and at least one annotation');
  const rowOf = new Map<string, number>();
  t.rows.forEach((r, i) => {
    const id = (r[0] ?? '').trim();
    if (rowOf.has(id))
      throw new InputError(file, `line ${t.lines[i]}`, `cell id '${clip(id)}' appears twice`);
    rowOf.set(id, i);
  });
  const annotate = (matrix: CountMatrix, cells?: string): CountMatrix => {
    const missing = matrix.cellIds.filter((id) => !rowOf.has(id));
    if (missing.length > 0)
      throw new InputError(
        file,
        t.header[0],
        `${missing.length} of ${cells ?? `the ${matrix.nCells} cells of ${matrix.source.path}`} have no row, e.g. ${missing
          .slice(0, 3)
          .map((m) => `'${clip(m)}'`)
          .join(', ')}; expected the first column to hold the matrix's cell ids`,
      );
    const obs = { ...matrix.obs };
    t.header.slice(1).forEach((name, k) => {
      obs[name] = matrix.cellIds.map((id) => (t.rows[rowOf.get(id)!][k + 1] ?? '').trim());
    });
    return { ...matrix, obs };
  };
  return { file, annotate };
}

/** Joins the table at `file` to the matrix's cells by id; every cell must have a row. */
export function attachCellTable(matrix: CountMatrix, file: string): CountMatrix {
  return readCellTable(file).annotate(matrix);
}

/** The cells whose annotation `column` equals `value` (as text); none is an error. */
export function selectCells(matrix: CountMatrix, column: string, value: string): CountMatrix {
  const preparer = new CellPreparer(matrix.source.path, { select: [{ column, value }] });
  const kept = preparer.prepare(matrix);
  preparer.finish();
  return kept;
}

/** What a corpus' cells go through before encoding. */
export interface CellPreparation {
  /** Undo R's renaming of gene names. */
  unmangleRNames?: boolean;
  /** Give upper-cased mouse symbols their case back (after undoing R's renaming). */
  restoreMouseCase?: MouseCaseRestorer;
  /** Annotations joined by cell id. */
  cellTable?: CellTable;
  /** Keep only the cells whose annotation `column` is `value`, one selection after another. */
  select?: { column: string; value: string }[];
}

/**
 * Applies a corpus' preparation to its matrix, whole or chunk by chunk (a streamed file),
 * and tells at the end which selection, if any, left no cell at all.
 */
export class CellPreparer {
  /** Cells kept after each selection, over every matrix prepared so far. */
  private readonly kept: number[];
  /** Up to 10 distinct values each selection's column had (for the error). */
  private readonly values: Set<string>[];

  constructor(
    private readonly path: string,
    private readonly p: CellPreparation,
  ) {
    this.kept = (p.select ?? []).map(() => 0);
    this.values = (p.select ?? []).map(() => new Set());
  }

  /** `cells`: how a missing-row error names the matrix's cells (default: the whole file). */
  prepare(matrix: CountMatrix, cells?: string): CountMatrix {
    const rename = geneNameRepair(this.p);
    let m = rename ? renameGenes(matrix, rename) : matrix;
    if (this.p.cellTable) m = this.p.cellTable.annotate(m, cells);
    for (const [i, x] of (this.p.select ?? []).entries()) {
      if (m.nCells === 0) break;
      for (const v of m.obs[x.column] ?? [])
        if (this.values[i].size < 10) this.values[i].add(String(v));
      m = cellsWhere(m, x.column, x.value);
      this.kept[i] += m.nCells;
    }
    return m;
  }

  /** Fails for the first selection no cell met. */
  finish(): void {
    const i = this.kept.findIndex((k) => k === 0);
    if (i < 0) return;
    const x = this.p.select![i];
    throw noCellSelected(this.path, x.column, x.value, [...this.values[i]]);
  }
}

/** The cells whose annotation `column` equals `value`, possibly none (one chunk of a stream). */
export function cellsWhere(matrix: CountMatrix, column: string, value: string): CountMatrix {
  const values = matrix.obs[column];
  if (!values)
    throw new UsageError(
      `option \`select\` ${column}=${value}: ${matrix.source.path} has no annotation '${column}'; it has: ${
        Object.keys(matrix.obs).join(', ') || '(none: add option `cellTables`)'
      }`,
    );
  return subsetCells(
    matrix,
    values.flatMap((v, i) => (String(v) === value ? [i] : [])),
  );
}

/** The error for a selection no cell of `path` meets; `values`: some of the column's values. */
export function noCellSelected(
  path: string,
  column: string,
  value: string,
  values: readonly (string | number)[],
): UsageError {
  return new UsageError(
    `option \`select\` ${column}=${value}: no cell of ${path} has it; the values are ${[
      ...new Set(values.map(String)),
    ]
      .slice(0, 10)
      .join(', ')}`,
  );
}

/** The matrix restricted to the cells at `rows` (in that order). */
export function subsetCells(m: CountMatrix, rows: number[]): CountMatrix {
  let nnz = 0;
  for (const r of rows) nnz += m.indptr[r + 1] - m.indptr[r];
  const indptr = new Float64Array(rows.length + 1);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  rows.forEach((r, k) => {
    const from = m.indptr[r];
    const to = m.indptr[r + 1];
    indices.set(m.indices.subarray(from, to), indptr[k]);
    data.set(m.data.subarray(from, to), indptr[k]);
    indptr[k + 1] = indptr[k] + (to - from);
  });
  return {
    ...m,
    nCells: rows.length,
    indptr,
    indices,
    data,
    cellIds: rows.map((r) => m.cellIds[r]),
    obs: Object.fromEntries(
      Object.entries(m.obs).map(([k, v]) => [k, rows.map((r) => v[r])] as const),
    ),
  };
}

/**
 * Undoes R's `make.names` on a gene name: the `X` put before names that start with a digit
 * (`X0610007P14Rik` → `0610007P14Rik`) and `.` for `-` (`H2.Aa` → `H2-Aa`). Names whose
 * original had brackets (`Gt(ROSA)26Sor` became `Gt.ROSA.26Sor`) cannot be recovered.
 */
export function unmangleRName(name: string): string {
  return name.replace(/^X(?=\d)/, '').replace(/\./g, '-');
}

/** The repair a preparation makes to each gene name, or undefined when it makes none. */
export function geneNameRepair(p: CellPreparation): ((name: string) => string) | undefined {
  const restorer = p.restoreMouseCase;
  if (!restorer) return p.unmangleRNames ? unmangleRName : undefined;
  const unmangle = p.unmangleRNames ? unmangleRName : (name: string) => name;
  return (name) => restorer.restore(unmangle(name));
}

export function renameGenes(m: CountMatrix, rename: (name: string) => string): CountMatrix {
  return {
    ...m,
    geneIds: m.geneIds.map(rename),
    geneSymbols: m.geneSymbols?.map(rename),
  };
}

const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}…` : s);
