import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/random.js';
import {
  applyOutputStack,
  heldOutStack,
  OUTPUT_CHOICES,
  outputStackOn,
  streamLogits,
  type StreamPredictions,
} from '../../src/pipelines/spikes/baselines/stack.js';
import { populationProbabilities } from '../../src/pipelines/spikes/baselines/population-glm.js';
import { applyLogitCombination, fitLogitCombination } from '../../src/stats/logit-combination.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Streams over bins × units whose true logit is `base + a + b` (a, b drawn per entry): each
 * stream sees them through `views` (its weight on a, its weight on b, its own noise's sd).
 */
type View = [number, number, number];
function streamsOf(
  bins: number,
  units: number,
  seed: number,
  views: Record<'model' | 'glm' | 'coupledGlm' | 'self' | 'network', View>,
): { p: StreamPredictions; labels: Uint8Array } {
  const rng = new Rng(seed);
  const n = bins * units;
  const base = -3.5;
  const a = Float64Array.from({ length: n }, () => rng.normal());
  const b = Float64Array.from({ length: n }, () => rng.normal());
  const labels = Uint8Array.from(a, (x, i) => (rng.uniform() < sigmoid(base + x + b[i]) ? 1 : 0));
  const view = ([wa, wb, noise]: View, intercept: number) =>
    Float32Array.from(a, (x, i) => intercept + wa * x + wb * b[i] + noise * rng.normal());
  const probs = (z: Float32Array) => Float32Array.from(z, sigmoid);
  return {
    p: {
      model: probs(view(views.model, base)),
      glm: probs(view(views.glm, base)),
      coupledGlm: probs(view(views.coupledGlm, base)),
      populationGlm: { self: view(views.self, base / 2), network: view(views.network, base / 2) },
    },
    labels,
  };
}

/** Average precision by its definition: mean over positives of the precision at their rank. */
function bruteAveragePrecision(scores: Float32Array, labels: Uint8Array): number {
  const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
  let hits = 0;
  let sum = 0;
  order.forEach((i, k) => {
    if (labels[i]) sum += ++hits / (k + 1);
  });
  return sum / hits;
}

test('the held-out stack: each block scored with slopes fitted on the other folds only', () => {
  const bins = 997; // not a multiple of the 10 blocks
  const units = 3;
  const view: View = [0.5, 0.5, 0.5];
  const { p, labels } = streamsOf(bins, units, 3, {
    model: view,
    glm: view,
    coupledGlm: view,
    self: view,
    network: view,
  });
  const logits = streamLogits(p);
  const got = heldOutStack(logits, labels, units);
  // Brute force: block of each bin by its own rule, fold = block mod 5, rows gathered one by one.
  const blockOf = (t: number) => {
    let b = 0;
    while (b < 9 && t >= Math.round(((b + 1) * bins) / 10)) b++;
    return b;
  };
  for (let fold = 0; fold < 5; fold++) {
    const keep = (t: number) => blockOf(t) % 5 !== fold;
    const rows = (v: Float32Array | Uint8Array) => {
      const out: number[] = [];
      for (let t = 0; t < bins; t++)
        if (keep(t)) for (let u = 0; u < units; u++) out.push(v[t * units + u]);
      return out;
    };
    const fit = fitLogitCombination(
      logits.map((z) => Float32Array.from(rows(z))),
      Uint8Array.from(rows(labels)),
      units,
      { offsets: false, initialSlopes: [1, 0, 0, 0, 0] },
    );
    const all = applyLogitCombination(fit, logits, units);
    for (let t = 0; t < bins; t++)
      if (!keep(t))
        for (let u = 0; u < units; u++) {
          const i = t * units + u;
          assert.ok(Math.abs(got[i] - all[i]) < 1e-6, `bin ${t} unit ${u}: ${got[i]} vs ${all[i]}`);
        }
  }
});

test('the output: the stack where its held-out AP is best, else the predictor that ranks better', () => {
  // The model sees a, the coupled GLM b: only their sum ranks well.
  const shared = streamsOf(4000, 4, 5, {
    model: [1, 0, 0],
    glm: [0, 0, 1],
    coupledGlm: [0, 1, 0],
    self: [0, 0, 1],
    network: [0, 0, 1],
  });
  // The coupled GLM holds the whole signal; the others parts of it under noise, which the
  // stack's penalty (towards the model alone) keeps in it.
  const single = streamsOf(4000, 4, 6, {
    model: [0.5, 0.5, 1.5],
    glm: [0.5, 0.5, 1.5],
    coupledGlm: [1, 1, 0],
    self: [0.3, 0.3, 1.5],
    network: [0.3, 0.3, 1.5],
  });
  for (const [name, { p, labels }, expected] of [
    ['split signal', shared, 'stack'],
    ['one predictor', single, 'coupledGlm'],
  ] as const) {
    const stack = outputStackOn(p, labels, 4);
    const held = heldOutStack(streamLogits(p), labels, 4);
    const brute = {
      stack: bruteAveragePrecision(held, labels),
      model: bruteAveragePrecision(p.model, labels),
      glm: bruteAveragePrecision(p.glm, labels),
      coupledGlm: bruteAveragePrecision(p.coupledGlm, labels),
      populationGlm: bruteAveragePrecision(populationProbabilities(p.populationGlm), labels),
    };
    // 1e-5: the brute force orders float32 ties arbitrarily, averagePrecision groups them.
    for (const c of OUTPUT_CHOICES)
      assert.ok(
        Math.abs(stack.heldOutAp[c] - brute[c]) < 1e-5,
        `${name}: ${c} ${stack.heldOutAp[c]} vs ${brute[c]}`,
      );
    assert.equal(stack.output, expected, `${name}: ${JSON.stringify(stack.heldOutAp)}`);
  }
});

test('a chosen predictor is output as it is; the stack as its slopes say', () => {
  const view: View = [0.5, 0.5, 0.5];
  const { p, labels } = streamsOf(200, 2, 7, {
    model: view,
    glm: view,
    coupledGlm: view,
    self: view,
    network: view,
  });
  const stack = outputStackOn(p, labels, 2);
  assert.equal(applyOutputStack({ ...stack, output: 'coupledGlm' }, p, 2), p.coupledGlm);
  assert.equal(applyOutputStack({ ...stack, output: 'model' }, p, 2), p.model);
  assert.deepEqual(
    applyOutputStack({ ...stack, output: 'populationGlm' }, p, 2),
    populationProbabilities(p.populationGlm),
  );
  const z = streamLogits(p);
  const out = applyOutputStack({ ...stack, output: 'stack' }, p, 2);
  for (const i of [0, 17, 399]) {
    const eta = stack.slopes.reduce((s, a, k) => s + a * z[k][i], 0);
    assert.ok(Math.abs(out[i] - sigmoid(eta)) < 1e-6);
  }
});
