/**
 * Threshold-free ranking metrics for binary labels (ROC-AUC, average precision, PR-AUC) and
 * the curves behind them. ROC-AUC, AP, the curves and `prAucTrapezoid` are defined exactly as
 * scikit-learn 1.2 defines them, ties included; `prAuc` is the exactly interpolated area of
 * Davis & Goadrich (2006) / Keilwagen et al. (2014), as R's PRROC `auc.integral`.
 *
 * Why split-and-sort instead of an argsort: the pooled spike evaluation scores 10^7–10^8
 * points. Sorting the positive and the negative scores separately needs no index permutation,
 * and merging the two sorted runs visits every distinct threshold once with exact tie groups.
 * Scores that are float32 values (Float32Array input, or any input whose values survive
 * Math.fround) are mapped to order-preserving uint32 keys and radix-sorted: rocAuc on 2·10^7
 * points takes ~1 s this way against ~5 s with the native typed-array sort. Other doubles
 * use the native Float64 sort (~3 s at 2·10^7).
 */
import { UsageError } from '../core/errors.js';

/** Sorted ascending: uint32 keys of float32 scores, or the float64 scores themselves. */
type Sorted = Uint32Array | Float64Array;

interface Split {
  pos: Sorted;
  neg: Sorted;
  /** Score of a sorted entry (keys are decoded; doubles returned as is). */
  decode: (v: number) => number;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Order-preserving key of a float32: flip all bits of negatives, set the sign bit of
 * positives. -0 is mapped to +0 first so that, as in numpy, they form one threshold.
 */
function keyOf(v: number): number {
  f32[0] = v === 0 ? 0 : v;
  const u = u32[0];
  return u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
}

function decodeKey(k: number): number {
  u32[0] = k & 0x80000000 ? k & 0x7fffffff : ~k >>> 0;
  return f32[0];
}

/** LSD radix sort, 11 + 11 + 10 bits; returns a sorted array (not necessarily `a`). */
function radixSort(a: Uint32Array): Uint32Array {
  const n = a.length;
  if (n < 1024) return a.sort();
  const c0 = new Uint32Array(2048);
  const c1 = new Uint32Array(2048);
  const c2 = new Uint32Array(1024);
  for (let i = 0; i < n; i++) {
    const k = a[i];
    c0[k & 0x7ff]++;
    c1[(k >>> 11) & 0x7ff]++;
    c2[k >>> 22]++;
  }
  for (const c of [c0, c1, c2]) {
    let sum = 0;
    for (let b = 0; b < c.length; b++) {
      const t = c[b];
      c[b] = sum;
      sum += t;
    }
  }
  const b = new Uint32Array(n);
  for (let i = 0; i < n; i++) b[c0[a[i] & 0x7ff]++] = a[i];
  for (let i = 0; i < n; i++) a[c1[(b[i] >>> 11) & 0x7ff]++] = b[i];
  for (let i = 0; i < n; i++) b[c2[a[i] >>> 22]++] = a[i];
  return b;
}

function allFloat32(scores: ArrayLike<number>): boolean {
  if (scores instanceof Float32Array) return true;
  for (let i = 0; i < scores.length; i++) if (Math.fround(scores[i]) !== scores[i]) return false;
  return true;
}

/** Validates, then splits the scores by label and sorts each part. */
function split(fn: string, scores: ArrayLike<number>, labels: ArrayLike<number>): Split {
  const n = scores.length;
  if (labels.length !== n) {
    throw new UsageError(`${fn}: ${n} scores but ${labels.length} labels`);
  }
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (y === 1) positives++;
    else if (y !== 0) throw new UsageError(`${fn}: labels must be 0 or 1, label[${i}] is ${y}`);
    if (Number.isNaN(scores[i])) throw new UsageError(`${fn}: score[${i}] is NaN`);
  }
  // sklearn: roc_auc_score raises ValueError("Only one class present in y_true"); roc_curve
  // returns NaN rates; average_precision_score returns 0 (no positives) or 1 (all positive)
  // with a warning. None of these is a useful number, so all functions here refuse.
  if (positives === 0 || positives === n) {
    throw new UsageError(
      `${fn}: only one class present in labels (${positives} positives of ${n}); the metric is undefined`,
    );
  }
  if (allFloat32(scores)) {
    const pos = new Uint32Array(positives);
    const neg = new Uint32Array(n - positives);
    let p = 0;
    let q = 0;
    for (let i = 0; i < n; i++) {
      if (labels[i] === 1) pos[p++] = keyOf(scores[i]);
      else neg[q++] = keyOf(scores[i]);
    }
    return { pos: radixSort(pos), neg: radixSort(neg), decode: decodeKey };
  }
  const pos = new Float64Array(positives);
  const neg = new Float64Array(n - positives);
  let p = 0;
  let q = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] === 1) pos[p++] = scores[i];
    else neg[q++] = scores[i];
  }
  pos.sort(); // -0 sorts before +0 but compares ===, so the sweep still groups them
  neg.sort();
  return { pos, neg, decode: (v) => v };
}

