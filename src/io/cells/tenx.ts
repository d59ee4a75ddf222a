/**
 * 10x Genomics count matrices: the Matrix Market folder (`matrix.mtx[.gz]` genes × barcodes,
 * `features.tsv[.gz]` or `genes.tsv`, `barcodes.tsv[.gz]`) and the Cell Ranger HDF5 file
 * (`/matrix/{data, indices, indptr, shape, barcodes, features/{id, name}}`, CSC by barcode).
 * Both become cells × genes CSR. Duplicate gene names are kept (ids stay distinct rows).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../../core/errors.js';
import { dataset, numbers, openH5 } from '../h5.js';
import type { CountMatrix } from './types.js';

function readMaybeGz(path: string): string {
  const bytes = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

function firstExisting(dir: string, names: string[], what: string): string {
  for (const n of names) if (existsSync(join(dir, n))) return join(dir, n);
  throw new InputError(dir, what, `expected one of ${names.join(', ')}`);
}

/** Cells × genes CSR from (gene, cell, value) triplets. */
function fromTriplets(nCells: number, genes: Int32Array, cells: Int32Array, values: Float32Array) {
  const order = Array.from(cells.keys()).sort((a, b) => cells[a] - cells[b] || genes[a] - genes[b]);
  const indptr = new Float64Array(nCells + 1);
  for (const c of cells) indptr[c + 1]++;
  for (let c = 0; c < nCells; c++) indptr[c + 1] += indptr[c];
  return {
    indptr,
    indices: Int32Array.from(order, (k) => genes[k]),
    data: Float32Array.from(order, (k) => values[k]),
  };
}

export function readTenxMtx(dir: string): CountMatrix {
  const mtx = firstExisting(dir, ['matrix.mtx.gz', 'matrix.mtx'], 'matrix');
  const featuresFile = firstExisting(
    dir,
    ['features.tsv.gz', 'features.tsv', 'genes.tsv.gz', 'genes.tsv'],
    'features',
  );
  const barcodesFile = firstExisting(dir, ['barcodes.tsv.gz', 'barcodes.tsv'], 'barcodes');
  const lines = readMaybeGz(mtx).split(/\r?\n/);
  if (!/^%%MatrixMarket matrix coordinate (integer|real) general/i.test(lines[0] ?? ''))
    throw new InputError(
      mtx,
      'line 1',
      `expected '%%MatrixMarket matrix coordinate integer|real general', got '${lines[0]}'`,
    );
  let at = 1;
  while (at < lines.length && lines[at].startsWith('%')) at++;
  const [nGenes, nCells, nnz] = (lines[at] ?? '').trim().split(/\s+/).map(Number);
  if (![nGenes, nCells, nnz].every(Number.isInteger))
    throw new InputError(
      mtx,
      `line ${at + 1}`,
      `expected 'rows columns entries', got '${lines[at]}'`,
    );
  const genes = new Int32Array(nnz);
  const cells = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let k = 0;
  for (let i = at + 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const [g, c, v] = line.split(/\s+/).map(Number);
    if (!(g >= 1 && g <= nGenes && c >= 1 && c <= nCells && Number.isFinite(v)))
      throw new InputError(
        mtx,
        `line ${i + 1}`,
        `entry '${line}' is outside ${nGenes} × ${nCells} or not numeric`,
      );
    if (k >= nnz)
      throw new InputError(
        mtx,
        `line ${i + 1}`,
        `more entries than the ${nnz} the header declares`,
      );
    genes[k] = g - 1;
    cells[k] = c - 1;
    values[k++] = v;
  }
  if (k !== nnz)
    throw new InputError(
      mtx,
      'entries',
      `the header declares ${nnz} entries, the file has ${k} (truncated?)`,
    );
  const features = readMaybeGz(featuresFile)
    .split(/\r?\n/)
    .filter(Boolean)
    .map((l) => l.split('\t'));
  const barcodes = readMaybeGz(barcodesFile).split(/\r?\n/).filter(Boolean);
  if (features.length !== nGenes)
    throw new InputError(
      featuresFile,
      undefined,
      `${features.length} features but the matrix has ${nGenes} rows`,
    );
  if (barcodes.length !== nCells)
    throw new InputError(
      barcodesFile,
      undefined,
      `${barcodes.length} barcodes but the matrix has ${nCells} columns`,
    );
  return {
    nCells,
    nGenes,
    ...fromTriplets(nCells, genes, cells, values),
    cellIds: barcodes,
    geneIds: features.map((f) => f[0]),
    geneSymbols: features.map((f) => f[1] ?? f[0]),
    obs: {},
    var: {},
    source: { format: '10x-mtx', path: dir },
  };
}

export async function readTenxH5(path: string): Promise<CountMatrix> {
  const f = await openH5(path);
  try {
    const get = (p: string) => dataset(f, path, p);
    const shape = Array.from(numbers(get('matrix/shape'), path));
    const [nGenes, nCells] = shape;
    const indptr = numbers(get('matrix/indptr'), path);
    const indices = Int32Array.from(numbers(get('matrix/indices'), path));
    const data = Float32Array.from(numbers(get('matrix/data'), path));
    if (indptr.length !== nCells + 1)
      throw new InputError(
        path,
        'matrix/indptr',
        `has ${indptr.length} entries; ${nCells} barcodes need ${nCells + 1}`,
      );
    const strings = (p: string) => Array.from(get(p).value as ArrayLike<unknown>, String);
    const barcodes = strings('matrix/barcodes');
    const hasFeatures = f.get('matrix/features') !== null;
    const ids = strings(hasFeatures ? 'matrix/features/id' : 'matrix/genes');
    const names = strings(hasFeatures ? 'matrix/features/name' : 'matrix/gene_names');
    // Stored CSC by barcode = CSR with cells as rows: exactly the layout wanted.
    for (let k = 0; k < indices.length; k++)
      if (indices[k] < 0 || indices[k] >= nGenes)
        throw new InputError(
          path,
          'matrix/indices',
          `index ${indices[k]} at ${k} is outside 0..${nGenes - 1}`,
        );
    return {
      nCells,
      nGenes,
      indptr,
      indices,
      data,
      cellIds: barcodes,
      geneIds: ids,
      geneSymbols: names,
      obs: {},
      var: {},
      source: { format: '10x-h5', path },
    };
  } finally {
    f.close();
  }
}
