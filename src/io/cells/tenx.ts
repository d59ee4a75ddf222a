/**
 * 10x Genomics count matrices: the Matrix Market folder (`matrix.mtx[.gz]` genes × barcodes,
 * `features.tsv[.gz]` or `genes.tsv`, `barcodes.tsv[.gz]`) and the Cell Ranger HDF5 file
 * (`/matrix/{data, indices, indptr, shape, barcodes, features/{id, name}}`, CSC by barcode).
 * Both become cells × genes CSR. Duplicate gene names are kept (ids stay distinct rows).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { join } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { InputError } from '../../core/errors.js';
import { closeH5, dataset, expectFile, h5call, numbers, openH5, stringsOf } from '../h5.js';
import { checkCompressed, checkShape } from './csr.js';
import type { CountMatrix } from './types.js';

/** Bytes any text file may take besides what its declared rows need (comments, headers). */
const SLACK = 1 << 20;
/** Bytes one Matrix Market entry line may take ("row col value\n" with a long float). */
const ENTRY_BYTES = 64;
/** Bytes one line of features.tsv / barcodes.tsv may take. */
const NAME_LINE_BYTES = 4096;

/**
 * A text file, gunzipped when its name ends in `.gz`, refusing (before decompressing past
 * it) more than `limit` bytes of text: a corrupt or malicious `.gz` cannot exhaust memory.
 */
function readMaybeGz(path: string, limit: number, what: string): string {
  expectFile(path, what);
  const bytes = readFileSync(path);
  const tooLarge = (n: number | string) =>
    new InputError(
      path,
      undefined,
      `${n} bytes of text, more than one string can hold (${bufferConstants.MAX_STRING_LENGTH})`,
    );
  if (!path.endsWith('.gz')) {
    if (bytes.length > bufferConstants.MAX_STRING_LENGTH) throw tooLarge(bytes.length);
    return bytes.toString('utf8');
  }
  const max = Math.min(limit, bufferConstants.MAX_STRING_LENGTH);
  try {
    return gunzipSync(bytes, { maxOutputLength: max }).toString('utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if ((e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) && max < limit)
      throw tooLarge(`more than ${max}`);
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError)
      throw new InputError(
        path,
        undefined,
        `decompresses to more than ${limit} bytes, more than its declared contents can take (a corrupt or malicious .gz?)`,
      );
    throw new InputError(path, undefined, `not a readable gzip file (${e.message})`);
  }
}

/** The first `maxBytes` of text of a file (decompressing what the first bytes hold for `.gz`). */
function readHead(path: string, maxBytes = 1 << 16): string {
  const buf = Buffer.alloc(maxBytes);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, buf, 0, maxBytes, 0);
  } finally {
    closeSync(fd);
  }
  if (!path.endsWith('.gz')) return buf.subarray(0, n).toString('utf8');
  try {
    // 64 KiB of deflate holds at most ~66 MB (1032:1); the cap only keeps this bounded.
    return gunzipSync(buf.subarray(0, n), {
      finishFlush: constants.Z_SYNC_FLUSH,
      maxOutputLength: 1 << 27,
    }).toString('utf8');
  } catch (err) {
    throw new InputError(path, undefined, `not a readable gzip file (${(err as Error).message})`);
  }
}

function firstExisting(dir: string, names: string[], what: string): string {
  for (const n of names) if (existsSync(join(dir, n))) return join(dir, n);
  throw new InputError(dir, what, `expected one of ${names.join(', ')}`);
}

