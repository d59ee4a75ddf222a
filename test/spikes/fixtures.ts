/** Small rasters with learnable temporal structure for model tests (not a simulator). */
import { Rng } from '../../src/core/random.js';
import type { BinaryRaster } from '../../src/pipelines/spikes/data/raster.js';

/** Units fire in a repeating cascade (unit u spikes u bins after a pacemaker), plus noise. */
export function cascadeRaster(
  bins: number,
  units: number,
  seed: number,
  period = 12,
  noise = 0.01,
): BinaryRaster {
  const rng = new Rng(seed);
  const data = new Uint8Array(bins * units);
  for (let t = 0; t < bins; t++) {
    for (let u = 0; u < units; u++) {
      const inCascade = (t - u) % period === 0 && t >= u && rng.uniform() < 0.9;
      if (inCascade || rng.uniform() < noise) data[t * units + u] = 1;
    }
  }
  return { bins, units, data };
}
