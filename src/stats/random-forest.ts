/**
 * A class-balanced random-forest classifier (Gouwens et al. 2020 classify t-types from
 * sparse-PCA features with one): CART trees on Gini impurity, each grown on a bootstrap
 * sample that is either plain, class-weighted or balanced (every class drawn as often as
 * the smallest one, as imbalanced-learn's BalancedRandomForest), √p features tried per node,
 * seeded, with impurity-decrease feature importances normalised like scikit-learn's.
 * Hand-written because the maintained JavaScript forest (ml-random-forest) has neither class
 * weighting nor balanced bootstraps nor impurity importances.
 */
import { UsageError } from '../core/errors.js';
import { Rng } from '../core/random.js';
import { balancedClassWeights, type Label } from './classification.js';

export type ForestBalance = 'balanced-bootstrap' | 'class-weight' | 'none';

export interface ForestOptions {
  trees?: number;
  /** Features tried at each split: 'sqrt' (default), 'log2', 'all' or a count. */
  maxFeatures?: 'sqrt' | 'log2' | 'all' | number;
  minSamplesLeaf?: number;
  maxDepth?: number;
  balance?: ForestBalance;
  /** Draw a bootstrap sample per tree (default true). */
  bootstrap?: boolean;
  seed?: number;
}

/** One tree as flat arrays; leaves have feature −1 and a class distribution in `value`. */
export interface TreeArrays {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  /** Per node, class probabilities (classes.length values). */
  value: number[];
}

export interface ForestJson {
  classes: Label[];
  features: number;
  trees: TreeArrays[];
  featureImportances: number[];
  options: Required<Omit<ForestOptions, 'maxDepth'>> & { maxDepth: number | null };
}

export class RandomForest {
  constructor(private readonly json: ForestJson) {}

  get classes(): Label[] {
    return this.json.classes;
  }

  get featureImportances(): number[] {
    return this.json.featureImportances;
  }

  /** Mean over trees of the leaf class distributions. */
  predictProba(x: ArrayLike<number>[]): number[][] {
    const k = this.json.classes.length;
    return x.map((row, i) => {
      if (row.length !== this.json.features)
        throw new UsageError(
          `predict: row ${i} has ${row.length} features, the forest ${this.json.features}`,
        );
      const p = new Array<number>(k).fill(0);
      for (const t of this.json.trees) {
        let node = 0;
        while (t.feature[node] >= 0)
          node = row[t.feature[node]] <= t.threshold[node] ? t.left[node] : t.right[node];
        for (let c = 0; c < k; c++) p[c] += t.value[node * k + c];
      }
      return p.map((v) => v / this.json.trees.length);
    });
  }

  predict(x: ArrayLike<number>[]): Label[] {
    return this.predictProba(x).map((p) => this.json.classes[argmax(p)]);
  }

  toJSON(): ForestJson {
    return this.json;
  }

  static fromJSON(json: ForestJson): RandomForest {
    return new RandomForest(json);
  }
}

function argmax(p: number[]): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}

function validate(x: ArrayLike<number>[], y: ArrayLike<Label>): number {
  if (x.length !== y.length)
    throw new UsageError(`fitRandomForest: ${x.length} rows but ${y.length} labels`);
  if (x.length === 0) throw new UsageError('fitRandomForest: no samples');
  const p = x[0].length;
  x.forEach((row, i) => {
    if (row.length !== p)
      throw new UsageError(`fitRandomForest: row ${i} has ${row.length} features, row 0 has ${p}`);
    for (let j = 0; j < p; j++)
      if (!Number.isFinite(row[j]))
        throw new UsageError(
          `fitRandomForest: row ${i}, feature ${j} is ${row[j]}; impute or drop it first`,
        );
  });
  return p;
}

export function fitRandomForest(
  x: ArrayLike<number>[],
  y: ArrayLike<Label>,
  options: ForestOptions = {},
): RandomForest {
  const p = validate(x, y);
  const classes = [...new Set(Array.from(y))].sort((a, b) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)),
  );
  if (classes.length < 2) throw new UsageError('fitRandomForest: need at least 2 classes');
  const o = {
    trees: options.trees ?? 500,
    maxFeatures: options.maxFeatures ?? 'sqrt',
    minSamplesLeaf: options.minSamplesLeaf ?? 1,
    maxDepth: options.maxDepth ?? null,
    balance: options.balance ?? 'balanced-bootstrap',
    bootstrap: options.bootstrap ?? true,
    seed: options.seed ?? 0,
  };
  const mtry =
    o.maxFeatures === 'sqrt'
      ? Math.max(1, Math.floor(Math.sqrt(p)))
      : o.maxFeatures === 'log2'
        ? Math.max(1, Math.floor(Math.log2(p)))
        : o.maxFeatures === 'all'
          ? p
          : Math.min(p, Math.max(1, Math.floor(o.maxFeatures)));
  const n = x.length;
  const k = classes.length;
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const yi = Int32Array.from(Array.from(y), (v) => classIndex.get(v)!);
  // Column-major copy: the split search reads one feature at a time.
  const columns = Array.from({ length: p }, (_, j) => Float64Array.from(x, (row) => row[j]));
  const byClass = classes.map(() => [] as number[]);
  yi.forEach((c, i) => byClass[c].push(i));
  const classWeight = balancedClassWeights(yi, k);

  const rng = new Rng(o.seed);
  const trees: TreeArrays[] = [];
  const importance = new Float64Array(p);
  for (let t = 0; t < o.trees; t++) {
    const weights = new Float64Array(n);
    if (!o.bootstrap) weights.fill(1);
    else if (o.balance === 'balanced-bootstrap') {
      const m = Math.min(...byClass.map((idx) => idx.length));
      for (const idx of byClass) for (let d = 0; d < m; d++) weights[idx[rng.int(idx.length)]]++;
    } else for (let d = 0; d < n; d++) weights[rng.int(n)]++;
    if (o.balance === 'class-weight') for (let i = 0; i < n; i++) weights[i] *= classWeight[yi[i]];
    const grower = new TreeGrower(columns, yi, k, weights, mtry, o.minSamplesLeaf, o.maxDepth, rng);
    const tree = grower.grow();
    trees.push(tree);
    const total = grower.importance.reduce((a, b) => a + b, 0);
    if (total > 0) grower.importance.forEach((v, j) => (importance[j] += v / total));
  }
  const sum = importance.reduce((a, b) => a + b, 0);
  return new RandomForest({
    classes,
    features: p,
    trees,
    featureImportances: Array.from(importance, (v) => (sum > 0 ? v / sum : 0)),
    options: o,
  });
}

