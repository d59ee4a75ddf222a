import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stepDecay, warmupCosine, warmupLinear } from '../../src/engine/index.js';

test('warm-up then cosine: closed form at the key steps', () => {
  const lr = warmupCosine(1e-3, 10, 110, 1e-5);
  assert.equal(lr(0), 1e-4);
  assert.equal(lr(9), 1e-3);
  assert.equal(lr(10), 1e-3); // progress 0 → cos 0 = 1
  assert.ok(Math.abs(lr(60) - (1e-5 + 0.5 * (1e-3 - 1e-5))) < 1e-15); // halfway
  assert.ok(Math.abs(lr(110) - 1e-5) < 1e-18);
  assert.ok(Math.abs(lr(500) - 1e-5) < 1e-18, 'stays at the floor after the end');
});

test('warm-up then linear decay, and step decay with a floor', () => {
  const lin = warmupLinear(2, 4, 14);
  assert.equal(lin(1), 1);
  assert.equal(lin(9), 1);
  assert.equal(lin(14), 0);
  const step = stepDecay(0.005, 5, 0.9, 2.5e-5);
  assert.equal(step(4), 0.005);
  assert.ok(Math.abs(step(5) - 0.0045) < 1e-15);
  assert.ok(Math.abs(step(12) - 0.005 * 0.81) < 1e-15);
  assert.equal(step(10_000), 2.5e-5);
});
