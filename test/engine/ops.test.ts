import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  F,
  Tensor,
  tidy,
  zeros,
  arange,
  eye,
  manualSeed,
  getNumThreads,
  setNumThreads,
} from '../../src/engine/index.js';
import { assertClose, gradcheck, values } from '../helpers/gradcheck.js';

const t64 = (data: number[], shape: number[]) => Tensor.from(data, shape, 'float64');
const erf = (x: number) => {
  // Abramowitz–Stegun 7.1.26 is too coarse for 1e-12; use the series/continued fraction via
  // high-precision numeric integration instead (Simpson on [0, x], 2000 panels).
  const n = 2000;
  const h = x / n;
  let s = 0;
  for (let i = 0; i <= n; i++) {
    const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
    s += w * Math.exp(-((i * h) ** 2));
  }
  return ((2 / Math.sqrt(Math.PI)) * s * h) / 3;
};

const UNARY: [string, (t: Tensor) => Tensor, (x: number) => number, number[]][] = [
  ['exp', (t) => t.exp(), Math.exp, values(6, 1)],
  ['log', (t) => t.log(), Math.log, values(6, 2, 0.1, 3)],
  ['log1p', (t) => t.log1p(), Math.log1p, values(6, 3, -0.5, 3)],
  ['sqrt', (t) => t.sqrt(), Math.sqrt, values(6, 4, 0.1, 3)],
  ['rsqrt', (t) => t.rsqrt(), (x) => 1 / Math.sqrt(x), values(6, 4, 0.1, 3)],
  ['sigmoid', (t) => t.sigmoid(), (x) => 1 / (1 + Math.exp(-x)), values(6, 5, -4, 4)],
  ['logSigmoid', (t) => t.logSigmoid(), (x) => -Math.log1p(Math.exp(-x)), values(6, 5, -4, 4)],
  ['tanh', (t) => t.tanh(), Math.tanh, values(6, 6, -3, 3)],
  ['relu', (t) => t.relu(), (x) => Math.max(0, x), [-2, -0.5, 0.3, 1.7, -0.1, 2.2]],
  ['gelu', (t) => t.gelu(), (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)), values(6, 7, -3, 3)],
  ['silu', (t) => t.silu(), (x) => x / (1 + Math.exp(-x)), values(6, 8, -3, 3)],
  ['softplus', (t) => t.softplus(), (x) => Math.log1p(Math.exp(x)), values(6, 9, -3, 3)],
  ['neg', (t) => t.neg(), (x) => -x, values(6, 10)],
  ['abs', (t) => t.abs(), Math.abs, [-2, -0.5, 0.3, 1.7, -0.1, 2.2]],
];

for (const [name, f, ref, xs] of UNARY) {
  test(`${name}: forward equals the closed form and gradient equals finite differences`, () => {
    tidy(() => {
      const out = f(t64(xs, [2, 3])).toArray() as Float64Array;
      assertClose(out, xs.map(ref), name === 'gelu' ? 1e-9 : 1e-12, name);
    });
    gradcheck(
      name,
      ([x]) =>
        f(x)
          .mul(t64(values(6, 99), [2, 3]))
          .sum(),
      [{ data: xs, shape: [2, 3] }],
    );
  });
}

