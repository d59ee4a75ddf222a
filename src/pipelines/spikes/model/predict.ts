/**
 * One-step-ahead prediction over a whole split from the observed past only (the model's own
 * predictions are never fed back). Windows of `context` bins advance by half a context, and
 * each window scores only the bins of its second half, so every scored bin is predicted from
 * at least context/2 observed bins. The split's first bins take their past from the bins
 * that precede it in the recording (`history`, e.g. the end of the validation split); with
 * no history, bin 0 cannot be predicted and the first bins have shorter pasts (stated in
 * the result).
 */
import { Tensor, noGrad, tidy } from '../../../engine/index.js';
import type { SpikeTransformer } from '../../../models/spike-transformer.js';
import { concatBins, sliceBins, windowsToFloat, type BinaryRaster } from '../data/raster.js';

export interface PredictOptions {
  context: number;
  batchSize?: number;
  /** Bins before the target split (only its last `context` bins are used). */
  history?: BinaryRaster | null;
  onProgress?: (done: number, total: number) => void;
}

export interface Prediction {
  /** P(spike) for bins [firstScoredBin, bins) × units, row-major. */
  probabilities: Float32Array;
  /** First target bin that has a prediction (0 with history, 1 without). */
  firstScoredBin: number;
  /** Smallest number of observed past bins behind any scored bin. */
  minimumPast: number;
}

export function predictOneStepAhead(
  model: SpikeTransformer,
  target: BinaryRaster,
  o: PredictOptions,
): Prediction {
  const C = Math.min(o.context, model.config.context);
  const half = Math.max(1, Math.floor(C / 2));
  const hist =
    o.history && o.history.bins > 0
      ? sliceBins(o.history, Math.max(0, o.history.bins - C), o.history.bins)
      : null;
  const full = hist ? concatBins(hist, target) : target;
  const offset = hist ? hist.bins : 0;
  const U = target.units;
  const firstScoredBin = hist ? 0 : 1;
  const probabilities = new Float32Array((target.bins - firstScoredBin) * U);
  const leaky = model.config.leaky;

  // Each window [s, s+len) scores global bins g in [from, s+len): position g−1 predicts g
  // (position g itself when the model is leaky, which is exactly the released code's flaw).
  type Job = { start: number; length: number; from: number };
  const jobs: Job[] = [];
  let nextUnscored = offset + firstScoredBin;
  for (let s = 0; nextUnscored < full.bins; s += half) {
    const length = Math.min(C, full.bins - s);
    const to = s + length;
    if (to <= nextUnscored) continue;
    jobs.push({ start: s, length, from: nextUnscored });
    nextUnscored = to;
  }

  const minimumPast = Math.min(...jobs.map((j) => j.from - j.start));
  const batchSize = o.batchSize ?? 8;
  model.eval();
  let done = 0;
  for (let i = 0; i < jobs.length;) {
    // Batch windows of equal length (all but possibly the last have length C).
    const batch: Job[] = [jobs[i++]];
    while (i < jobs.length && batch.length < batchSize && jobs[i].length === batch[0].length)
      batch.push(jobs[i++]);
    const length = batch[0].length;
    const logits = tidy(() =>
      noGrad(() => {
        const x = Tensor.from(
          windowsToFloat(
            full,
            batch.map((j) => j.start),
            length,
          ),
          [batch.length, length, U],
        );
        return model.forward(x).logits.sigmoid().toArray() as Float32Array;
      }),
    );
    batch.forEach((job, b) => {
      for (let g = job.from; g < job.start + job.length; g++) {
        const position = leaky ? g - job.start : g - 1 - job.start;
        const src = (b * length + position) * U;
        const dst = (g - offset - firstScoredBin) * U;
        probabilities.set(logits.subarray(src, src + U), dst);
      }
    });
    done += batch.length;
    o.onProgress?.(done, jobs.length);
  }
  return { probabilities, firstScoredBin, minimumPast };
}
