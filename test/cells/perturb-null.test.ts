/**
 * The marker-deletion permutation test: gene profiles, matched pools and the permutation
 * p-value against brute force (counting ranks, enumerating every possible random set), and
 * the test's statistics against deletions re-embedded one cell at a time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/random.js';
import { manualSeed } from '../../src/engine/index.js';
import { CELL_ENCODER_PRESETS, CellEncoder } from '../../src/models/cell-encoder.js';
import {
  drawMatchedSet,
  geneProfiles,
  matchedPools,
  permutationP,
  type GeneProfile,
} from '../../src/pipelines/cells/tasks/perturb-null.js';
import { markerDeletionTest } from '../../src/pipelines/cells/tasks/marker-deletion.js';
import { embedCells } from '../../src/pipelines/cells/tasks/tasks.js';

test('gene profiles: frequency and mean position of every gene, counted by hand', () => {
  // <cls> = 2, pad = 0; genes 4..8.
  const tokens = Int32Array.from([2, 5, 4, 7, 0, 2, 4, 8, 0, 0, 2, 7, 5, 4, 6]);
  assert.deepEqual(geneProfiles({ tokens, maxLength: 5 }), [
    { token: 4, frequency: 1, meanPosition: (2 + 1 + 3) / 3 },
    { token: 5, frequency: 2 / 3, meanPosition: (1 + 2) / 2 },
    { token: 6, frequency: 1 / 3, meanPosition: 4 },
    { token: 7, frequency: 2 / 3, meanPosition: (3 + 1) / 2 },
    { token: 8, frequency: 1 / 3, meanPosition: 2 },
  ]);
});

/** Brute force: rank = #smaller + (#equal + 1) / 2, distances, full sort. */
function poolsByHand(profiles: GeneProfile[], markers: number[], size: number): number[][] {
  const rank = (xs: number[], i: number) =>
    xs.filter((x) => x < xs[i]).length + (xs.filter((x) => x === xs[i]).length + 1) / 2;
  const f = profiles.map((g) => g.frequency);
  const p = profiles.map((g) => g.meanPosition);
  const m = profiles.length;
  return markers.map((marker) => {
    const k = profiles.findIndex((g) => g.token === marker);
    const scored: [number, number][] = [];
    for (let i = 0; i < m; i++) {
      if (markers.includes(profiles[i].token)) continue;
      const df = (rank(f, i) - rank(f, k)) / (m - 1);
      const dp = (rank(p, i) - rank(p, k)) / (m - 1);
      scored.push([Math.sqrt(df * df + dp * dp), profiles[i].token]);
    }
    scored.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    return scored.slice(0, size).map((x) => x[1]);
  });
}

test('matched pools are the nearest genes in (frequency rank, position rank), markers excluded', () => {
  const rng = new Rng(7);
  // Frequencies on a coarse grid, so that ties occur.
  const profiles = Array.from({ length: 60 }, (_, i) => ({
    token: 10 + i,
    frequency: rng.int(8) / 8,
    meanPosition: 1 + rng.int(30),
  }));
  const markers = [12, 40, 69];
  const pools = matchedPools(profiles, markers, 6);
  assert.deepEqual(pools, poolsByHand(profiles, markers, 6));
  for (const pool of pools) assert.ok(pool.every((t) => !markers.includes(t)));
  // The extremes: the most frequent, top-ranked gene is matched to its neighbours there.
  const top = [...profiles].sort(
    (a, b) => b.frequency - a.frequency || a.meanPosition - b.meanPosition,
  )[0].token;
  const [near] = matchedPools(profiles, [top], 3);
  const f = new Map(profiles.map((g) => [g.token, g.frequency]));
  assert.ok(
    near.every((t) => (f.get(t) ?? 0) >= 5 / 8),
    `${near}`,
  );
});

test('permutation p-value: (1 + #null ≥ observed) / (1 + #null), ties counted', () => {
  assert.equal(permutationP(2, [1, 2, 3, 0]), (1 + 2) / 5);
  assert.equal(permutationP(5, [1, 2, 3, 0]), 1 / 5);
  assert.equal(permutationP(-1, [1, 2, 3, 0]), 1);
});

/** Every ordered draw of drawMatchedSet with its probability (one gene per pool, distinct). */
function enumerate(pools: number[][]): { set: number[]; prob: number }[] {
  let out = [{ set: [] as number[], prob: 1 }];
  for (const pool of pools)
    out = out.flatMap(({ set, prob }) => {
      const left = pool.filter((t) => !set.includes(t));
      return left.map((t) => ({ set: [...set, t], prob: prob / left.length }));
    });
  return out;
}

