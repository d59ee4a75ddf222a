/**
 * The in-memory form of a cells × genes count matrix, shared by every single-cell reader,
 * the writers, the simulator and the tokenizer. Rows are cells, stored as CSR because
 * rank-value encoding walks one cell at a time over its non-zero genes.
 */
export interface CountMatrix {
  /** Number of cells (rows). */
  nCells: number;
  /** Number of genes (columns). */
  nGenes: number;
  /** CSR row pointers, length nCells + 1. */
  indptr: Float64Array;
  /** Column (gene) index of each stored value, ascending within a row. */
  indices: Int32Array;
  /** Stored values (counts; float because files may hold normalized data). */
  data: Float32Array;
  /** Cell identifiers (barcodes or obs index), length nCells. */
  cellIds: string[];
  /** Gene identifiers as the file gives them (Ensembl ids or symbols), length nGenes. */
  geneIds: string[];
  /** Gene symbols when the file has them besides ids (10x features.tsv column 2, var columns). */
  geneSymbols?: string[];
  /** Per-cell annotations (AnnData obs / CSV columns): categorical columns decoded to strings. */
  obs: Record<string, (string | number)[]>;
  /** Per-gene annotations (AnnData var). */
  var: Record<string, (string | number)[]>;
  /** Where it came from, for error messages and report metadata. */
  source: { format: 'h5ad' | '10x-mtx' | '10x-h5' | 'csv' | 'synthetic'; path: string };
}

/** Builds CSR rows one cell at a time (readers of dense tables, simulators, tests). */
export class CsrBuilder {
  private readonly indptr: number[] = [0];
  private readonly indices: number[] = [];
  private readonly data: number[] = [];

  /** Appends one cell: `value(g)` for every gene index g < genes; zeros are not stored. */
  addRow(genes: number, value: (gene: number) => number): void {
    for (let g = 0; g < genes; g++) {
      const v = value(g);
      if (v !== 0) {
        this.indices.push(g);
        this.data.push(v);
      }
    }
    this.indptr.push(this.indices.length);
  }

  build(): Pick<CountMatrix, 'indptr' | 'indices' | 'data'> {
    return {
      indptr: Float64Array.from(this.indptr),
      indices: Int32Array.from(this.indices),
      data: Float32Array.from(this.data),
    };
  }
}
