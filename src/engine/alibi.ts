/**
 * ALiBi (Press, Smith & Lewis 2022, "Train short, test long"): no position embedding; each
 * head h adds −m_h·(i − j) to the score of key j from query i, a linear penalty on distance
 * with a head-specific slope. Like rotary positions it depends on i − j only, so cached keys
 * stay valid when a window slides; unlike them it costs nothing in the projections.
 */
import { Tensor } from './tensor.js';

/**
 * The paper's slopes: for n a power of two, m_h = 2^(−8h/n), h = 1 … n (8 heads: 1/2 … 1/256);
 * otherwise those of the largest power of two below n, then every other slope of twice that
 * many, as the reference implementation interleaves them.
 */
export function alibiSlopes(heads: number): number[] {
  if (!Number.isInteger(heads) || heads < 1)
    throw new Error(`alibi: heads must be a positive integer, got ${heads}`);
  const powerOfTwo = (n: number) => Array.from({ length: n }, (_, h) => 2 ** ((-8 * (h + 1)) / n));
  const p = 2 ** Math.floor(Math.log2(heads));
  if (p === heads) return powerOfTwo(heads);
  return [
    ...powerOfTwo(p),
    ...alibiSlopes(2 * p)
      .filter((_, i) => i % 2 === 0)
      .slice(0, heads - p),
  ];
}

/** The slopes as a float64 tensor [heads], the form attention takes them in. */
export function alibiSlopeTensor(heads: number, device = 'cpu'): Tensor {
  const t = Tensor.from(Float64Array.from(alibiSlopes(heads)), [heads], 'float64');
  return device === 'cpu' ? t : t.toDevice(device);
}