test('broadcasting arithmetic with tensors and scalars', () => {
  tidy(() => {
    const a = t64([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = t64([10, 20, 30], [3]);
    assert.deepEqual(a.add(b).toNumbers(), [11, 22, 33, 14, 25, 36]);
    assert.deepEqual(a.sub(1).toNumbers(), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(a.mul(b).toNumbers(), [10, 40, 90, 40, 100, 180]);
    assert.deepEqual(a.div(2).toNumbers(), [0.5, 1, 1.5, 2, 2.5, 3]);
    assert.deepEqual(a.pow(2).toNumbers(), [1, 4, 9, 16, 25, 36]);
    assert.deepEqual(a.clamp(2, 5).toNumbers(), [2, 2, 3, 4, 5, 5]);
    assert.deepEqual(a.maximum(t64([3], [1])).toNumbers(), [3, 3, 3, 4, 5, 6]);
  });
  gradcheck('add/mul/div broadcast', ([a, b]) => a.add(b).mul(a).div(b.abs().add(1)).sum(), [
    { data: values(6, 11), shape: [2, 3] },
    { data: values(3, 12), shape: [3] },
  ]);
});

test('reductions over dimensions', () => {
  tidy(() => {
    const a = t64([1, 2, 3, 4, 5, 6], [2, 3]);
    assert.deepEqual(a.sum().toNumbers(), [21]);
    assert.deepEqual(a.sum(0).toNumbers(), [5, 7, 9]);
    assert.deepEqual(a.sum(1, true).shape, [2, 1]);
    assert.deepEqual(a.mean(1).toNumbers(), [2, 5]);
    assert.deepEqual(a.var(1).toNumbers(), [1, 1]);
    assert.deepEqual(a.max().toNumbers(), [6]);
    const m = a.max(1);
    assert.deepEqual(m.values.toNumbers(), [3, 6]);
    assert.deepEqual(m.indices.toNumbers(), [2, 2]);
    assert.deepEqual(a.argmax(0).toNumbers(), [1, 1, 1]);
    assertClose(a.logsumexp(1).toArray() as Float64Array, [
      Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)),
      Math.log(Math.exp(4) + Math.exp(5) + Math.exp(6)),
    ]);
    assert.deepEqual(a.cumsum(1).toNumbers(), [1, 3, 6, 4, 9, 15]);
  });
  gradcheck(
    'mean/var/logsumexp',
    ([a]) => a.mean(0).sum().add(a.var(1).sum()).add(a.logsumexp(1).sum()),
    [{ data: values(6, 13), shape: [2, 3] }],
  );
});

test('shape operations: reshape, permute, transpose, narrow, slice, select, cat, stack', () => {
  tidy(() => {
    const a = arange(0, 24, 1, 'float64').reshape([2, 3, 4]);
    assert.deepEqual(a.permute([2, 0, 1]).shape, [4, 2, 3]);
    assert.deepEqual(a.transpose(0, 2).contiguous().toNumbers().slice(0, 4), [0, 12, 4, 16]);
    assert.deepEqual(a.narrow(2, 1, 2).toNumbers().slice(0, 4), [1, 2, 5, 6]);
    assert.deepEqual(a.slice(1, 0, 3, 2).shape, [2, 2, 4]);
    assert.deepEqual(a.select(0, 1).select(0, 2).toNumbers(), [20, 21, 22, 23]);
    assert.deepEqual(a.flatten().shape, [24]);
    assert.deepEqual(a.unsqueeze(0).squeeze(0).shape, [2, 3, 4]);
    const b = t64([1, 2], [1, 2]);
    assert.deepEqual(F.cat([b, b.mul(2)], 0).toNumbers(), [1, 2, 2, 4]);
    assert.deepEqual(F.stack([b, b], 0).shape, [2, 1, 2]);
    assert.deepEqual(b.expand([3, 2]).toNumbers(), [1, 2, 1, 2, 1, 2]);
    assert.deepEqual(b.repeat([2, 2]).toNumbers(), [1, 2, 1, 2, 1, 2, 1, 2]);
  });
  gradcheck(
    'cat/narrow/permute',
    ([a, b]) => F.cat([a, b], 1).permute([1, 0]).narrow(0, 1, 3).pow(2).sum(),
    [
      { data: values(4, 14), shape: [2, 2] },
      { data: values(6, 15), shape: [2, 3] },
    ],
  );
});

test('indexing: indexSelect, gather, where, maskedFill, comparisons', () => {
  tidy(() => {
    const a = t64([1, 2, 3, 4, 5, 6], [2, 3]);
    const idx = Tensor.from([2, 0], [2], 'int64');
    assert.deepEqual(a.indexSelect(1, idx).toNumbers(), [3, 1, 6, 4]);
    const g = Tensor.from([0, 0, 1, 2, 1, 0], [2, 3], 'int64');
    assert.deepEqual(a.gather(1, g).toNumbers(), [1, 1, 2, 6, 5, 4]);
    const mask = a.gt(3);
    assert.equal(mask.dtype, 'bool');
    assert.deepEqual(mask.toNumbers(), [0, 0, 0, 1, 1, 1]);
    assert.deepEqual(F.where(mask, a, a.neg()).toNumbers(), [-1, -2, -3, 4, 5, 6]);
    assert.deepEqual(a.maskedFill(mask, 0).toNumbers(), [1, 2, 3, 0, 0, 0]);
    assert.deepEqual(a.eq(2).logicalOr(a.ge(6)).toNumbers(), [0, 1, 0, 0, 0, 1]);
    assert.deepEqual(a.le(2).logicalAnd(a.ne(1)).logicalNot().toNumbers(), [1, 0, 1, 1, 1, 1]);
  });
  gradcheck(
    'gather/indexSelect/where',
    ([a]) => {
      const g = a.gather(1, Tensor.from([1, 0, 2, 2], [2, 2], 'int64'));
      const s = a.indexSelect(0, Tensor.from([1, 1], [2], 'int64'));
      return g
        .sum()
        .add(F.where(a.gt(0), a, a.mul(3)).pow(2).sum())
        .add(s.mul(s).sum());
    },
    [{ data: values(6, 16), shape: [2, 3] }],
  );
});

test('matmul and linear equal the textbook products', () => {
  tidy(() => {
    const a = t64([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = t64([7, 8, 9, 10, 11, 12], [3, 2]);
    assert.deepEqual(a.matmul(b).toNumbers(), [58, 64, 139, 154]);
    const w = t64([1, 0, -1, 2, 1, 0], [2, 3]);
    const bias = t64([0.5, -0.5], [2]);
    assert.deepEqual(F.linear(a, w, bias).toNumbers(), [-1.5, 3.5, -1.5, 12.5]);
    assert.deepEqual(eye(3, 'float64').matmul(a.transpose(0, 1)).toNumbers(), [1, 4, 2, 5, 3, 6]);
  });
  gradcheck('matmul/linear', ([a, w, b]) => F.linear(a, w, b).tanh().sum(), [
    { data: values(6, 17), shape: [2, 3] },
    { data: values(12, 18), shape: [4, 3] },
    { data: values(4, 19), shape: [4] },
  ]);
});

test('softmax, logSoftmax and layerNorm equal their definitions', () => {
  const xs = values(6, 20, -2, 2);
  tidy(() => {
    const x = t64(xs, [2, 3]);
    const sm = F.softmax(x, 1).toArray() as Float64Array;
    const lsm = F.logSoftmax(x, 1).toArray() as Float64Array;
    const ln = F.layerNorm(x, [3], null, null, 1e-5).toArray() as Float64Array;
    for (let r = 0; r < 2; r++) {
      const row = xs.slice(3 * r, 3 * r + 3);
      const z = row.reduce((s, v) => s + Math.exp(v), 0);
      const mu = row.reduce((s, v) => s + v, 0) / 3;
      const v = row.reduce((s, x2) => s + (x2 - mu) ** 2, 0) / 3;
      row.forEach((val, c) => {
        assert.ok(Math.abs(sm[3 * r + c] - Math.exp(val) / z) < 1e-12);
        assert.ok(Math.abs(lsm[3 * r + c] - (val - Math.log(z))) < 1e-12);
        assert.ok(Math.abs(ln[3 * r + c] - (val - mu) / Math.sqrt(v + 1e-5)) < 1e-12);
      });
    }
  });
  const weights = values(6, 98);
  gradcheck(
    'softmax/logSoftmax/layerNorm',
    ([x, g, b]) =>
      F.softmax(x, 1)
        .mul(t64(weights, [2, 3]))
        .sum()
        .add(
          F.logSoftmax(x, 0)
            .mul(t64(weights, [2, 3]))
            .sum(),
        )
        .add(
          F.layerNorm(x, [3], g, b)
            .mul(t64(weights, [2, 3]))
            .sum(),
        ),
    [
      { data: xs, shape: [2, 3] },
      { data: values(3, 21, 0.5, 1.5), shape: [3] },
      { data: values(3, 22), shape: [3] },
    ],
  );
});

test('embedding picks rows and routes gradients to them', () => {
  tidy(() => {
    const w = t64([0, 1, 10, 11, 20, 21], [3, 2]);
    assert.deepEqual(
      F.embedding(w, Tensor.from([2, 0, 2], [3], 'int64')).toNumbers(),
      [20, 21, 0, 1, 20, 21],
    );
  });
  gradcheck(
    'embedding',
    ([w]) =>
      F.embedding(w, Tensor.from([2, 0, 2], [3], 'int64'))
        .pow(2)
        .sum(),
    [{ data: values(6, 23), shape: [3, 2] }],
  );
});

test('dropout: identity in eval, zeroes about p and rescales by 1/(1-p) in training', () => {
  tidy(() => {
    const n = 100_000;
    for (const dtype of ['float64', 'float32'] as const) {
      const x = Tensor.from(new Float64Array(n).fill(1), [n], dtype);
      assert.deepEqual(F.dropout(x, 0.3, false).toNumbers().slice(0, 3), [1, 1, 1]);
      const y = F.dropout(x, 0.3, true).toNumbers();
      let zeros = 0;
      let bothZero = 0;
      y.forEach((v, i) => {
        if (v === 0) zeros++;
        else assert.ok(Math.abs(v - 1 / 0.7) < (dtype === 'float64' ? 1e-12 : 1e-6));
        if (i > 0 && v === 0 && y[i - 1] === 0) bothZero++;
      });
      // Binomial sd of the fraction at n = 10⁵ is 0.0014: 0.01 is 7 sd.
      assert.ok(Math.abs(zeros / n - 0.3) < 0.01, `${dtype} dropped fraction ${zeros / n}`);
      // Neighbours are dropped independently (the mask is a hash of the element index).
      assert.ok(
        Math.abs(bothZero / (n - 1) - 0.09) < 0.01,
        `${dtype} both-dropped pairs ${bothZero}`,
      );
    }
    assert.deepEqual(F.dropout(Tensor.from([1, 2], [2]), 1, true).toNumbers(), [0, 0]);
    assert.throws(
      () => F.dropout(Tensor.from([1], [1]), 1.5, true),
      /between 0 and 1, but got 1\.5/,
    );
  });
});

test('dropout: repeats with the seed, and its gradient is the same mask', () => {
  tidy(() => {
    const [rows, cols] = [64, 50];
    const data = values(rows * cols, 3);
    const drop = (seed: number, x = Tensor.from(data, [rows, cols], 'float64')) => {
      manualSeed(seed);
      return F.dropout(x, 0.4, true);
    };
    assert.deepEqual(drop(1).toNumbers(), drop(1).toNumbers(), 'same seed, same mask');
    assert.notDeepEqual(drop(1).toNumbers(), drop(2).toNumbers(), 'another seed, another mask');
    // The mask depends on the element, not on how the work is split between threads.
    const big = Tensor.from(values(300_000, 4), [300_000], 'float32');
    const threads = getNumThreads();
    const split = drop(3, big).toNumbers();
    setNumThreads(1);
    try {
      assert.deepEqual(drop(3, big).toNumbers(), split, 'one thread, the same mask');
    } finally {
      setNumThreads(threads);
    }
    // A non-contiguous input is masked as its contiguous copy would be.
    const t = Tensor.from(data, [cols, rows], 'float64').transpose(0, 1);
    assert.deepEqual(drop(4, t).toNumbers(), drop(4, t.contiguous()).toNumbers());
    // d/dx Σ g·dropout(x) = g·mask/(1 − p): zero where dropped, g/(1 − p) where kept.
    const x = Tensor.from(data, [rows, cols], 'float64').requiresGrad_();
    const g = values(rows * cols, 9);
    const y = drop(5, x);
    y.mul(Tensor.from(g, [rows, cols], 'float64'))
      .sum()
      .backward();
    const kept = y.toNumbers().map((v, i) => v !== 0 || data[i] === 0);
    assertClose(
      x.grad!.toNumbers(),
      g.map((gi, i) => (kept[i] ? gi / 0.6 : 0)),
      1e-12,
      'dropout gradient',
    );
  });
});

test('attention equals softmax(q kᵀ/√d) v, causal masking hides the future, weights returned', () => {
  const [L, d] = [4, 3];
  const q = values(L * d, 30),
    k = values(L * d, 31),
    v = values(L * d, 32);
  tidy(() => {
    const { output, weights } = F.scaledDotProductAttention(
      t64(q, [1, L, d]),
      t64(k, [1, L, d]),
      t64(v, [1, L, d]),
      {
        causal: true,
        needWeights: true,
      },
    );
    const W = weights!.toArray() as Float64Array;
    const O = output.toArray() as Float64Array;
    for (let i = 0; i < L; i++) {
      const s = Array.from({ length: L }, (_, j) => {
        if (j > i) return -Infinity;
        let dot = 0;
        for (let c = 0; c < d; c++) dot += q[i * d + c] * k[j * d + c];
        return dot / Math.sqrt(d);
      });
      const z = s.reduce((acc, x) => acc + Math.exp(x), 0);
      for (let j = 0; j < L; j++) assert.ok(Math.abs(W[i * L + j] - Math.exp(s[j]) / z) < 1e-12);
      for (let c = 0; c < d; c++) {
        let o = 0;
        for (let j = 0; j < L; j++) o += (Math.exp(s[j]) / z) * v[j * d + c];
        assert.ok(Math.abs(O[i * d + c] - o) < 1e-12);
      }
    }
  });
  gradcheck(
    'attention',
    ([a, b, c]) => F.scaledDotProductAttention(a, b, c, { causal: true }).output.pow(2).sum(),
    [
      { data: q, shape: [1, L, d] },
      { data: k, shape: [1, L, d] },
      { data: v, shape: [1, L, d] },
    ],
  );
});

test('bceWithLogits and crossEntropy (with class weights) equal their formulas', () => {
  const logits = [0.3, -1.2, 2.0, 0.1];
  const target = [1, 0, 1, 0];
  tidy(() => {
    const loss = F.bceWithLogits(t64(logits, [4]), t64(target, [4])).item();
    const ref =
      logits.reduce((s, x, i) => {
        const p = 1 / (1 + Math.exp(-x));
        return s - (target[i] * Math.log(p) + (1 - target[i]) * Math.log(1 - p));
      }, 0) / 4;
    assert.ok(Math.abs(loss - ref) < 1e-12);

    const z = values(6, 40, -2, 2);
    const y = [2, 0];
    const w = [0.5, 1, 2];
    const ce = F.crossEntropy(t64(z, [2, 3]), Tensor.from(y, [2], 'int64'), {
      weight: t64(w, [3]),
    }).item();
    // torch's weighted mean: Σ w_y · nll / Σ w_y
    let num = 0,
      den = 0;
    for (let r = 0; r < 2; r++) {
      const row = z.slice(3 * r, 3 * r + 3);
      const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
      num += w[y[r]] * (lse - row[y[r]]);
      den += w[y[r]];
    }
    assert.ok(Math.abs(ce - num / den) < 1e-12);
  });
  gradcheck('bceWithLogits', ([x]) => F.bceWithLogits(x, t64(target, [4])), [
    { data: logits, shape: [4] },
  ]);
  gradcheck(
    'crossEntropy',
    ([x]) =>
      F.crossEntropy(x, Tensor.from([2, 0], [2], 'int64'), { weight: t64([0.5, 1, 2], [3]) }),
    [{ data: values(6, 41), shape: [2, 3] }],
  );
});

test('dtypes round-trip through typed arrays', () => {
  tidy(() => {
    assert.deepEqual(
      [...(Tensor.from(new Float32Array([1.5, -2]), [2]).toArray() as Float32Array)],
      [1.5, -2],
    );
    assert.deepEqual(
      [...(Tensor.from(new BigInt64Array([5n, -7n]), [2]).toArray() as BigInt64Array)],
      [5n, -7n],
    );
    assert.deepEqual(
      [...(Tensor.from(new Uint8Array([0, 255]), [2]).toArray() as Uint8Array)],
      [0, 255],
    );
    assert.deepEqual(Tensor.from([1, 0, 1], [3], 'bool').toNumbers(), [1, 0, 1]);
    assert.equal(zeros([2, 2], 'int64').add(3).dtype, 'int64');
    assert.equal(Tensor.from([1, 2], [2], 'int32').to('float64').dtype, 'float64');
  });
});

test('attention: causal flag, a 2-D mask and a batched 3-D mask give the same result', () => {
  const [L, d] = [5, 4];
  tidy(() => {
    const q = Tensor.from(values(2 * L * d, 70), [2, L, d], 'float64');
    const k = Tensor.from(values(2 * L * d, 71), [2, L, d], 'float64');
    const v = Tensor.from(values(2 * L * d, 72), [2, L, d], 'float64');
    const allowed2d = Tensor.from(new Array(L * L).fill(1), [L, L], 'bool').tril();
    const allowed3d = allowed2d.unsqueeze(0).expand([2, L, L]).contiguous();
    const a = F.scaledDotProductAttention(q, k, v, { causal: true }).output.toNumbers();
    const b = F.scaledDotProductAttention(q, k, v, { mask: allowed2d }).output.toNumbers();
    const c = F.scaledDotProductAttention(q, k, v, { mask: allowed3d }).output.toNumbers();
    assertClose(b, a, 1e-14, '2-D mask');
    assertClose(c, a, 1e-14, '3-D mask');
  });
});
