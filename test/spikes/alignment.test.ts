import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  alignmentPermutation,
  annealPermutation,
  permuteUnits,
  rateRankPermutation,
} from '../../src/pipelines/spikes/alignment.js';
import { PRESETS } from '../../src/pipelines/spikes/experiment.js';
import { sliceBins, unitRates } from '../../src/pipelines/spikes/raster.js';
import { trainSpikeModel } from '../../src/pipelines/spikes/train.js';
import { cascadeRaster } from './fixtures.js';

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

test('anneal recovers the unit order up to a rotation of the cascade, from the Dice loss on validation data', () => {
  // A model that learned the cascade (unit u fires u bins after the pacemaker) predicts well
  // only when each unit sits in its own slot; scramble the units and let annealing find them.
  const all = cascadeRaster(4000, 8, 41, 12, 0.005);
  const config = {
    ...PRESETS.tiny,
    model: { ...PRESETS.tiny.model, units: 8, context: 32, dropout: 0 },
    maxEpochs: 6,
    stepsPerEpoch: 25,
  };
  const { best } = trainSpikeModel(
    sliceBins(all, 0, 3000),
    config,
    mkdtempSync(join(tmpdir(), 'nb-anneal-')),
    { validate: () => ({ loss: 0, rocAuc: 0, prAuc: 0, bitsPerSpike: 0 }) },
  );
  const scramble = [5, 2, 7, 0, 3, 6, 1, 4]; // column s of the scrambled raster = unit scramble[s]
  const val = permuteUnits(sliceBins(all, 3000, 4000), scramble);
  // The slot of unit u must receive the scrambled column holding u.
  const truth = Array.from({ length: 8 }, (_, u) => scramble.indexOf(u));
  const lossAt = (perm: number[]) =>
    annealPermutation(best, val, { iterations: 0, windows: 8, seed: 3, start: perm }).initialLoss;
  const r = annealPermutation(best, val, { windows: 8, seed: 3 });
  // The cascade repeats, so rotating the unit order is nearly as predictable as the true
  // order: annealing must find the true order up to such a rotation, and a loss close to it.
  assert.ok(r.finalLoss < r.initialLoss - 0.2, `loss ${r.initialLoss} → ${r.finalLoss}`);
  assert.ok(
    r.finalLoss <= lossAt(truth) + 0.1,
    `found ${r.finalLoss}, true order ${lossAt(truth)}`,
  );
  const rotation = Array.from({ length: 8 }, (_, k) => k).find((k) =>
    truth.every((unit, slot) => r.perm[(slot + k) % 8] === unit),
  );
  assert.ok(rotation !== undefined, `found ${r.perm}, true ${truth}: not a rotation of it`);
  assert.equal(r.initialLoss, lossAt([0, 1, 2, 3, 4, 5, 6, 7]));
  assert.deepEqual([...r.perm].sort(), [0, 1, 2, 3, 4, 5, 6, 7], 'a permutation');
});
