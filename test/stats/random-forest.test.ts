import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Rng } from '../../src/core/random.js';
import { RandomForest, fitRandomForest } from '../../src/stats/random-forest.js';
import { accuracy } from '../../src/stats/classification.js';

function gaussianClasses(n: number, seed: number, weights: number[], informative = [0, 3]) {
  const rng = new Rng(seed);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    let u = rng.uniform();
    let c = 0;
    while (c < weights.length - 1 && u > weights[c]) u -= weights[c++];
    const row = Array.from({ length: 6 }, () => rng.normal());
    for (const f of informative) row[f] += 1.5 * c;
    x.push(row);
    y.push(c);
  }
  return { x, y };
}

/** Weighted Gini impurity decrease of every (feature, midpoint) split, by enumeration. */
function bruteForceBestSplit(x: number[][], y: number[]) {
  const gini = (idx: number[]) => {
    const counts = new Map<number, number>();
    idx.forEach((i) => counts.set(y[i], (counts.get(y[i]) ?? 0) + 1));
    return 1 - [...counts.values()].reduce((s, c) => s + (c / idx.length) ** 2, 0);
  };
  const all = x.map((_, i) => i);
  let best = { feature: -1, threshold: 0, child: Infinity };
  for (let f = 0; f < x[0].length; f++) {
    const values = [...new Set(x.map((r) => r[f]))].sort((a, b) => a - b);
    for (let v = 0; v < values.length - 1; v++) {
      const t = (values[v] + values[v + 1]) / 2;
      const l = all.filter((i) => x[i][f] <= t);
      const r = all.filter((i) => x[i][f] > t);
      const child = l.length * gini(l) + r.length * gini(r);
      if (child < best.child - 1e-12) best = { feature: f, threshold: t, child };
    }
  }
  return best;
}

test('one tree without bootstrap: the root split is the brute-force best Gini split; leaves are pure', () => {
  const { x, y } = gaussianClasses(60, 1, [0.5, 0.3, 0.2]);
  const forest = fitRandomForest(x, y, {
    trees: 1,
    bootstrap: false,
    maxFeatures: 'all',
    balance: 'none',
  });
  const tree = forest.toJSON().trees[0];
  const best = bruteForceBestSplit(x, y);
  assert.equal(tree.feature[0], best.feature);
  assert.ok(Math.abs(tree.threshold[0] - best.threshold) < 1e-12);
  assert.equal(accuracy(y, forest.predict(x)), 1, 'distinct points are fitted exactly');
});

test('forests are seeded: same seed, same forest; another seed, another forest', () => {
  const { x, y } = gaussianClasses(200, 2, [0.6, 0.4]);
  const a = fitRandomForest(x, y, { trees: 20, seed: 5 });
  const b = fitRandomForest(x, y, { trees: 20, seed: 5 });
  const c = fitRandomForest(x, y, { trees: 20, seed: 6 });
  assert.deepEqual(a.toJSON(), b.toJSON());
  assert.notDeepEqual(a.toJSON().trees, c.toJSON().trees);
});

test('importances concentrate on the informative features and sum to 1', () => {
  const { x, y } = gaussianClasses(400, 3, [0.5, 0.5]);
  const f = fitRandomForest(x, y, { trees: 100, seed: 1 });
  const imp = f.featureImportances;
  assert.ok(Math.abs(imp.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.ok(imp[0] + imp[3] > 0.5, `informative share ${imp[0] + imp[3]}`);
  for (const j of [1, 2, 4, 5]) assert.ok(imp[j] < Math.min(imp[0], imp[3]));
});

test('balanced bootstraps raise minority recall on imbalanced, overlapping classes', () => {
  const recall = (balance: 'balanced-bootstrap' | 'none', seed: number) => {
    const train = gaussianClasses(1000, 10 + seed, [0.95, 0.05], [0]);
    const held = gaussianClasses(4000, 20 + seed, [0.95, 0.05], [0]);
    const f = fitRandomForest(train.x, train.y, { trees: 60, balance, seed, minSamplesLeaf: 2 });
    const pred = f.predict(held.x);
    const minority = held.y.flatMap((c, i) => (c === 1 ? [i] : []));
    return minority.filter((i) => pred[i] === 1).length / minority.length;
  };
  for (const seed of [0, 1]) {
    const balanced = recall('balanced-bootstrap', seed);
    const plain = recall('none', seed);
    assert.ok(balanced > plain + 0.2, `seed ${seed}: balanced ${balanced} vs plain ${plain}`);
  }
});

test('as accurate as scikit-learn (class-weighted, 500 trees) on a fixed dataset; same top features', () => {
  const fx = JSON.parse(
    readFileSync(
      new URL('../../../test/fixtures/random-forest/classification.json', import.meta.url),
      'utf8',
    ),
  ) as {
    x: number[][];
    y: number[];
    train: number[];
    test: number[];
    heldOutAccuracy: number[];
    featureImportances: number[];
  };
  const pick = (idx: number[]) => ({ x: idx.map((i) => fx.x[i]), y: idx.map((i) => fx.y[i]) });
  const train = pick(fx.train);
  const held = pick(fx.test);
  const f = fitRandomForest(train.x, train.y, { trees: 500, balance: 'class-weight', seed: 0 });
  const ours = accuracy(held.y, f.predict(held.x));
  const theirs = fx.heldOutAccuracy.reduce((a, b) => a + b, 0) / fx.heldOutAccuracy.length;
  assert.ok(Math.abs(ours - theirs) <= 0.03, `ours ${ours}, scikit-learn ${theirs}`);
  const top2 = (imp: number[]) =>
    imp
      .map((v, j) => [v, j])
      .sort((a, b) => b[0] - a[0])
      .slice(0, 2)
      .map(([, j]) => j)
      .sort();
  assert.deepEqual(top2(f.featureImportances), top2(fx.featureImportances));
});

test('a forest survives JSON; bad inputs are named', () => {
  const { x, y } = gaussianClasses(100, 4, [0.5, 0.5]);
  const f = fitRandomForest(
    x,
    y.map((c) => (c ? 'Sst' : 'Pvalb')),
    { trees: 10 },
  );
  const back = RandomForest.fromJSON(JSON.parse(JSON.stringify(f)));
  assert.deepEqual(back.predictProba(x), f.predictProba(x));
  assert.deepEqual(back.classes, ['Pvalb', 'Sst']);
  assert.throws(() => fitRandomForest([[1, 2], [1]], [0, 1]), /row 1 has 1 features/);
  assert.throws(
    () =>
      fitRandomForest(
        [
          [1, NaN],
          [1, 2],
        ],
        [0, 1],
      ),
    /row 0, feature 1 is NaN/,
  );
  assert.throws(() => fitRandomForest([[1], [2]], [0, 0]), /at least 2 classes/);
  assert.throws(() => fitRandomForest([[1], [2]], [0]), /2 rows but 1 labels/);
});
