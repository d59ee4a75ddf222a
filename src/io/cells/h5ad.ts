/**
 * AnnData `.h5ad` files (the on-disk spec of anndata ≥ 0.8, read through h5wasm): `X` as a
 * dense 2-D dataset or a CSR/CSC group (`data`, `indices`, `indptr`, attrs `encoding-type`,
 * `shape`; the older `h5sparse_format`/`h5sparse_shape` attrs too), `obs`/`var` dataframes
 * (`_index`, numeric and string columns, categoricals as `categories` + `codes` with −1 for
 * missing), `layers/<name>` and `raw/X` + `raw/var`. The pre-0.8 layout with compound
 * obs/var datasets is not read (an error says so).
 */
import { InputError } from '../../core/errors.js';
import { withAtomicPath } from '../../core/atomic.js';
import {
  attrValue,
  closeH5,
  createH5,
  dataset,
  getNode,
  h5call,
  isDataset,
  isGroup,
  isStringDataset,
  numbers,
  openH5,
  sliceNumbers,
  stringsOf,
  type H5Dataset,
  type H5File,
  type H5Group,
} from '../h5.js';
import { checkCompressed, checkIndices, checkIndptr, checkShape, checkValues } from './csr.js';
import { CsrBuilder, type CountMatrix } from './types.js';

type Column = (string | number)[];
type Node = H5Dataset | H5Group;

function attr(obj: Node, file: string, name: string): unknown {
  return attrValue(obj, file, name);
}

function attrStr(obj: Node, file: string, name: string): string | undefined {
  const v = attr(obj, file, name);
  return typeof v === 'string' ? v : undefined;
}

function strings(f: H5File, file: string, path: string): string[] {
  return stringsOf(dataset(f, file, path), file);
}

function readColumn(f: H5File, file: string, path: string): Column {
  const node = getNode(f, file, path);
  if (isGroup(node)) {
    const encoding = attrStr(node, file, 'encoding-type');
    if (encoding !== 'categorical')
      throw new InputError(file, path, `unsupported column group (encoding-type '${encoding}')`);
    const categories = strings(f, file, `${path}/categories`);
    const codes = numbers(dataset(f, file, `${path}/codes`), file);
    return Array.from(codes, (c, i) => {
      if (c === -1) return '';
      if (!(Number.isInteger(c) && c >= 0 && c < categories.length))
        throw new InputError(
          file,
          `${path}/codes`,
          `code ${c} of row ${i} is outside the ${categories.length} categories`,
        );
      return categories[c];
    });
  }
  if (!isDataset(node)) throw new InputError(file, path, 'missing column');
  if (isStringDataset(node, file)) return stringsOf(node, file);
  return Array.from(numbers(node, file));
}

function readDataframe(
  f: H5File,
  file: string,
  path: string,
): { index: string[]; columns: Record<string, Column> } {
  const g = getNode(f, file, path);
  if (isDataset(g))
    throw new InputError(
      file,
      path,
      'a compound dataset (anndata < 0.8 layout); re-save the file with anndata ≥ 0.8',
    );
  if (!isGroup(g)) throw new InputError(file, path, 'missing dataframe group');
  const indexName = attrStr(g, file, '_index') ?? '_index';
  const index = strings(f, file, `${path}/${indexName}`);
  const order = attr(g, file, 'column-order');
  const names = Array.isArray(order)
    ? order.map(String)
    : typeof order === 'string' && order
      ? [order]
      : [];
  const columns: Record<string, Column> = {};
  for (const name of names) {
    const col = readColumn(f, file, `${path}/${name}`);
    if (col.length !== index.length)
      throw new InputError(
        file,
        `${path}/${name}`,
        `has ${col.length} rows, the index ${index.length}`,
      );
    columns[name] = col;
  }
  return { index, columns };
}

/**
 * The most characters obs may come to as JSON. A tokenized corpus stores every cell's
 * annotations in one JSON text (`<name>.cells.json`), and V8 cannot build a string past
 * 2^29 − 24 characters: a fuzzed 16 MB category over 40 cells aborted the process.
 */
export const MAX_OBS_JSON_CHARS = 500_000_000;