/**
 * Per distinct score, in decreasing order, the cumulative counts of positives (tp) and
 * negatives (fp) scoring ≥ it: sklearn's `_binary_clf_curve`. `thresholds` holds the
 * sorted entries (keys or doubles); decode them with `Split.decode`.
 */
function thresholdCounts(s: Split): {
  thresholds: Float64Array;
  tp: Float64Array;
  fp: Float64Array;
} {
  const { pos, neg } = s;
  let m = 0;
  for (let i = pos.length - 1, j = neg.length - 1; i >= 0 || j >= 0; m++) {
    const t = i < 0 ? neg[j] : j < 0 ? pos[i] : pos[i] > neg[j] ? pos[i] : neg[j];
    while (i >= 0 && pos[i] === t) i--;
    while (j >= 0 && neg[j] === t) j--;
  }
  const thresholds = new Float64Array(m);
  const tpOut = new Float64Array(m);
  const fpOut = new Float64Array(m);
  let tp = 0;
  let fp = 0;
  for (let i = pos.length - 1, j = neg.length - 1, k = 0; i >= 0 || j >= 0; k++) {
    const t = i < 0 ? neg[j] : j < 0 ? pos[i] : pos[i] > neg[j] ? pos[i] : neg[j];
    for (; i >= 0 && pos[i] === t; i--) tp++;
    for (; j >= 0 && neg[j] === t; j--) fp++;
    thresholds[k] = t;
    tpOut[k] = tp;
    fpOut[k] = fp;
  }
  return { thresholds, tp: tpOut, fp: fpOut };
}

export interface RankingMetrics {
  rocAuc: number;
  averagePrecision: number;
  /** Interpolated area under the PR curve (see `prAuc`). */
  prAuc: number;
  /** sklearn's `auc(recall, precision)` (see `prAucTrapezoid`). */
  prAucTrapezoid: number;
}

/**
 * Area under the PR curve between two adjacent operating points A = (tpA, fpA) and
 * B = (tpB, fpB), divided by the number of positives, interpolated as Davis & Goadrich
 * (2006): between A and B the false positives grow linearly with the true positives
 * (fp = fpA + s·(tp − tpA)), which is the expected curve when the tied scores between the
 * two thresholds are put in random order. Precision along it is tp / ((1 + s)·tp + c) with
 * c = fpA − s·tpA, whose integral over tp is closed-form (Keilwagen et al. 2014):
 *   ∫ tp / ((1+s)tp + c) dtp = Δ/(1+s) − c/(1+s)² · ln((tpB + fpB) / (tpA + fpA)).
 * log1p keeps the difference accurate when the segment is short relative to tpA + fpA.
 */
function interpolatedSegment(tpA: number, fpA: number, tpB: number, fpB: number): number {
  const dtp = tpB - tpA;
  if (dtp === 0) return 0; // only false positives added: no recall gained
  const s = (fpB - fpA) / dtp;
  const c = fpA - s * tpA;
  const linear = dtp / (1 + s);
  if (c === 0) return linear; // precision is constant along the segment (e.g. from the origin)
  return linear - (c / ((1 + s) * (1 + s))) * Math.log1p((tpB + fpB - tpA - fpA) / (tpA + fpA));
}

