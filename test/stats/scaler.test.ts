import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NEAR_ZERO_SD, StandardScaler, fitStandardScaler } from '../../src/stats/scaler.js';

test('standard scaler: training z-scores have mean 0 and sample SD 1; constant features are only centred', () => {
  const rows = [
    [1, 5, 2],
    [2, 5, 4],
    [3, 5, 9],
    [6, 5 + NEAR_ZERO_SD / 10, 1],
  ];
  const scaler = fitStandardScaler(rows);
  // Independent: numpy-style mean and ddof=1 SD of column 0 = [1,2,3,6]: mean 3, var 14/3.
  assert.ok(Math.abs(scaler.mean[0] - 3) < 1e-12);
  assert.ok(Math.abs(scaler.scale[0] - Math.sqrt(14 / 3)) < 1e-12);
  assert.equal(scaler.scale[1], 1, 'a near-constant column keeps scale 1');
  const z = scaler.transform(rows);
  for (const k of [0, 2]) {
    const col = z.map((r) => r[k]);
    const mean = col.reduce((a, b) => a + b, 0) / col.length;
    const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / (col.length - 1));
    assert.ok(Math.abs(mean) < 1e-12 && Math.abs(sd - 1) < 1e-12, `column ${k}`);
  }
  // New rows use the training statistics, and the JSON round trip keeps them.
  const again = StandardScaler.fromJSON(JSON.parse(JSON.stringify(scaler)));
  assert.deepEqual(
    Array.from(again.transformRow([3, 5, 4])),
    Array.from(scaler.transformRow([3, 5, 4])),
  );
  assert.equal(again.transformRow([3, 0, 0])[0], 0);
});