/** Refuses an obs table whose JSON would pass MAX_OBS_JSON_CHARS, naming its largest column. */
function checkObsText(file: string, obs: { index: string[]; columns: Record<string, Column> }) {
  const size = (col: Column) => {
    let n = 0;
    let longest = 0;
    for (const v of col) {
      const len = typeof v === 'string' ? v.length + 3 : String(v).length + 1;
      n += len;
      if (len > longest) longest = len;
    }
    return { n, longest };
  };
  let total = 0;
  let largest = { name: '', n: -1, longest: 0 };
  for (const [name, col] of [['_index', obs.index], ...Object.entries(obs.columns)] as const) {
    const s = size(col);
    total += s.n;
    if (s.n > largest.n) largest = { name, ...s };
  }
  if (total <= MAX_OBS_JSON_CHARS) return;
  const m = (x: number) => `${(x / 1e6).toFixed(1)} million`;
  throw new InputError(
    file,
    `obs/${largest.name}`,
    `its values come to ${m(largest.n)} characters over ${obs.index.length} cells (the longest value ${m(largest.longest)}), obs ${m(total)} in all; expected at most ${m(MAX_OBS_JSON_CHARS)} characters for obs, as a tokenized corpus stores every cell's annotations in one JSON text (cells.json)`,
  );
}

interface Sparse {
  indptr: Float64Array;
  indices: Int32Array;
  data: Float32Array;
  shape: [number, number];
}

/** A dense 2-D block (rows × cols, row-major) as CSR, refusing NaN/±inf. */
function denseToCsr(values: Float64Array, rows: number, cols: number, file: string, path: string) {
  checkValues(values, file, path);
  const csr = new CsrBuilder();
  for (let r = 0; r < rows; r++) csr.addRow(cols, (c) => values[r * cols + c]);
  return csr.build();
}

/** The encoding of a sparse matrix group (anndata's encoding-type, or the h5sparse attrs). */
function sparseEncoding(g: H5Group, file: string): string {
  return attrStr(g, file, 'encoding-type') ?? `${attrStr(g, file, 'h5sparse_format')}_matrix`;
}

function readMatrix(f: H5File, file: string, path: string): Sparse {
  const node = getNode(f, file, path);
  if (isDataset(node)) {
    const [rows, cols] = denseShape(node, file);
    const values = numbers(node, file);
    return { ...denseToCsr(values, rows, cols, file, path), shape: [rows, cols] };
  }
  if (!isGroup(node)) throw new InputError(file, path, 'missing matrix');
  const encoding = sparseEncoding(node, file);
  const shape = checkShape(
    attr(node, file, 'shape') ?? attr(node, file, 'h5sparse_shape'),
    file,
    `${path} shape`,
  );
  const [major, minor] =
    encoding === 'csr_matrix' ? shape : encoding === 'csc_matrix' ? [shape[1], shape[0]] : [-1, -1];
  if (major < 0)
    throw new InputError(
      file,
      path,
      `unsupported encoding-type '${encoding}' (expected csr_matrix or csc_matrix)`,
    );
  const part = (name: string) => numbers(dataset(f, file, `${path}/${name}`), file);
  const indptr = part('indptr');
  const rawIndices = part('indices');
  const rawData = part('data');
  checkCompressed({ indptr, indices: rawIndices, data: rawData }, major, minor, file, path);
  const csr = {
    indptr,
    indices: Int32Array.from(rawIndices),
    data: Float32Array.from(rawData),
    shape,
  };
  return encoding === 'csr_matrix' ? sortRows(csr) : transposeCompressed(csr);
}

function denseShape(d: H5Dataset, file: string): [number, number] {
  const shape = h5call(file, d.path, () => d.shape ?? []);
  if (shape.length !== 2)
    throw new InputError(file, d.path, `expected a 2-D matrix, got shape (${shape.join(', ')})`);
  return shape as [number, number];
}

/** CSC (columns = genes) → CSR (rows = cells). */
function transposeCompressed(csc: Sparse): Sparse {
  const [rows, cols] = csc.shape;
  const counts = new Float64Array(rows + 1);
  for (const r of csc.indices) counts[r + 1]++;
  for (let r = 0; r < rows; r++) counts[r + 1] += counts[r];
  const indptr = Float64Array.from(counts);
  const next = Float64Array.from(counts);
  const indices = new Int32Array(csc.indices.length);
  const data = new Float32Array(csc.data.length);
  for (let c = 0; c < cols; c++)
    for (let k = csc.indptr[c]; k < csc.indptr[c + 1]; k++) {
      const at = next[csc.indices[k]]++;
      indices[at] = c;
      data[at] = csc.data[k];
    }
  return { indptr, indices, data, shape: csc.shape };
}