test('matched random sets: their distribution and the Monte Carlo p agree with full enumeration', () => {
  const pools = [
    [4, 5, 6],
    [5, 6, 7, 8],
    [4, 8, 9],
  ];
  const all = enumerate(pools);
  const value: Record<number, number> = { 4: 0.1, 5: 0.5, 6: -0.2, 7: 0.9, 8: 0.3, 9: -0.4 };
  const stat = (s: number[]) => s.reduce((a, t) => a + value[t], 0);
  const observed = 0.8;
  // Exact tail probability of the null over every possible set.
  const exact = all.filter((x) => stat(x.set) >= observed).reduce((a, x) => a + x.prob, 0);
  assert.ok(exact > 0.1 && exact < 0.9, `a non-trivial case: ${exact}`);
  const rng = new Rng(11);
  const B = 20_000;
  const seen = new Map<string, number>();
  const nulls: number[] = [];
  for (let b = 0; b < B; b++) {
    const s = drawMatchedSet(pools, rng);
    assert.equal(new Set(s).size, s.length);
    seen.set(s.join(), (seen.get(s.join()) ?? 0) + 1);
    nulls.push(stat(s));
  }
  // Every set drawn is a possible one, drawn as often as its probability says (4 sd).
  for (const key of seen.keys())
    assert.ok(
      all.some((x) => x.set.join() === key),
      key,
    );
  for (const { set, prob } of all) {
    const got = (seen.get(set.join()) ?? 0) / B;
    assert.ok(Math.abs(got - prob) < 4 * Math.sqrt((prob * (1 - prob)) / B), `${set}: ${got}`);
  }
  const p = permutationP(observed, nulls);
  const expected = (1 + B * exact) / (1 + B);
  assert.ok(
    Math.abs(p - expected) < 4 * Math.sqrt((exact * (1 - exact)) / B),
    `${p} vs ${expected}`,
  );
});

const V = 40;
const L = 12;

test('marker deletion: observed and null statistics equal deletions re-embedded cell by cell', () => {
  manualSeed(3);
  const model = new CellEncoder({ ...CELL_ENCODER_PRESETS.tiny, vocabSize: V, maxLength: L });
  const rng = new Rng(5);
  const n = 12;
  const tokens = new Int32Array(n * L);
  for (let i = 0; i < n; i++) {
    // Genes 4..23 only, so that genes recur across cells; rows of different lengths.
    const genes = rng.permutation(20).map((g) => g + 4);
    tokens[i * L] = 2;
    for (let k = 1; k < L - (i % 4); k++) tokens[i * L + k] = genes[k];
  }
  const c = { tokens, maxLength: L };
  const markers = [tokens[1], tokens[2], 39]; // 39: a gene no cell has
  const t = markerDeletionTest(model, c, markers, {
    permutations: 25,
    poolSize: 4,
    maxCells: 8,
    seed: 1,
  });
  assert.deepEqual(t.absent, [39]);
  assert.deepEqual(t.markers, [tokens[1], tokens[2]]);
  assert.equal(t.tested.length, 8);
  const H = model.config.hidden;
  const base = embedCells(model, c);
  const centroid = new Float64Array(H);
  for (let i = 0; i < n; i++) for (let h = 0; h < H; h++) centroid[h] += base[i * H + h] / n;
  const cos = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let h = 0; h < H; h++) {
      ab += a[h] * b[h];
      aa += a[h] * a[h];
      bb += b[h] * b[h];
    }
    return ab / Math.sqrt(aa * bb);
  };
  const byHand = (set: number[]) => {
    let sum = 0;
    for (const i of t.tested) {
      const row = Array.from(tokens.subarray(i * L, (i + 1) * L));
      if (!row.some((x) => set.includes(x))) continue;
      const kept = row.filter((x) => x === 0 || !set.includes(x));
      while (kept.length < L) kept.push(0);
      const after = embedCells(model, { tokens: Int32Array.from(kept), maxLength: L });
      sum += cos(after, centroid) - cos(base.subarray(i * H, (i + 1) * H), centroid);
    }
    return -sum / t.tested.length;
  };
  assert.ok(Math.abs(t.observed - byHand(t.markers)) < 1e-5, `${t.observed}`);
  assert.notEqual(t.observed, 0);
  for (let b = 0; b < 5; b++)
    assert.ok(Math.abs(t.null.values[b] - byHand(t.null.sets[b])) < 1e-5, `set ${b}`);
  // The null sets come from the markers' pools over the tested cells.
  const tested = {
    tokens: Int32Array.from(t.tested.flatMap((i) => [...tokens.subarray(i * L, (i + 1) * L)])),
    maxLength: L,
  };
  const pools = matchedPools(geneProfiles(tested), t.markers, 4);
  for (const s of t.null.sets) s.forEach((g, k) => assert.ok(pools[k].includes(g), `${s}`));
  assert.equal(t.p, (1 + t.null.values.filter((v) => v >= t.observed).length) / 26);
  const within = t.tested.filter((i) =>
    Array.from(tokens.subarray(i * L, (i + 1) * L)).some((x) => t.markers.includes(x)),
  ).length;
  assert.equal(t.affectedCells, within);
});
