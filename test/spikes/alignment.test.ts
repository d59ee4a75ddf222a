import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  alignmentPermutation,
  permuteUnits,
  rateRankPermutation,
} from '../../src/pipelines/spikes/alignment.js';
import { unitRates } from '../../src/pipelines/spikes/raster.js';

test('rate-rank puts the k-th fastest target unit into the k-th fastest source slot', () => {
  // Source slots by rate: slot 2 fastest, then 0, then 1. Target units: 1 fastest, then 2, then 0.
  const perm = rateRankPermutation([0.5, 0.1, 0.9], [0.05, 0.7, 0.3]);
  assert.deepEqual(perm, [2, 0, 1]);
});

test('permuteUnits moves whole columns; rates follow the permutation', () => {
  const r = { bins: 4, units: 3, data: Uint8Array.from([1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0]) };
  const p = permuteUnits(r, [2, 0, 1]);
  assert.deepEqual([...p.data.subarray(0, 3)], [0, 1, 0]);
  const rates = unitRates(r);
  assert.deepEqual([...unitRates(p)], [rates[2], rates[0], rates[1]]);
  assert.deepEqual(alignmentPermutation('none', r, r), [0, 1, 2]);
  // Aligning a raster to itself by rate rank maps every slot to a unit of the same rate.
  const self = alignmentPermutation('rate-rank', r, r);
  self.forEach((u, slot) => assert.equal(rates[u], rates[slot]));
});