/** Column indices ascending within each row (the spec does not require it; the tokenizer does not care, but equality checks do). */
function sortRows(m: Sparse): Sparse {
  for (let r = 0; r < m.shape[0]; r++) {
    const a = m.indptr[r];
    const b = m.indptr[r + 1];
    let sorted = true;
    for (let k = a + 1; k < b; k++) if (m.indices[k - 1] > m.indices[k]) sorted = false;
    if (sorted) continue;
    const order = Array.from({ length: b - a }, (_, i) => a + i).sort(
      (x, y) => m.indices[x] - m.indices[y],
    );
    const idx = order.map((k) => m.indices[k]);
    const val = order.map((k) => m.data[k]);
    m.indices.set(idx, a);
    m.data.set(val, a);
  }
  return m;
}

export interface H5adOptions {
  /** Read `layers/<name>` instead of `X`. */
  layer?: string;
  /** Read `raw/X` and `raw/var`. */
  raw?: boolean;
}

/** What every read needs besides X: the matrix path, obs, var and gene symbols, checked against X's shape. */
function describe(f: H5File, path: string, o: H5adOptions) {
  const matrixPath = o.raw ? 'raw/X' : o.layer ? `layers/${o.layer}` : 'X';
  if (!getNode(f, path, matrixPath)) {
    const layers = getNode(f, path, 'layers');
    const names = isGroup(layers) ? h5call(path, 'layers', () => layers.keys()) : [];
    throw new InputError(
      path,
      matrixPath,
      `not in the file${o.layer ? `; layers: ${names.join(', ') || 'none'}` : ''}`,
    );
  }
  const [rows, cols] = matrixShape(f, path, matrixPath);
  const obs = readDataframe(f, path, 'obs');
  checkObsText(path, obs);
  const varPath = o.raw ? 'raw/var' : 'var';
  const v = readDataframe(f, path, varPath);
  if (obs.index.length !== rows)
    throw new InputError(
      path,
      'obs',
      `has ${obs.index.length} cells but ${matrixPath} has ${rows} rows`,
    );
  if (v.index.length !== cols)
    throw new InputError(
      path,
      varPath,
      `has ${v.index.length} genes but ${matrixPath} has ${cols} columns`,
    );
  const symbols = ['gene_symbols', 'feature_name', 'gene_name', 'symbol'].find(
    (c) => c in v.columns,
  );
  return { matrixPath, obs, v, geneSymbols: symbols ? v.columns[symbols].map(String) : undefined };
}

function assemble(
  path: string,
  m: Sparse,
  d: ReturnType<typeof describe>,
  rows: [number, number] = [0, m.shape[0]],
): CountMatrix {
  const pick = <T>(xs: T[]) => xs.slice(rows[0], rows[1]);
  return {
    nCells: m.shape[0],
    nGenes: m.shape[1],
    indptr: m.indptr,
    indices: m.indices,
    data: m.data,
    cellIds: pick(d.obs.index),
    geneIds: d.v.index,
    ...(d.geneSymbols ? { geneSymbols: d.geneSymbols } : {}),
    obs: Object.fromEntries(Object.entries(d.obs.columns).map(([k, col]) => [k, pick(col)])),
    var: d.v.columns,
    source: { format: 'h5ad', path },
  };
}

function matrixShape(f: H5File, path: string, matrixPath: string): [number, number] {
  const node = getNode(f, path, matrixPath);
  if (isDataset(node)) return denseShape(node, path);
  if (!isGroup(node)) throw new InputError(path, matrixPath, 'expected a matrix dataset or group');
  const shapeAttr = attr(node, path, 'shape') ?? attr(node, path, 'h5sparse_shape');
  if (shapeAttr === undefined || shapeAttr === null)
    throw new InputError(path, matrixPath, 'sparse matrix without a shape attribute');
  return checkShape(shapeAttr, path, `${matrixPath} shape`);
}

/** `fn(f)` on the opened file, closed after; stray h5wasm errors become InputErrors naming `path`. */
async function withH5ad<T>(path: string, fn: (f: H5File) => T): Promise<T> {
  const f = await openH5(path);
  try {
    return h5call(path, undefined, () => fn(f));
  } finally {
    closeH5(f);
  }
}

