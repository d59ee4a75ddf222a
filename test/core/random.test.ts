import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/random.js';

test('Rng is reproducible for a seed and differs across seeds', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const xs = Array.from({ length: 5 }, () => a.uniform());
  assert.deepEqual(
    xs,
    Array.from({ length: 5 }, () => b.uniform()),
  );
  assert.notDeepEqual(
    xs,
    Array.from({ length: 5 }, () => c.uniform()),
  );
});

test('Rng moments match uniform, normal and Poisson laws', () => {
  const rng = new Rng(7);
  const n = 200_000;
  let su = 0,
    sn = 0,
    sn2 = 0,
    sp = 0;
  for (let i = 0; i < n; i++) {
    su += rng.uniform();
    const z = rng.normal();
    sn += z;
    sn2 += z * z;
    sp += rng.poisson(3.5);
  }
  assert.ok(Math.abs(su / n - 0.5) < 0.005);
  assert.ok(Math.abs(sn / n) < 0.01);
  assert.ok(Math.abs(sn2 / n - 1) < 0.02);
  assert.ok(Math.abs(sp / n - 3.5) < 0.03);
});

test('permutation is a permutation', () => {
  const p = new Rng(1).permutation(1000);
  assert.deepEqual(
    [...p].sort((x, y) => x - y),
    Array.from({ length: 1000 }, (_, i) => i),
  );
});

test('permutationInto draws the same permutations as permutation, in a reused buffer', () => {
  const a = new Rng(5);
  const b = new Rng(5);
  const buffer = new Int32Array(37);
  for (let k = 0; k < 50; k++) assert.deepEqual([...b.permutationInto(buffer)], a.permutation(37));
});

test('gamma draws have the Gamma(k, 1) mean k and variance k, for k below and above 1', () => {
  const rng = new Rng(11);
  for (const k of [0.4, 2.5]) {
    const n = 40_000;
    const xs = Array.from({ length: n }, () => rng.gamma(k));
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    assert.ok(Math.abs(mean - k) < 0.03 * Math.max(1, k), `k ${k}: mean ${mean}`);
    assert.ok(Math.abs(variance - k) < 0.08 * Math.max(1, k), `k ${k}: variance ${variance}`);
    assert.ok(xs.every((x) => x > 0));
  }
});
