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