export async function readH5ad(path: string, o: H5adOptions = {}): Promise<CountMatrix> {
  return withH5ad(path, (f) => {
    const d = describe(f, path, o);
    return assemble(path, readMatrix(f, path, d.matrixPath), d);
  });
}

/** Cell count and gene names (symbols when var has them) without reading X. */
export async function h5adInfo(
  path: string,
  o: H5adOptions = {},
): Promise<{ cells: number; genes: string[] }> {
  return withH5ad(path, (f) => {
    const d = describe(f, path, o);
    return { cells: d.obs.index.length, genes: d.geneSymbols ?? d.v.index };
  });
}

/**
 * The cells of an `.h5ad` in chunks of `chunkCells` rows, so a corpus larger than memory can
 * be tokenized: CSR and dense X are read by row ranges (HDF5 hyperslabs); obs/var and CSR's
 * indptr are read whole (one value per cell) and indptr is checked whole before any chunk;
 * each chunk's indices and values are checked as they are read. CSC X cannot be read by rows
 * without reading it all, so it is refused with a message.
 */
export async function* readH5adChunks(
  path: string,
  chunkCells: number,
  o: H5adOptions = {},
): AsyncGenerator<CountMatrix> {
  const f = await openH5(path);
  try {
    const plan = h5call(path, undefined, () => chunkPlan(f, path, o));
    for (let a = 0; a < plan.rows; a += chunkCells) {
      const b = Math.min(plan.rows, a + chunkCells);
      yield h5call(path, undefined, () =>
        assemble(path, readRows(path, plan, a, b), plan.d, [a, b]),
      );
    }
  } finally {
    closeH5(f);
  }
}

function chunkPlan(f: H5File, path: string, o: H5adOptions) {
  const d = describe(f, path, o);
  const node = getNode(f, path, d.matrixPath) as Node;
  const [rows, cols] = matrixShape(f, path, d.matrixPath);
  if (isDataset(node)) return { d, rows, cols, dense: node, sparse: null };
  const encoding = sparseEncoding(node, path);
  if (encoding === 'csc_matrix')
    throw new InputError(
      path,
      d.matrixPath,
      'CSC X cannot be read in row chunks; re-save it as CSR or read it whole',
    );
  if (encoding !== 'csr_matrix')
    throw new InputError(
      path,
      d.matrixPath,
      `unsupported encoding-type '${encoding}' (expected csr_matrix or csc_matrix)`,
    );
  const indices = dataset(f, path, `${d.matrixPath}/indices`);
  const data = dataset(f, path, `${d.matrixPath}/data`);
  const length = (x: H5Dataset) => {
    const shape = h5call(path, x.path, () => x.shape ?? []);
    if (shape.length !== 1)
      throw new InputError(path, x.path, `expected a 1-D dataset, got shape (${shape.join(', ')})`);
    return shape[0];
  };
  const nnz = length(indices);
  if (length(data) !== nnz)
    throw new InputError(
      path,
      d.matrixPath,
      `has ${nnz} indices but ${length(data)} values; expected as many`,
    );
  const indptr = numbers(dataset(f, path, `${d.matrixPath}/indptr`), path);
  checkIndptr(indptr, rows, nnz, path, `${d.matrixPath}/indptr`);
  return { d, rows, cols, dense: null, sparse: { indptr, indices, data } };
}

function readRows(path: string, plan: ReturnType<typeof chunkPlan>, a: number, b: number): Sparse {
  const { cols, d } = plan;
  if (plan.dense) {
    const block = sliceNumbers(
      plan.dense,
      [
        [a, b],
        [0, cols],
      ],
      path,
    );
    return { ...denseToCsr(block, b - a, cols, path, d.matrixPath), shape: [b - a, cols] };
  }
  const { indptr, indices, data } = plan.sparse!;
  const [lo, hi] = [indptr[a], indptr[b]];
  const idx = sliceNumbers(indices, [[lo, hi]], path);
  const val = sliceNumbers(data, [[lo, hi]], path);
  checkIndices(idx, cols, path, indices.path, lo);
  checkValues(val, path, data.path, lo);
  return sortRows({
    indptr: Float64Array.from(indptr.subarray(a, b + 1), (x) => x - lo),
    indices: Int32Array.from(idx),
    data: Float32Array.from(val),
    shape: [b - a, cols],
  });
}