/**
 * ROC-AUC, average precision and PR-AUC from one sort and one sweep over the distinct
 * thresholds (each equal to the single-metric function). The sweep is written out here
 * rather than via a callback so it stays monomorphic and fast at 10^8 points.
 */
export function rankingMetrics(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
): RankingMetrics {
  return summarise(split('rankingMetrics', scores, labels));
}

function summarise({ pos, neg }: Split): RankingMetrics {
  const positives = pos.length;
  const negatives = neg.length;
  let rocTwice = 0; // Σ Δfp · (tp + tpPrev): integer, exact below 2^53
  let ap = 0;
  let prInterpolated = 0; // in units of positives
  let pr = 0;
  let tp = 0;
  let fp = 0;
  let tpPrev = 0;
  let fpPrev = 0;
  let rPrev = 0;
  let pPrev = 1; // sklearn's curve starts at (recall 0, precision 1)
  let i = positives - 1;
  let j = negatives - 1;
  while (i >= 0 || j >= 0) {
    const t = i < 0 ? neg[j] : j < 0 ? pos[i] : pos[i] > neg[j] ? pos[i] : neg[j];
    for (; i >= 0 && pos[i] === t; i--) tp++;
    for (; j >= 0 && neg[j] === t; j--) fp++;
    rocTwice += (fp - fpPrev) * (tp + tpPrev);
    const r = tp / positives;
    const p = tp / (tp + fp);
    if (tp !== tpPrev) ap += ((tp - tpPrev) / positives) * p;
    prInterpolated += interpolatedSegment(tpPrev, fpPrev, tp, fp);
    pr += ((r - rPrev) * (p + pPrev)) / 2;
    tpPrev = tp;
    fpPrev = fp;
    rPrev = r;
    pPrev = p;
  }
  return {
    rocAuc: rocTwice / (2 * positives * negatives),
    averagePrecision: ap,
    prAuc: prInterpolated / positives,
    prAucTrapezoid: pr,
  };
}

/**
 * Area under the ROC curve: P(score⁺ > score⁻) + ½ P(score⁺ = score⁻), i.e. the trapezoid
 * over all distinct thresholds. Equals sklearn `roc_auc_score`.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  return summarise(split('rocAuc', scores, labels)).rocAuc;
}

/**
 * Average precision Σ (R_k − R_{k−1}) P_k over distinct thresholds in decreasing order
 * (no interpolation). Equals sklearn `average_precision_score`.
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  return summarise(split('averagePrecision', scores, labels)).averagePrecision;
}

/**
 * Area under the precision–recall curve with the interpolation of Davis & Goadrich (2006),
 * integrated exactly (Keilwagen, Grosse & Grau 2014; R's PRROC `pr.curve(...)$auc.integral`).
 * Between two thresholds the curve follows the expected precision of the tied scores in
 * random order, and it starts at recall 0 with the first threshold's precision, not at 1.
 * So a constant score gets the positive fraction (chance), as AP does. Why not the
 * trapezoid: linear interpolation in PR space is optimistic (Davis & Goadrich), and with
 * large tie groups grossly so. A constant per-unit rate predictor of spikes at 0.16 %
 * prevalence has AP 0.0016 but trapezoid area 0.0115. See `prAucTrapezoid`.
 */
export function prAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  return summarise(split('prAuc', scores, labels)).prAuc;
}

/**
 * Trapezoidal area under the precision–recall curve, sklearn `auc(recall, precision)` on
 * `precision_recall_curve` output: the curve starts at (recall 0, precision 1). Points after
 * full recall add no width, so no area. Kept for comparison with tools that report it; it is
 * optimistic wherever scores tie (a constant score gets (1 + prevalence) / 2).
 */
export function prAucTrapezoid(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  return summarise(split('prAucTrapezoid', scores, labels)).prAucTrapezoid;
}

export interface RocCurve {
  fpr: Float64Array;
  tpr: Float64Array;
  /** Decreasing; thresholds[0] = +Infinity (the added (0, 0) point). */
  thresholds: Float64Array;
}

