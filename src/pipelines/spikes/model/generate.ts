/**
 * Free-running generation: from a seed window of observed bins, the model's prediction for
 * the next bin is sampled (one Bernoulli draw per unit), appended, and fed back as input.
 * This is the `generate` mode; evaluation never feeds predictions back (predict.ts).
 */
import { UsageError } from '../../../core/errors.js';
import { Rng } from '../../../core/random.js';
import { Tensor, noGrad, tidy } from '../../../engine/index.js';
import type { SpikeTransformer } from '../../../models/spike-transformer.js';
import { SpikeDecoder, supportsCachedDecoding } from '../../../models/spike-decoder.js';
import type { BinaryRaster } from '../data/raster.js';

export interface GenerateOptions {
  /**
   * Reuse keys and values between bins (spike-decoder.ts; models with relative positions
   * only). Default: whenever the model allows it; false re-runs the window for every bin.
   */
  cache?: boolean;
}

export function generateSpikes(
  model: SpikeTransformer,
  seedWindow: BinaryRaster,
  bins: number,
  seed: number,
  o: GenerateOptions = {},
): BinaryRaster {
  if (model.config.leaky) {
    throw new UsageError(
      'a leaky model (no causal mask) predicts its own input bin and cannot generate',
    );
  }
  if (seedWindow.bins < 1) throw new UsageError('generate: the seed window needs at least one bin');
  const cache = o.cache ?? supportsCachedDecoding(model);
  if (cache) return generateCached(model, seedWindow, bins, seed);
  const U = seedWindow.units;
  const C = model.config.context;
  const rng = new Rng(seed);
  // History = seed window followed by the generated bins; only the last C are ever read.
  const history = new Uint8Array((seedWindow.bins + bins) * U);
  history.set(seedWindow.data);
  let filled = seedWindow.bins;
  model.eval();
  for (let step = 0; step < bins; step++) {
    const start = Math.max(0, filled - C);
    const length = filled - start;
    const probabilities = tidy(() =>
      noGrad(() => {
        const x = Tensor.from(history.subarray(start * U, filled * U), [1, length, U], 'uint8').to(
          'float32',
        );
        return model
          .forward(x)
          .logits.select(1, length - 1)
          .sigmoid()
          .toArray() as Float32Array;
      }),
    );
    for (let u = 0; u < U; u++) history[filled * U + u] = rng.uniform() < probabilities[u] ? 1 : 0;
    filled++;
  }
  return { bins, units: U, data: history.slice(seedWindow.bins * U) };
}

/** generateSpikes with a key/value cache: the same draws from the same probabilities. */
function generateCached(
  model: SpikeTransformer,
  seedWindow: BinaryRaster,
  bins: number,
  seed: number,
): BinaryRaster {
  const U = seedWindow.units;
  const C = model.config.context;
  const rng = new Rng(seed);
  const out = new Uint8Array(bins * U);
  model.eval();
  const decoder = new SpikeDecoder(model);
  try {
    // Bins before the last `context` of the seed window fall out of the cache (and the GLM
    // path's shorter reach) before the first draw: they are never read.
    const first = Math.max(0, seedWindow.bins - C);
    let probabilities = decoder.prefill(
      seedWindow.data.subarray(first * U),
      seedWindow.bins - first,
    );
    for (let step = 0; step < bins; step++) {
      const row = out.subarray(step * U, (step + 1) * U);
      for (let u = 0; u < U; u++) row[u] = rng.uniform() < probabilities[u] ? 1 : 0;
      if (step + 1 < bins) probabilities = decoder.step(row);
    }
  } finally {
    decoder.dispose();
  }
  return { bins, units: U, data: out };
}
