/**
 * Dense count tables (CSV/TSV): genes × cells as R's `read.table` writes them (a header of
 * cell names one field shorter than the rows, whose first field is the gene), or cells ×
 * genes with `orientation: 'cells-by-genes'` (first column = cell id).
 */
import { InputError } from '../../core/errors.js';
import { readDelimited } from '../table.js';
import { CsrBuilder, type CountMatrix } from './types.js';
import { expectFile } from '../h5.js';

export function readDenseCounts(
  path: string,
  o: { orientation?: 'genes-by-cells' | 'cells-by-genes' } = {},
): CountMatrix {
  expectFile(path, 'a count table (CSV/TSV)');
  const t = readDelimited(path);
  const genesByCells = (o.orientation ?? 'genes-by-cells') === 'genes-by-cells';
  // R row-names convention: the header has no corner cell.
  const corner = t.rows.length > 0 && t.rows[0].length === t.header.length + 1 ? 0 : 1;
  const columnNames = t.header.slice(corner);
  const rowNames = t.rows.map((r) => r[0]);
  const values = t.rows.map((r, i) => {
    if (r.length !== columnNames.length + 1)
      throw new InputError(
        path,
        `line ${t.lines[i]}`,
        `has ${r.length} fields; expected ${columnNames.length + 1}`,
      );
    return r.slice(1).map((v, j) => {
      const x = Number(v);
      if (!Number.isFinite(x))
        throw new InputError(
          path,
          `line ${t.lines[i]}, column '${columnNames[j]}'`,
          `expected a count, got '${v}'`,
        );
      return x;
    });
  });
  const cells = genesByCells ? columnNames : rowNames;
  const genes = genesByCells ? rowNames : columnNames;
  const at = (c: number, g: number) => (genesByCells ? values[g][c] : values[c][g]);
  const csr = new CsrBuilder();
  for (let c = 0; c < cells.length; c++) csr.addRow(genes.length, (g) => at(c, g));
  return {
    nCells: cells.length,
    nGenes: genes.length,
    ...csr.build(),
    cellIds: cells,
    geneIds: genes,
    obs: {},
    var: {},
    source: { format: 'csv', path },
  };
}