/** Matrix Market header: the banner, then comments, then `rows columns entries`. */
function mtxHeader(mtx: string, text: string) {
  const lines = text.split(/\r?\n/, 1000);
  if (!/^%%MatrixMarket matrix coordinate (integer|real) general/i.test(lines[0] ?? ''))
    throw new InputError(
      mtx,
      'line 1',
      `expected '%%MatrixMarket matrix coordinate integer|real general', got '${(lines[0] ?? '').slice(0, 100)}'`,
    );
  let at = 1;
  while (at < lines.length && lines[at].startsWith('%')) at++;
  const fields = (lines[at] ?? '').trim().split(/\s+/);
  const [nGenes, nCells, nnz] = fields.map(Number);
  if (fields.length !== 3 || ![nGenes, nCells, nnz].every((x) => Number.isSafeInteger(x) && x >= 0))
    throw new InputError(
      mtx,
      `line ${at + 1}`,
      `expected 'rows columns entries' (3 non-negative integers), got '${(lines[at] ?? '').slice(0, 100)}'`,
    );
  if (nnz > nGenes * nCells)
    throw new InputError(
      mtx,
      `line ${at + 1}`,
      `declares ${nnz} entries, more than ${nGenes} × ${nCells} cells of the matrix`,
    );
  return { nGenes, nCells, nnz };
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
  expectFile(mtx, 'a Matrix Market file');
  const head = mtxHeader(mtx, readHead(mtx));
  const { nGenes, nCells } = head;
  const text = readMaybeGz(mtx, SLACK + head.nnz * ENTRY_BYTES, 'a Matrix Market file');
  const lines = text.split(/\r?\n/);
  let at = 1;
  while (at < lines.length && lines[at].startsWith('%')) at++;
  // The header as read whole (the head of a .gz could differ only if the file is corrupt).
  const { nnz } = mtxHeader(mtx, lines.slice(0, at + 1).join('\n'));
  if (nnz !== head.nnz)
    throw new InputError(mtx, `line ${at + 1}`, 'the header changed between two reads');
  // Each entry takes one non-empty line: the arrays are sized by what the file holds, never
  // by the header alone (a corrupt count would allocate gigabytes); a mismatch is named below.
  let entries = 0;
  for (let i = at + 1; i < lines.length; i++) if (lines[i].trim()) entries++;
  const capacity = Math.min(nnz, entries);
  const genes = new Int32Array(capacity);
  const cells = new Int32Array(capacity);
  const values = new Float32Array(capacity);
  let k = 0;
  for (let i = at + 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const [g, c, v] = line.split(/\s+/).map(Number);
    if (!(
      Number.isInteger(g) &&
      Number.isInteger(c) &&
      g >= 1 &&
      g <= nGenes &&
      c >= 1 &&
      c <= nCells &&
      Number.isFinite(v)
    ))
      throw new InputError(
        mtx,
        `line ${i + 1}`,
        `entry '${line.slice(0, 100)}' is outside ${nGenes} × ${nCells} or not numeric`,
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
  const features = readMaybeGz(featuresFile, SLACK + nGenes * NAME_LINE_BYTES, 'a features table')
    .split(/\r?\n/)
    .filter(Boolean)
    .map((l) => l.split('\t'));
  const barcodes = readMaybeGz(barcodesFile, SLACK + nCells * NAME_LINE_BYTES, 'a barcodes table')
    .split(/\r?\n/)
    .filter(Boolean);
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
    return h5call(path, undefined, () => {
      const get = (p: string) => dataset(f, path, p);
      const [nGenes, nCells] = checkShape(numbers(get('matrix/shape'), path), path, 'matrix/shape');
      const indptr = numbers(get('matrix/indptr'), path);
      const rawIndices = numbers(get('matrix/indices'), path);
      const rawData = numbers(get('matrix/data'), path);
      // Stored CSC by barcode = CSR with cells as rows: exactly the layout wanted.
      checkCompressed(
        { indptr, indices: rawIndices, data: rawData },
        nCells,
        nGenes,
        path,
        'matrix',
      );
      const strings = (p: string) => stringsOf(get(p), path);
      const barcodes = strings('matrix/barcodes');
      const hasFeatures = f.get('matrix/features') !== null;
      const ids = strings(hasFeatures ? 'matrix/features/id' : 'matrix/genes');
      const names = strings(hasFeatures ? 'matrix/features/name' : 'matrix/gene_names');
      if (barcodes.length !== nCells)
        throw new InputError(
          path,
          'matrix/barcodes',
          `has ${barcodes.length} entries; matrix/shape declares ${nCells} barcodes`,
        );
      for (const [p, xs] of [
        [hasFeatures ? 'matrix/features/id' : 'matrix/genes', ids],
        [hasFeatures ? 'matrix/features/name' : 'matrix/gene_names', names],
      ] as const)
        if (xs.length !== nGenes)
          throw new InputError(
            path,
            p,
            `has ${xs.length} entries; matrix/shape declares ${nGenes} features`,
          );
      return {
        nCells,
        nGenes,
        indptr,
        indices: Int32Array.from(rawIndices),
        data: Float32Array.from(rawData),
        cellIds: barcodes,
        geneIds: ids,
        geneSymbols: names,
        obs: {},
        var: {},
        source: { format: '10x-h5', path },
      };
    });
  } finally {
    closeH5(f);
  }
}
