/**
 * Mean ± sample sd (n − 1) of each model's test scores over fine-tuning seeds: the summary
 * `cells classify --seeds` writes beside its per-seed results.
 */
import { meanSd } from '../../../stats/hypothesis-tests.js';

export interface SeedScores {
  model: string;
  accuracy: number;
  macroF1: number;
  validation?: { macroF1: number };
}

/** Mean and sample sd; sd is null for a single value (JSON has no NaN). */
export interface MeanSd {
  mean: number;
  sd: number | null;
}

export interface SeedSummaryRow {
  model: string;
  /** Seeds whose results enter the mean. */
  seeds: number;
  /** Fits behind them: 1 for a model that does not depend on the seed (fitted once). */
  fits: number;
  accuracy: MeanSd;
  macroF1: MeanSd;
  /** Early stopping's validation macro-F1 (neural models only). */
  validationMacroF1?: MeanSd;
}

export function meanAndSd(xs: number[]): MeanSd {
  const { mean, sd } = meanSd(xs);
  return { mean, sd: xs.length > 1 ? sd : null };
}

/**
 * One row per model, in the order of the first seed's rows; `fitsOf` says how many fits a
 * model took (default: one per seed).
 */
export function summarizeSeeds(
  perSeed: { seed: number; rows: SeedScores[] }[],
  fitsOf: (model: string) => number = () => perSeed.length,
): SeedSummaryRow[] {
  const models = perSeed[0]?.rows.map((r) => r.model) ?? [];
  return models.map((model) => {
    const rows = perSeed.map((s) => {
      const row = s.rows.find((r) => r.model === model);
      if (!row) throw new Error(`seed ${s.seed} has no result for ${model}`);
      return row;
    });
    const validation = rows.flatMap((r) => (r.validation ? [r.validation.macroF1] : []));
    return {
      model,
      seeds: rows.length,
      fits: fitsOf(model),
      accuracy: meanAndSd(rows.map((r) => r.accuracy)),
      macroF1: meanAndSd(rows.map((r) => r.macroF1)),
      ...(validation.length === rows.length ? { validationMacroF1: meanAndSd(validation) } : {}),
    };
  });
}

/** "0.753 ± 0.018" (sd omitted for one seed). */
export function formatMeanSd(m: MeanSd, digits = 3): string {
  return m.sd === null
    ? m.mean.toFixed(digits)
    : `${m.mean.toFixed(digits)} ± ${m.sd.toFixed(digits)}`;
}
