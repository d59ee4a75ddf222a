/**
 * Standardisation (z-scores) fitted on training rows and applied unchanged to new rows, as
 * scikit-learn's StandardScaler, with the sample SD (n − 1). One rule for features that do
 * not vary: see NEAR_ZERO_SD.
 */

/**
 * Features whose training SD is below this are centred but not scaled (scale 1): dividing by
 * a near-zero SD would blow rounding noise up to unit variance. scikit-learn does the same
 * for exactly-zero variance.
 */
export const NEAR_ZERO_SD = 1e-6;

export interface StandardScalerJson {
  mean: number[];
  scale: number[];
}

export class StandardScaler {
  constructor(
    readonly mean: number[],
    readonly scale: number[],
  ) {}

  transformRow(row: ArrayLike<number>): Float64Array {
    return Float64Array.from(
      { length: this.mean.length },
      (_, k) => (row[k] - this.mean[k]) / this.scale[k],
    );
  }

  transform(rows: ArrayLike<number>[]): Float64Array[] {
    return rows.map((r) => this.transformRow(r));
  }

  toJSON(): StandardScalerJson {
    return { mean: this.mean, scale: this.scale };
  }

  static fromJSON(j: StandardScalerJson): StandardScaler {
    return new StandardScaler(j.mean, j.scale);
  }
}

/** Fits means and SDs (n − 1) of each column of `rows` (all of the same width). */
export function fitStandardScaler(
  rows: ArrayLike<number>[],
  width = rows[0]?.length ?? 0,
): StandardScaler {
  const n = rows.length;
  const mean = Array.from(
    { length: width },
    (_, k) => rows.reduce((s, r) => s + r[k], 0) / Math.max(1, n),
  );
  const scale = mean.map((m, k) => {
    const sd = Math.sqrt(rows.reduce((s, r) => s + (r[k] - m) ** 2, 0) / Math.max(1, n - 1));
    return sd < NEAR_ZERO_SD ? 1 : sd;
  });
  return new StandardScaler(mean, scale);
}
