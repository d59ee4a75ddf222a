/**
 * Stress layout of datasets from a transfer matrix (Shimono 2026): symmetric similarity
 * s_ij = ½(score_i→j + score_j→i), dissimilarity d_ij = 1/s_ij − 1, and coordinates that
 * minimise Σ_{i<j} (‖x_i − x_j‖ − d_ij)² by gradient descent from several seeded random
 * starts, keeping the best. Written here because it is ~60 lines on plain arrays and the
 * npm MDS packages solve classical MDS (eigen-based), not this raw-stress objective.
 */
import { UsageError } from '../core/errors.js';
import { Rng } from '../core/random.js';

export interface StressLayout {
  /** n × dims coordinates. */
  coordinates: number[][];
  /** Σ_{i<j} (‖x_i − x_j‖ − d_ij)² at the solution. */
  stress: number;
  dissimilarity: number[][];
}

/** d_ij = 1/s_ij − 1 from a (not necessarily symmetric) score matrix in (0, 1]. */
export function dissimilarityFromScores(scores: number[][]): number[][] {
  const n = scores.length;
  return scores.map((row, i) => {
    if (row.length !== n)
      throw new UsageError(`transfer matrix row ${i} has ${row.length} entries, expected ${n}`);
    return row.map((_, j) => {
      if (i === j) return 0;
      const s = 0.5 * (scores[i][j] + scores[j][i]);
      if (!(s > 0))
        throw new UsageError(`transfer scores ${i}→${j} and ${j}→${i} average ${s}; expected > 0`);
      return 1 / s - 1;
    });
  });
}

export interface LayoutOptions {
  dims?: number;
  starts?: number;
  iterations?: number;
  seed?: number;
}

export function stressLayout(dissimilarity: number[][], o: LayoutOptions = {}): StressLayout {
  const n = dissimilarity.length;
  const dims = o.dims ?? 3;
  const rng = new Rng(o.seed ?? 0);
  const scale = Math.max(1e-9, ...dissimilarity.flat());
  let best: StressLayout | null = null;
  for (let start = 0; start < (o.starts ?? 8); start++) {
    const x = Array.from({ length: n }, () =>
      Array.from({ length: dims }, () => rng.normal(0, scale)),
    );
    const stress = descend(x, dissimilarity, o.iterations ?? 2000, scale);
    if (!best || stress < best.stress) best = { coordinates: x, stress, dissimilarity };
  }
  return best!;
}

/** Gradient descent with a step that backs off when stress rises; returns the final stress. */
function descend(x: number[][], d: number[][], iterations: number, scale: number): number {
  const n = x.length;
  const dims = x[0]?.length ?? 0;
  let step = 0.05;
  let current = stressOf(x, d);
  for (let it = 0; it < iterations && current > 1e-14 * scale * scale; it++) {
    const grad = x.map(() => new Array(dims).fill(0));
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const dist = Math.max(1e-12, distance(x[i], x[j]));
        const coef = (2 * (dist - d[i][j])) / dist;
        for (let k = 0; k < dims; k++) {
          const g = coef * (x[i][k] - x[j][k]);
          grad[i][k] += g;
          grad[j][k] -= g;
        }
      }
    }
    const candidate = x.map((row, i) => row.map((v, k) => v - step * grad[i][k]));
    const next = stressOf(candidate, d);
    if (next < current) {
      for (let i = 0; i < n; i++) x[i] = candidate[i];
      current = next;
      step *= 1.1;
    } else step *= 0.5;
  }
  return current;
}

function distance(a: number[], b: number[]): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k] - b[k]) ** 2;
  return Math.sqrt(s);
}

export function stressOf(x: number[][], d: number[][]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++)
    for (let j = i + 1; j < x.length; j++) s += (distance(x[i], x[j]) - d[i][j]) ** 2;
  return s;
}

/** The first two principal axes of the coordinates (for a 2-D view of the 3-D map). */
export function projectTo2d(coordinates: number[][]): number[][] {
  const n = coordinates.length;
  const dims = coordinates[0]?.length ?? 0;
  const mean = Array.from(
    { length: dims },
    (_, k) => coordinates.reduce((s, c) => s + c[k], 0) / n,
  );
  const centred = coordinates.map((c) => c.map((v, k) => v - mean[k]));
  const cov = Array.from({ length: dims }, (_, a) =>
    Array.from({ length: dims }, (_, b) => centred.reduce((s, c) => s + c[a] * c[b], 0)),
  );
  const axes: number[][] = [];
  // Power iteration with deflation: dims ≤ 3, so this converges in a few dozen steps.
  for (let axis = 0; axis < Math.min(2, dims); axis++) {
    let v: number[] = Array.from({ length: dims }, (_, k) => (k === axis ? 1 : 0.5));
    for (let it = 0; it < 200; it++) {
      const w = cov.map((row) => row.reduce((s, c, k) => s + c * v[k], 0));
      for (const u of axes) {
        const dot = w.reduce((s, c, k) => s + c * u[k], 0);
        for (let k = 0; k < dims; k++) w[k] -= dot * u[k];
      }
      const norm = Math.hypot(...w) || 1;
      v = w.map((c) => c / norm);
    }
    axes.push(v);
  }
  return centred.map((c) => axes.map((u) => c.reduce((s, v, k) => s + v * u[k], 0)));
}
