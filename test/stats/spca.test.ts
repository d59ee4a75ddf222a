import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Rng } from '../../src/core/random.js';
import { SparsePca, fitSparsePca } from '../../src/stats/spca.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/spca_pitprops/${name}`, import.meta.url), 'utf8')
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((line) => line.split(',').slice(1).map(Number));

/** Columns equal up to sign, within `tol`. */
function assertLoadingsClose(actual: number[][], expected: number[][], tol: number) {
  const K = expected[0].length;
  for (let c = 0; c < K; c++) {
    const a = actual.map((r) => r[c]);
    const e = expected.map((r) => r[c]);
    const s = Math.sign(a.reduce((acc, v, i) => acc + v * e[i], 0)) || 1;
    a.forEach((v, i) =>
      assert.ok(Math.abs(s * v - e[i]) <= tol, `PC${c + 1}, row ${i}: ${s * v} vs ${e[i]}`),
    );
  }
}

test('sparse PCA reproduces the published pitprops loadings (elasticnet / drcme reference) to 1e-4', () => {
  const gram = fixture('pitprops.csv');
  const expected = fixture('pitprops_spca_loadings.csv');
  const r = fitSparsePca({ gram }, { components: 6, nonZero: [7, 4, 4, 1, 1, 1] });
  assertLoadingsClose(r.loadings, expected, 1e-4);
  assert.equal(r.converged, true);
  const nonZero = [0, 1, 2, 3, 4, 5].map((c) => r.loadings.filter((row) => row[c] !== 0).length);
  assert.deepEqual(nonZero, [7, 4, 4, 1, 1, 1]);
  // Adjusted variance of the reference loadings, by numpy's QR (command in the fixture's PROVENANCE.md).
  const pev = r.adjustedVariance.map((v) => Math.round(v * 1000) / 10);
  assert.deepEqual(pev, [28.2, 13.9, 13.1, 7.4, 6.8, 6.3]);
  // …and by Gram–Schmidt in the G inner product, here.
  const ip = (a: number[], b: number[]) =>
    a.reduce((s, ai, i) => s + ai * b.reduce((t, bj, j) => t + gram[i][j] * bj, 0), 0);
  const basis: number[][] = [];
  const trace = gram.reduce((s, row, i) => s + row[i], 0);
  for (let c = 0; c < 6; c++) {
    let v = r.loadings.map((row) => row[c]);
    for (const q of basis) {
      const k = ip(v, q) / ip(q, q);
      v = v.map((x, i) => x - k * q[i]);
    }
    basis.push(v);
    assert.ok(Math.abs(ip(v, v) / trace - r.adjustedVariance[c]) < 1e-10, `pev ${c}`);
  }
  assert.deepEqual(r.componentsAbove(0.1), [0, 1, 2]);
});

/** Leading eigenvectors by power iteration with deflation: independent of the code under test. */
function powerEigen(a: number[][], k: number): { vectors: number[][]; values: number[] } {
  const p = a.length;
  let m = a.map((r) => [...r]);
  const vectors: number[][] = [];
  const values: number[] = [];
  for (let c = 0; c < k; c++) {
    let v = Array.from({ length: p }, (_, i) => 1 + i / p);
    let lambda = 0;
    for (let it = 0; it < 5000; it++) {
      const w = m.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
      const n = Math.hypot(...w);
      v = w.map((x) => x / n);
      lambda = n;
    }
    vectors.push(v);
    values.push(lambda);
    m = m.map((row, i) => row.map((x, j) => x - lambda * v[i] * v[j]));
  }
  return { vectors, values };
}

function randomData(n: number, p: number, seed: number): number[][] {
  const rng = new Rng(seed);
  const scales = Array.from({ length: p }, (_, j) => 3 / (j + 1));
  return Array.from({ length: n }, () => {
    const shared = rng.normal();
    return scales.map((s, j) => s * rng.normal() + (j < 2 ? shared : 0) + j);
  });
}

test('with every variable allowed, sparse PCA is ordinary PCA (checked against power iteration)', () => {
  const data = randomData(200, 5, 7);
  const r = fitSparsePca({ data }, { components: 3, nonZero: [5, 5, 5], tolerance: 1e-9 });
  const means = data[0].map((_, j) => data.reduce((s, row) => s + row[j], 0) / data.length);
  const gram = data[0].map((_, i) =>
    data[0].map((_, j) =>
      data.reduce((s, row) => s + (row[i] - means[i]) * (row[j] - means[j]), 0),
    ),
  );
  const { vectors, values } = powerEigen(gram, 3);
  assertLoadingsClose(
    r.loadings,
    vectors[0].map((_, i) => vectors.map((v) => v[i])),
    1e-4,
  );
  const trace = gram.reduce((s, row, i) => s + row[i], 0);
  r.adjustedVariance.forEach((v, c) => assert.ok(Math.abs(v - values[c] / trace) < 1e-6));
  assert.ok(Math.abs(r.totalVariance - trace) < 1e-6 * trace);
});

test('data and Gram inputs agree; projection is (x − mean) · loadings', () => {
  const data = randomData(80, 6, 3);
  const fromData = fitSparsePca({ data }, { components: 2, nonZero: [3, 2] });
  const means = fromData.means!;
  const gram = data[0].map((_, i) =>
    data[0].map((_, j) =>
      data.reduce((s, row) => s + (row[i] - means[i]) * (row[j] - means[j]), 0),
    ),
  );
  const fromGram = fitSparsePca({ gram }, { components: 2, nonZero: [3, 2] });
  assertLoadingsClose(fromData.loadings, fromGram.loadings, 1e-9);
  const scores = SparsePca.fromJSON(JSON.parse(JSON.stringify(fromData))).transform(
    data.slice(0, 3),
  );
  scores.forEach((row, i) =>
    row.forEach((v, c) => {
      const byHand = data[i].reduce((s, x, j) => s + (x - means[j]) * fromData.loadings[j][c], 0);
      assert.ok(Math.abs(v - byHand) < 1e-12);
    }),
  );
});

test('bad sparse PCA arguments are named', () => {
  const gram = [
    [1, 0.5],
    [0.5, 1],
  ];
  assert.throws(() => fitSparsePca({ gram: [[1, 0]] }, { components: 1, nonZero: [1] }), /square/);
  assert.throws(() => fitSparsePca({ gram }, { components: 2, nonZero: [1] }), /nonZero has 1/);
  assert.throws(() => fitSparsePca({ gram }, { components: 1, nonZero: [3] }), /nonZero must be/);
});