/** Grows one CART tree on weighted samples (weight 0 = not in this tree's bootstrap). */
class TreeGrower {
  readonly importance: Float64Array;
  private readonly tree: TreeArrays = {
    feature: [],
    threshold: [],
    left: [],
    right: [],
    value: [],
  };

  constructor(
    private readonly columns: Float64Array[],
    private readonly y: Int32Array,
    private readonly k: number,
    private readonly w: Float64Array,
    private readonly mtry: number,
    private readonly minLeaf: number,
    private readonly maxDepth: number | null,
    private readonly rng: Rng,
  ) {
    this.importance = new Float64Array(columns.length);
  }

  grow(): TreeArrays {
    const samples: number[] = [];
    for (let i = 0; i < this.w.length; i++) if (this.w[i] > 0) samples.push(i);
    this.node(samples, 0);
    return this.tree;
  }

  private counts(samples: number[]): Float64Array {
    const c = new Float64Array(this.k);
    for (const i of samples) c[this.y[i]] += this.w[i];
    return c;
  }

  private node(samples: number[], depth: number): number {
    const id = this.tree.feature.length;
    const counts = this.counts(samples);
    const total = counts.reduce((a, b) => a + b, 0);
    this.tree.feature.push(-1);
    this.tree.threshold.push(0);
    this.tree.left.push(-1);
    this.tree.right.push(-1);
    for (let c = 0; c < this.k; c++) this.tree.value.push(counts[c] / total);
    const impurity = gini(counts, total);
    const canSplit =
      impurity > 0 &&
      samples.length >= 2 * this.minLeaf &&
      (this.maxDepth === null || depth < this.maxDepth);
    const split = canSplit ? this.bestSplit(samples, impurity, total) : null;
    if (!split) return id;
    const left = samples.filter((i) => this.columns[split.feature][i] <= split.threshold);
    const right = samples.filter((i) => this.columns[split.feature][i] > split.threshold);
    this.importance[split.feature] += split.decrease;
    this.tree.feature[id] = split.feature;
    this.tree.threshold[id] = split.threshold;
    this.tree.left[id] = this.node(left, depth + 1);
    this.tree.right[id] = this.node(right, depth + 1);
    return id;
  }

  /**
   * Best Gini split over `mtry` random features (more are tried, like scikit-learn, while
   * the drawn ones are all constant). `decrease` = weighted impurity decrease of the node.
   */
  private bestSplit(
    samples: number[],
    impurity: number,
    total: number,
  ): { feature: number; threshold: number; decrease: number } | null {
    const p = this.columns.length;
    const order = this.rng.permutation(p);
    let best: { feature: number; threshold: number; decrease: number } | null = null;
    let bestChild = Infinity;
    let tried = 0;
    for (const f of order) {
      if (tried >= this.mtry && best) break;
      const col = this.columns[f];
      const sorted = [...samples].sort((a, b) => col[a] - col[b]);
      if (col[sorted[0]] === col[sorted[sorted.length - 1]]) continue; // constant here
      tried++;
      const left = new Float64Array(this.k);
      const right = this.counts(sorted);
      let wl = 0;
      for (let s = 0; s < sorted.length - 1; s++) {
        const i = sorted[s];
        left[this.y[i]] += this.w[i];
        right[this.y[i]] -= this.w[i];
        wl += this.w[i];
        const a = col[i];
        const b = col[sorted[s + 1]];
        if (a === b || s + 1 < this.minLeaf || sorted.length - s - 1 < this.minLeaf) continue;
        const wr = total - wl;
        const child = wl * gini(left, wl) + wr * gini(right, wr);
        if (child < bestChild - 1e-12) {
          bestChild = child;
          best = { feature: f, threshold: (a + b) / 2, decrease: total * impurity - child };
        }
      }
      if (tried >= this.mtry && best) break;
    }
    return best;
  }
}

function gini(counts: Float64Array, total: number): number {
  if (total <= 0) return 0;
  let s = 1;
  for (const c of counts) s -= (c / total) ** 2;
  return Math.max(0, s);
}
