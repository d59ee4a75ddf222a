import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dissimilarityFromScores,
  projectTo2d,
  stressLayout,
  stressOf,
} from '../../src/stats/layout.js';

test('d = 1/s − 1 on the symmetrised scores', () => {
  const d = dissimilarityFromScores([
    [0.9, 0.5],
    [0.7, 0.8],
  ]);
  assert.equal(d[0][0], 0);
  assert.ok(Math.abs(d[0][1] - (1 / 0.6 - 1)) < 1e-15);
  assert.equal(d[0][1], d[1][0]);
  assert.throws(
    () =>
      dissimilarityFromScores([
        [1, 0],
        [0, 1],
      ]),
    /average 0; expected > 0/,
  );
});

test('distances of points that exist in 3-D are reproduced with zero stress', () => {
  // A tetrahedron plus its centre: an exact embedding exists, so the optimum stress is 0.
  const points = [
    [0, 0, 0],
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
    [0.25, 0.25, 0.25],
  ];
  const d = points.map((p) => points.map((q) => Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2])));
  const layout = stressLayout(d, { seed: 3 });
  assert.ok(layout.stress < 1e-8, `stress ${layout.stress}`);
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < 5; j++) {
      const got = Math.hypot(...layout.coordinates[i].map((v, k) => v - layout.coordinates[j][k]));
      assert.ok(Math.abs(got - d[i][j]) < 1e-4);
    }
  }
  assert.ok(Math.abs(stressOf(layout.coordinates, d) - layout.stress) < 1e-15);
});

test('a non-Euclidean dissimilarity keeps positive stress; more starts never do worse', () => {
  // Four points all at distance 1 from each other except one pair at 3: violates the triangle inequality.
  const d = [
    [0, 1, 1, 3],
    [1, 0, 1, 1],
    [1, 1, 0, 1],
    [3, 1, 1, 0],
  ];
  const one = stressLayout(d, { starts: 1, seed: 1 });
  const many = stressLayout(d, { starts: 8, seed: 1 });
  assert.ok(one.stress > 0.1);
  assert.ok(many.stress <= one.stress + 1e-12);
});

test('the 2-D projection keeps the spread of a flat configuration', () => {
  const flat = [
    [0, 0, 5],
    [2, 0, 5],
    [0, 1, 5],
    [2, 1, 5],
  ];
  const p = projectTo2d(flat);
  const dist = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1]);
  assert.ok(Math.abs(dist(p[0], p[3]) - Math.hypot(2, 1)) < 1e-9);
  assert.ok(Math.abs(dist(p[0], p[1]) - 2) < 1e-9);
});
