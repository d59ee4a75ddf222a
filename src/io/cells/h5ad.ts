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
  attrString,
  createH5,
  isDataset,
  isGroup,
  numbers,
  openH5,
  sliceNumbers,
  type H5Dataset,
  type H5File,
  type H5Group,
} from '../h5.js';
import { CsrBuilder, type CountMatrix } from './types.js';

type Column = (string | number)[];

function attr(obj: { attrs: Record<string, { value: unknown }> }, name: string): unknown {
  return obj.attrs[name]?.value;
}

function strings(f: H5File, file: string, path: string): string[] {
  const d = f.get(path);
  if (!isDataset(d)) throw new InputError(file, path, 'missing dataset');
  const v = d.value as unknown;
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string') return [v];
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, String);
  throw new InputError(file, path, 'expected an array of strings');
}

function readColumn(f: H5File, file: string, path: string): Column {
  const node = f.get(path);
  if (isGroup(node)) {
    if (attrString(node, 'encoding-type') !== 'categorical')
      throw new InputError(
        file,
        path,
        `unsupported column group (encoding-type '${attrString(node, 'encoding-type')}')`,
      );
    const categories = strings(f, file, `${path}/categories`);
    const codes = numbers(f.get(`${path}/codes`) as H5Dataset, file);
    return Array.from(codes, (c, i) => {
      if (c === -1) return '';
      if (c < 0 || c >= categories.length)
        throw new InputError(
          file,
          `${path}/codes`,
          `code ${c} of row ${i} is outside the ${categories.length} categories`,
        );
      return categories[c];
    });
  }
  if (!isDataset(node)) throw new InputError(file, path, 'missing column');
  const v = node.value as unknown;
  if (Array.isArray(v) && typeof v[0] === 'string') return v as string[];
  if (Array.isArray(v) && typeof v[0] === 'boolean')
    return (v as boolean[]).map((b) => (b ? 1 : 0));
  return Array.from(numbers(node, file));
}

