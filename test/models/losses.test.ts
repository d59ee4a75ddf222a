import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, tidy } from '../../src/engine/index.js';
import { focalLoss, softDiceLoss, weightedBceLoss } from '../../src/models/losses.js';
import { gradcheck, values } from '../helpers/gradcheck.js';

const logits = values(8, 5, -3, 3);
const target = [1, 0, 0, 1, 0, 0, 0, 1];
const t64 = (d: number[]) => Tensor.from(d, [2, 4], 'float64');
const sig = (x: number) => 1 / (1 + Math.exp(-x));

test('soft Dice equals 1 − (2Σpy+ε)/(Σp+Σy+ε)', () => {
  for (const eps of [1, 1e-6]) {
    const p = logits.map(sig);
    const inter = p.reduce((s, v, i) => s + v * target[i], 0);
    const ref = 1 - (2 * inter + eps) / (p.reduce((a, b) => a + b, 0) + 3 + eps);
    const got = tidy(() => softDiceLoss(t64(logits), t64(target), eps).item());
    assert.ok(Math.abs(got - ref) < 1e-14, `${got} vs ${ref}`);
  }
  gradcheck('dice', ([x]) => softDiceLoss(x, t64(target), 1), [{ data: logits, shape: [2, 4] }]);
});

test('focal loss equals its formula, with and without α', () => {
  for (const [gamma, alpha] of [
    [2, null],
    [2, 0.25],
    [0, null],
  ] as const) {
    const ref =
      logits.reduce((s, x, i) => {
        const p = sig(x);
        const [wp, wn] = alpha === null ? [1, 1] : [alpha, 1 - alpha];
        return (
          s - (target[i] ? wp * (1 - p) ** gamma * Math.log(p) : wn * p ** gamma * Math.log(1 - p))
        );
      }, 0) / logits.length;
    const got = tidy(() => focalLoss(t64(logits), t64(target), gamma, alpha).item());
    assert.ok(Math.abs(got - ref) < 1e-13, `γ=${gamma} α=${alpha}: ${got} vs ${ref}`);
  }
  // γ = 0 without α is plain BCE.
  const bce = tidy(() => weightedBceLoss(t64(logits), t64(target), 1).item());
  const focal0 = tidy(() => focalLoss(t64(logits), t64(target), 0, null).item());
  assert.ok(Math.abs(bce - focal0) < 1e-13);
  gradcheck('focal', ([x]) => focalLoss(x, t64(target), 2, 0.25), [
    { data: logits, shape: [2, 4] },
  ]);
});

test('weighted BCE multiplies the positive terms by posWeight', () => {
  const ref =
    logits.reduce((s, x, i) => s - (target[i] ? 3 * Math.log(sig(x)) : Math.log(1 - sig(x))), 0) /
    logits.length;
  const got = tidy(() => weightedBceLoss(t64(logits), t64(target), 3).item());
  assert.ok(Math.abs(got - ref) < 1e-13);
});
