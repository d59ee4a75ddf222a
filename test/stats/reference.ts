// Loads the scikit-learn / scipy reference values in test/fixtures/stats (see its README).
import { readFileSync } from 'node:fs';

export function loadFixture<T>(name: string): { versions: Record<string, string>; cases: T[] } {
  // Compiled tests run from dist/test/stats; the JSON stays in the source tree.
  const url = new URL(`../../../test/fixtures/stats/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8'));
}

/** |actual − expected| ≤ tol · max(1, |expected|)… or relative only when `relative` is set. */
export function assertClose(
  actual: number,
  expected: number,
  tol: number,
  what: string,
  relative = false,
): void {
  if (Number.isNaN(expected)) {
    if (!Number.isNaN(actual)) throw new Error(`${what}: expected NaN, got ${actual}`);
    return;
  }
  const scale = relative ? Math.abs(expected) : Math.max(1, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tol * scale)) {
    throw new Error(`${what}: got ${actual}, expected ${expected} (tol ${tol})`);
  }
}

export function assertArrayClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  }
  for (let i = 0; i < expected.length; i++)
    assertClose(actual[i], expected[i], tol, `${what}[${i}]`);
}