function readDataframe(
  f: H5File,
  file: string,
  path: string,
): { index: string[]; columns: Record<string, Column> } {
  const g = f.get(path);
  if (isDataset(g))
    throw new InputError(
      file,
      path,
      'a compound dataset (anndata < 0.8 layout); re-save the file with anndata ≥ 0.8',
    );
  if (!isGroup(g)) throw new InputError(file, path, 'missing dataframe group');
  const indexName = attrString(g, '_index') ?? '_index';
  const index = strings(f, file, `${path}/${indexName}`);
  const order = attr(g, 'column-order');
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

interface Sparse {
  indptr: Float64Array;
  indices: Int32Array;
  data: Float32Array;
  shape: [number, number];
}

function readMatrix(f: H5File, file: string, path: string): Sparse {
  const node = f.get(path);
  if (isDataset(node)) {
    const shape = node.shape ?? [];
    if (shape.length !== 2)
      throw new InputError(file, path, `expected a 2-D matrix, got shape (${shape.join(', ')})`);
    const [rows, cols] = shape;
    const values = numbers(node, file);
    const csr = new CsrBuilder();
    for (let r = 0; r < rows; r++) csr.addRow(cols, (c) => values[r * cols + c]);
    return { ...csr.build(), shape: [rows, cols] };
  }
  if (!isGroup(node)) throw new InputError(file, path, 'missing matrix');
  const encoding =
    attrString(node, 'encoding-type') ?? `${attrString(node, 'h5sparse_format')}_matrix`;
  const shapeAttr = attr(node, 'shape') ?? attr(node, 'h5sparse_shape');
  const shape = Array.from(shapeAttr as ArrayLike<number | bigint>, Number) as [number, number];
  if (shape.length !== 2)
    throw new InputError(file, path, 'sparse matrix without a 2-element shape attribute');
  const part = (name: string) => {
    const d = f.get(`${path}/${name}`);
    if (!isDataset(d))
      throw new InputError(file, `${path}/${name}`, 'missing dataset of the sparse matrix');
    return numbers(d, file);
  };
  const indptr = part('indptr');
  const indices = Int32Array.from(part('indices'));
  const data = Float32Array.from(part('data'));
  const [major, minor] =
    encoding === 'csr_matrix' ? shape : encoding === 'csc_matrix' ? [shape[1], shape[0]] : [-1, -1];
  if (major < 0)
    throw new InputError(
      file,
      path,
      `unsupported encoding-type '${encoding}' (expected csr_matrix or csc_matrix)`,
    );
  if (indptr.length !== major + 1)
    throw new InputError(
      file,
      `${path}/indptr`,
      `has ${indptr.length} entries; shape (${shape.join(', ')}) needs ${major + 1}`,
    );
  if (indptr[major] !== indices.length || indices.length !== data.length)
    throw new InputError(
      file,
      path,
      `indptr ends at ${indptr[major]} but there are ${indices.length} indices and ${data.length} values`,
    );
  for (let k = 0; k < indices.length; k++)
    if (indices[k] < 0 || indices[k] >= minor)
      throw new InputError(
        file,
        `${path}/indices`,
        `index ${indices[k]} at position ${k} is outside 0..${minor - 1}`,
      );
  const csr = { indptr, indices, data, shape };
  return encoding === 'csr_matrix' ? sortRows(csr) : transposeCompressed(csr);
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
function describe(
  f: H5File,
  path: string,
  o: H5adOptions,
  shape: (matrixPath: string) => [number, number],
) {
  const matrixPath = o.raw ? 'raw/X' : o.layer ? `layers/${o.layer}` : 'X';
  if (!f.get(matrixPath)) {
    const layers = f.get('layers');
    const names = isGroup(layers) ? (layers as H5Group).keys() : [];
    throw new InputError(
      path,
      matrixPath,
      `not in the file${o.layer ? `; layers: ${names.join(', ') || 'none'}` : ''}`,
    );
  }
  const [rows, cols] = shape(matrixPath);
  const obs = readDataframe(f, path, 'obs');
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
  const node = f.get(matrixPath);
  if (isDataset(node)) return (node.shape ?? []) as [number, number];
  const g = node as H5Group;
  const shapeAttr = attr(g, 'shape') ?? attr(g, 'h5sparse_shape');
  if (!shapeAttr) throw new InputError(path, matrixPath, 'sparse matrix without a shape attribute');
  return Array.from(shapeAttr as ArrayLike<number | bigint>, Number) as [number, number];
}

export async function readH5ad(path: string, o: H5adOptions = {}): Promise<CountMatrix> {
  const f = await openH5(path);
  try {
    const d = describe(f, path, o, (mp) => matrixShape(f, path, mp));
    return assemble(path, readMatrix(f, path, d.matrixPath), d);
  } finally {
    f.close();
  }
}

/** Cell count and gene names (symbols when var has them) without reading X. */
export async function h5adInfo(
  path: string,
  o: H5adOptions = {},
): Promise<{ cells: number; genes: string[] }> {
  const f = await openH5(path);
  try {
    const d = describe(f, path, o, (mp) => matrixShape(f, path, mp));
    return { cells: d.obs.index.length, genes: d.geneSymbols ?? d.v.index };
  } finally {
    f.close();
  }
}

/**
 * The cells of an `.h5ad` in chunks of `chunkCells` rows, so a corpus larger than memory can
 * be tokenized: CSR and dense X are read by row ranges (HDF5 hyperslabs); obs/var and CSR's
 * indptr are read whole (one value per cell). CSC X cannot be read by rows without reading it
 * all, so it is refused with a message.
 */
export async function* readH5adChunks(
  path: string,
  chunkCells: number,
  o: H5adOptions = {},
): AsyncGenerator<CountMatrix> {
  const f = await openH5(path);
  try {
    const d = describe(f, path, o, (mp) => matrixShape(f, path, mp));
    const node = f.get(d.matrixPath);
    const [rows, cols] = matrixShape(f, path, d.matrixPath);
    const encoding = isGroup(node)
      ? (attrString(node, 'encoding-type') ?? `${attrString(node, 'h5sparse_format')}_matrix`)
      : 'array';
    if (encoding === 'csc_matrix')
      throw new InputError(
        path,
        d.matrixPath,
        'CSC X cannot be read in row chunks; re-save it as CSR or read it whole',
      );
    const indptr =
      encoding === 'array' ? null : numbers(f.get(`${d.matrixPath}/indptr`) as H5Dataset, path);
    for (let a = 0; a < rows; a += chunkCells) {
      const b = Math.min(rows, a + chunkCells);
      let m: Sparse;
      if (!indptr) {
        const block = sliceNumbers(
          node as H5Dataset,
          [
            [a, b],
            [0, cols],
          ],
          path,
        );
        const csr = new CsrBuilder();
        for (let r = 0; r < b - a; r++) csr.addRow(cols, (c) => block[r * cols + c]);
        m = { ...csr.build(), shape: [b - a, cols] };
      } else {
        const [lo, hi] = [indptr[a], indptr[b]];
        const part = (name: string) =>
          sliceNumbers(f.get(`${d.matrixPath}/${name}`) as H5Dataset, [[lo, hi]], path);
        m = sortRows({
          indptr: Float64Array.from(indptr.subarray(a, b + 1), (x) => x - lo),
          indices: Int32Array.from(part('indices')),
          data: Float32Array.from(part('data')),
          shape: [b - a, cols],
        });
        for (const k of m.indices)
          if (k < 0 || k >= cols)
            throw new InputError(
              path,
              `${d.matrixPath}/indices`,
              `index ${k} in rows ${a}–${b - 1} is outside 0..${cols - 1}`,
            );
      }
      yield assemble(path, m, d, [a, b]);
    }
  } finally {
    f.close();
  }
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
