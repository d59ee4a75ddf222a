import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  MultinomialLogistic,
  fitMultinomialLogistic,
} from '../../src/stats/multinomial-logistic.js';

const fixture = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/multinomial/fixture.json', import.meta.url), 'utf8'),
) as {
  x: number[][];
  y: string[];
  classes: string[];
  coef: number[][];
  intercept: number[];
  xNew: number[][];
  probaNew: number[][];
};

test('multinomial logistic regression equals scikit-learn (C = 1, lbfgs) to 1e-4 in probability', () => {
  const model = fitMultinomialLogistic(fixture.x, fixture.y, { C: 1 });
  assert.deepEqual(model.classes, fixture.classes);
  assert.ok(model.fit.converged, `converged in ${model.fit.iterations} iterations`);
  const proba = model.predictProba(fixture.xNew);
  proba.forEach((row, i) =>
    row.forEach((p, c) =>
      assert.ok(
        Math.abs(p - fixture.probaNew[i][c]) < 1e-4,
        `${i},${c}: ${p} vs ${fixture.probaNew[i][c]}`,
      ),
    ),
  );
  // scikit-learn's coefficients are centred over classes (the multinomial is invariant to a
  // shift, the penalty picks the centred one): so are ours, to the same tolerance.
  const json = model.toJSON();
  json.coef.forEach((row, c) =>
    row.forEach((w, j) => assert.ok(Math.abs(w - fixture.coef[c][j]) < 1e-3, `coef ${c},${j}`)),
  );
  const again = MultinomialLogistic.fromJSON(JSON.parse(JSON.stringify(json)));
  assert.deepEqual(again.predict(fixture.xNew), model.predict(fixture.xNew));
});

test('integer sample weights fit the same model as rows repeated that many times', () => {
  // scikit-learn's sample_weight semantics: Σ wᵢ·lossᵢ + penalty, which for integer weights is
  // the unweighted objective on the rows repeated — an independent fit of the same optimum.
  const weights = fixture.x.map((_, i) => 1 + (i % 3));
  const weighted = fitMultinomialLogistic(fixture.x, fixture.y, { sampleWeight: weights });
  const rows = fixture.x.flatMap((r, i) => Array.from({ length: weights[i] }, () => r));
  const labels = fixture.y.flatMap((l, i) => Array.from({ length: weights[i] }, () => l));
  const repeated = fitMultinomialLogistic(rows, labels);
  const a = weighted.predictProba(fixture.xNew);
  const b = repeated.predictProba(fixture.xNew);
  a.forEach((row, i) =>
    row.forEach((p, c) => assert.ok(Math.abs(p - b[i][c]) < 1e-6, `${i},${c}`)),
  );
  // …and not the unweighted model.
  const plain = fitMultinomialLogistic(fixture.x, fixture.y).predictProba(fixture.xNew);
  assert.ok(a.some((row, i) => row.some((p, c) => Math.abs(p - plain[i][c]) > 1e-3)));
  assert.throws(
    () => fitMultinomialLogistic(fixture.x, fixture.y, { sampleWeight: [1, 2] }),
    /rows but 2 weights/,
  );
});