/** Writes `m` as `.h5ad` (anndata 0.8 spec; string obs/var columns as categoricals), atomically. */
export async function writeH5ad(
  path: string,
  m: CountMatrix,
  o: { layout?: 'csr' | 'csc' | 'dense' } = {},
): Promise<void> {
  const layout = o.layout ?? 'csr';
  await withAtomicPath(path, async (tmp) => {
    const f = await createH5(tmp);
    try {
      f.create_attribute('encoding-type', 'anndata');
      f.create_attribute('encoding-version', '0.1.0');
      writeMatrix(f, m, layout);
      writeDataframe(f, 'obs', m.cellIds, m.obs);
      writeDataframe(f, 'var', m.geneIds, m.var);
      for (const g of ['layers', 'obsm', 'varm', 'obsp', 'varp', 'uns']) {
        f.create_group(g);
        const grp = f.get(g) as H5Group;
        grp.create_attribute('encoding-type', 'dict');
        grp.create_attribute('encoding-version', '0.1.0');
      }
    } finally {
      f.close();
    }
  });
}

function writeMatrix(f: H5File, m: CountMatrix, layout: 'csr' | 'csc' | 'dense'): void {
  if (layout === 'dense') {
    const dense = new Float32Array(m.nCells * m.nGenes);
    for (let r = 0; r < m.nCells; r++)
      for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++)
        dense[r * m.nGenes + m.indices[k]] = m.data[k];
    f.create_dataset({ name: 'X', data: dense, shape: [m.nCells, m.nGenes] });
    const x = f.get('X') as unknown as { create_attribute: (n: string, v: string) => void };
    x.create_attribute('encoding-type', 'array');
    x.create_attribute('encoding-version', '0.2.0');
    return;
  }
  const shape: [number, number] = [m.nCells, m.nGenes];
  const parts =
    layout === 'csr'
      ? { indptr: m.indptr, indices: m.indices, data: m.data }
      : (() => {
          // CSC of cells × genes = CSR of its transpose.
          const t = transposeCompressed({
            indptr: m.indptr,
            indices: m.indices,
            data: m.data,
            shape: [m.nGenes, m.nCells],
          });
          return { indptr: t.indptr, indices: t.indices, data: t.data };
        })();
  f.create_group('X');
  const g = f.get('X') as H5Group;
  g.create_attribute('encoding-type', layout === 'csr' ? 'csr_matrix' : 'csc_matrix');
  g.create_attribute('encoding-version', '0.1.0');
  g.create_attribute('shape', BigInt64Array.from(shape, BigInt));
  g.create_dataset({ name: 'data', data: Float32Array.from(parts.data) });
  g.create_dataset({ name: 'indices', data: Int32Array.from(parts.indices) });
  g.create_dataset({ name: 'indptr', data: BigInt64Array.from(parts.indptr, (v) => BigInt(v)) });
}

function writeDataframe(
  f: H5File,
  name: string,
  index: string[],
  columns: Record<string, Column>,
): void {
  f.create_group(name);
  const g = f.get(name) as H5Group;
  g.create_attribute('encoding-type', 'dataframe');
  g.create_attribute('encoding-version', '0.2.0');
  g.create_attribute('_index', '_index');
  const names = Object.keys(columns);
  // h5wasm cannot write an empty string-array attribute; anndata accepts a missing one as no columns.
  if (names.length) g.create_attribute('column-order', names);
  g.create_dataset({ name: '_index', data: index });
  for (const [col, values] of Object.entries(columns)) {
    if (values.every((v) => typeof v === 'number')) {
      g.create_dataset({ name: col, data: Float64Array.from(values as number[]) });
      continue;
    }
    const categories = [...new Set(values.map(String).filter((v) => v !== ''))].sort();
    const code = new Map(categories.map((c, i) => [c, i]));
    g.create_group(col);
    const cg = f.get(`${name}/${col}`) as H5Group;
    cg.create_attribute('encoding-type', 'categorical');
    cg.create_attribute('encoding-version', '0.2.0');
    cg.create_attribute('ordered', 0);
    cg.create_dataset({ name: 'categories', data: categories });
    cg.create_dataset({
      name: 'codes',
      data: Int32Array.from(values, (v) => (v === '' ? -1 : code.get(String(v))!)),
    });
  }
}
