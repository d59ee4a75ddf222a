import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  alignSlots,
  annealSlots,
  rateRankSlots,
  toSlots,
} from '../../src/pipelines/spikes/transfer/alignment.js';
import { PRESETS } from '../../src/pipelines/spikes/model/experiment.js';
import { sliceBins, unitRates, type BinaryRaster } from '../../src/pipelines/spikes/data/raster.js';
import { trainSpikeModel } from '../../src/pipelines/spikes/model/train.js';
import { cascadeRaster } from './fixtures.js';

/** A tiny 8-unit model trained on `train` (a constant validation score keeps the first epoch). */
function tinyModel(train: BinaryRaster, maxEpochs: number, stepsPerEpoch: number) {
  const config = {
    ...PRESETS.tiny,
    model: { ...PRESETS.tiny.model, units: 8, context: 32, dropout: 0 },
    maxEpochs,
    stepsPerEpoch,
  };
  return trainSpikeModel(train, config, mkdtempSync(join(tmpdir(), 'nb-anneal-')), {
    validate: () => ({ loss: 0, rocAuc: 0, prAuc: 0, bitsPerSpike: 0 }),
  }).best;
}

test('rate-rank puts the k-th fastest target unit into the k-th fastest source slot', () => {
  // Source slots by rate: slot 2 fastest, then 0, then 1. Target units: 1 fastest, then 2, then 0.
  const perm = rateRankSlots([0.5, 0.1, 0.9], [0.05, 0.7, 0.3]);
  assert.deepEqual(perm, [2, 0, 1]);
});

test('rate-rank with fewer target units: each takes the slot at its own rate quantile, the rest stay silent', () => {
  // Source slots by rate: 4, 0, 2, 1, 3 (fastest first). Target units by rate: 1, 0.
  const slots = rateRankSlots([0.5, 0.2, 0.3, 0.1, 0.9], [0.01, 0.4]);
  // Target unit 1 (fastest) → fastest slot (4); unit 0 (slowest) → slowest slot (3).
  assert.deepEqual(slots, [-1, -1, -1, 0, 1]);
  // Three target units in five slots: quantiles 0, 0.5, 1 → slot ranks 0, 2, 4.
  assert.deepEqual(rateRankSlots([0.5, 0.2, 0.3, 0.1, 0.9], [0.3, 0.2, 0.1]), [-1, -1, 1, 2, 0]);
});

test('rate-rank with more target units: slots take units at evenly spaced rate ranks', () => {
  // Target units by rate: 4, 3, 2, 1, 0. Two slots (slot 1 fastest) take ranks 0 and 4.
  assert.deepEqual(rateRankSlots([0.1, 0.2], [0.1, 0.2, 0.3, 0.4, 0.5]), [0, 4]);
});

test('toSlots moves whole columns and zeroes silent slots; rates follow the slots', () => {
  const r = { bins: 4, units: 3, data: Uint8Array.from([1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0]) };
  const p = toSlots(r, [2, 0, 1]);
  assert.deepEqual([...p.data.subarray(0, 3)], [0, 1, 0]);
  const rates = unitRates(r);
  assert.deepEqual([...unitRates(p)], [rates[2], rates[0], rates[1]]);
  const padded = toSlots(r, [-1, 0, -1, 1]);
  assert.equal(padded.units, 4);
  assert.deepEqual([...unitRates(padded)], [0, rates[0], 0, rates[1]]);
  assert.deepEqual(alignSlots('none', r, r), [0, 1, 2]);
  assert.deepEqual(alignSlots('none', r, sliceBins(toSlots(r, [0, 1]), 0, 4)), [0, 1, -1]);
  // Aligning a raster to itself by rate rank maps every slot to a unit of the same rate.
  const self = alignSlots('rate-rank', r, r);
  self.forEach((u, slot) => assert.equal(rates[u], rates[slot]));
});

test('anneal recovers the unit order up to a rotation of the cascade, from the Dice loss on validation data', () => {
  // A model that learned the cascade (unit u fires u bins after the pacemaker) predicts well
  // only when each unit sits in its own slot; scramble the units and let annealing find them.
  const all = cascadeRaster(4000, 8, 41, 12, 0.005);
  const best = tinyModel(sliceBins(all, 0, 3000), 6, 25);
  const scramble = [5, 2, 7, 0, 3, 6, 1, 4]; // column s of the scrambled raster = unit scramble[s]
  const val = toSlots(sliceBins(all, 3000, 4000), scramble);
  // The slot of unit u must receive the scrambled column holding u.
  const truth = Array.from({ length: 8 }, (_, u) => scramble.indexOf(u));
  const lossAt = (slots: number[]) =>
    annealSlots(best, val, { iterations: 0, windows: 8, seed: 3, start: slots }).initialLoss;
  const r = annealSlots(best, val, { windows: 8, seed: 3 });
  // The cascade repeats, so rotating the unit order is nearly as predictable as the true
  // order: annealing must find the true order up to such a rotation, and a loss close to it.
  assert.ok(r.finalLoss < r.initialLoss - 0.2, `loss ${r.initialLoss} → ${r.finalLoss}`);
  assert.ok(
    r.finalLoss <= lossAt(truth) + 0.1,
    `found ${r.finalLoss}, true order ${lossAt(truth)}`,
  );
  const rotation = Array.from({ length: 8 }, (_, k) => k).find((k) =>
    truth.every((unit, slot) => r.slots[(slot + k) % 8] === unit),
  );
  assert.ok(rotation !== undefined, `found ${r.slots}, true ${truth}: not a rotation of it`);
  assert.equal(r.initialLoss, lossAt([0, 1, 2, 3, 4, 5, 6, 7]));
  assert.deepEqual([...r.slots].sort(), [0, 1, 2, 3, 4, 5, 6, 7], 'a permutation');
});

test('anneal with fewer target units than slots keeps silent slots and scores only filled ones', () => {
  const all = cascadeRaster(2000, 8, 5, 12, 0.005);
  const best = tinyModel(sliceBins(all, 0, 1500), 1, 5);
  const val = toSlots(sliceBins(all, 1500, 2000), [0, 1, 2, 3, 4]);
  const start = rateRankSlots(unitRates(sliceBins(all, 0, 1500)), unitRates(val));
  const r = annealSlots(best, val, { windows: 4, seed: 1, iterations: 30, start });
  assert.equal(r.slots.length, 8);
  assert.equal(r.slots.filter((u) => u < 0).length, 3);
  assert.deepEqual(
    r.slots.filter((u) => u >= 0).sort(),
    [0, 1, 2, 3, 4],
    'each target unit in exactly one slot',
  );
  assert.ok(r.finalLoss <= r.initialLoss);
});
