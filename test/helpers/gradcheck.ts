/**
 * Finite-difference gradient check in float64: compares the gradients autograd computes
 * for a scalar function with central differences (f(x+h) − f(x−h)) / 2h, element by element.
 */
import assert from 'node:assert/strict';
import { Tensor, tidy } from '../../src/engine/index.js';

export interface GradInput {
  data: number[];
  shape: number[];
}

export function gradcheck(
  name: string,
  f: (xs: Tensor[]) => Tensor,
  inputs: GradInput[],
  { h = 1e-6, tol = 1e-6 } = {},
): void {
  const evalAt = (values: number[][]) =>
    tidy(() => f(values.map((v, i) => Tensor.from(v, inputs[i].shape, 'float64'))).item());
  const analytic = tidy(() => {
    const xs = inputs.map((x) => Tensor.from(x.data, x.shape, 'float64').requiresGrad_());
    const out = f(xs);
    assert.equal(out.numel, 1, `${name}: gradcheck needs a scalar output`);
    out.backward();
    return xs.map((x) => x.grad?.toNumbers() ?? new Array(x.numel).fill(0));
  });
  inputs.forEach((input, i) => {
    for (let k = 0; k < input.data.length; k++) {
      const plus = inputs.map((x) => [...x.data]);
      const minus = inputs.map((x) => [...x.data]);
      plus[i][k] += h;
      minus[i][k] -= h;
      const numeric = (evalAt(plus) - evalAt(minus)) / (2 * h);
      const err = Math.abs(numeric - analytic[i][k]);
      assert.ok(
        err <= tol * Math.max(1, Math.abs(numeric)),
        `${name}: d/dx${i}[${k}] autograd ${analytic[i][k]} vs finite difference ${numeric}`,
      );
    }
  });
}

/** Deterministic pseudo-random test values in (lo, hi). */
export function values(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (s / 2 ** 32) * (hi - lo);
  });
}

export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 1e-12,
  what = '',
): void {
  assert.equal(
    actual.length,
    expected.length,
    `${what}: length ${actual.length} vs ${expected.length}`,
  );
  for (let i = 0; i < actual.length; i++) {
    const ok = Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i]));
    assert.ok(ok, `${what}[${i}]: ${actual[i]} vs expected ${expected[i]}`);
  }
}