/**
 * ROC points at every distinct threshold, as sklearn `roc_curve(drop_intermediate=False)`:
 * decreasing thresholds, starting at (0, 0). One difference: the first threshold is
 * +Infinity (sklearn ≥ 1.3) where sklearn 1.2 uses max(score) + 1.
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocCurve {
  const s = split('rocCurve', scores, labels);
  const c = thresholdCounts(s);
  const m = c.thresholds.length + 1;
  const fpr = new Float64Array(m);
  const tpr = new Float64Array(m);
  const thresholds = new Float64Array(m);
  thresholds[0] = Infinity;
  const positives = s.pos.length;
  const negatives = s.neg.length;
  for (let k = 1; k < m; k++) {
    fpr[k] = c.fp[k - 1] / negatives;
    tpr[k] = c.tp[k - 1] / positives;
    thresholds[k] = s.decode(c.thresholds[k - 1]);
  }
  return { fpr, tpr, thresholds };
}

export interface PrCurve {
  /** Length m + 1; the last entry is the added precision 1. */
  precision: Float64Array;
  /** Length m + 1, non-increasing; the last entry is the added recall 0. */
  recall: Float64Array;
  /** Length m, increasing (sklearn's order). */
  thresholds: Float64Array;
}

/**
 * Precision–recall points exactly as sklearn 1.2 `precision_recall_curve`: one point per
 * distinct threshold in increasing threshold order, then (recall 0, precision 1). Note that
 * sklearn 1.2 no longer truncates the curve at full recall (releases ≤ 1.0 did); neither do we.
 */
export function prCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): PrCurve {
  const s = split('prCurve', scores, labels);
  const c = thresholdCounts(s);
  const m = c.thresholds.length;
  const precision = new Float64Array(m + 1);
  const recall = new Float64Array(m + 1);
  const thresholds = new Float64Array(m);
  precision[m] = 1;
  recall[m] = 0;
  const positives = s.pos.length;
  for (let k = 0; k < m; k++) {
    const tp = c.tp[k];
    precision[m - 1 - k] = tp / (tp + c.fp[k]);
    recall[m - 1 - k] = tp / positives;
    thresholds[m - 1 - k] = s.decode(c.thresholds[k]);
  }
  return { precision, recall, thresholds };
}

/**
 * Thins a curve for plotting: keeps the first and last points and a point whenever the
 * curve has travelled at least 1/maxPoints (L1 distance in the unit square) since the last
 * kept one, so at most ~2·maxPoints points survive and corners are not lost. Returns the
 * kept indices, so callers can pick thresholds too.
 */
export function downsampleIndices(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  maxPoints: number,
): number[] {
  if (x.length !== y.length) {
    throw new UsageError(`downsampleIndices: x has ${x.length} points, y has ${y.length}`);
  }
  if (!(maxPoints >= 2)) throw new UsageError(`downsampleIndices: maxPoints must be ≥ 2`);
  const n = x.length;
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  // Points are kept at least step apart along the L1 path, with step = path length /
  // (maxPoints − 1): so at most maxPoints points whatever the curve's length (a ROC path is
  // up to 2 long, a PR path can be longer).
  let length = 0;
  for (let i = 1; i < n; i++) length += Math.abs(x[i] - x[i - 1]) + Math.abs(y[i] - y[i - 1]);
  const step = length / (maxPoints - 1);
  const kept = [0];
  let last = 0;
  for (let i = 1; i < n - 1; i++) {
    if (Math.abs(x[i] - x[last]) + Math.abs(y[i] - y[last]) >= step) {
      kept.push(i);
      last = i;
    }
  }
  kept.push(n - 1);
  return kept;
}

/** A plotting-sized copy of a ROC curve (see `downsampleIndices`). */
export function downsampleRocCurve(curve: RocCurve, maxPoints = 500): RocCurve {
  const idx = downsampleIndices(curve.fpr, curve.tpr, maxPoints);
  const pick = (a: Float64Array) => Float64Array.from(idx, (i) => a[i]);
  return { fpr: pick(curve.fpr), tpr: pick(curve.tpr), thresholds: pick(curve.thresholds) };
}
