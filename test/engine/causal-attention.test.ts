/**
 * The fused causal attention kernel against libtorch's math path (the same formula computed
 * with full L×L tensors), against finite differences with dropout on, and its dropout mask.
 * Each test runs on every compiled copy of the loops (AVX2 + FMA when the CPU has them, and
 * the portable one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  F,
  Tensor,
  manualSeed,
  setFusedAttention,
  setFusedAttentionKernel,
  fusedAttention,
  fusedAttentionKernel,
  availableAttentionKernels,
  alibiSlopes,
  alibiSlopeTensor,
  tidy,
  type DType,
} from '../../src/engine/index.js';
import { assertClose, gradcheck, values } from '../helpers/gradcheck.js';

/** Runs `body` once per kernel copy this machine can execute. */
function forEachKernel(body: (kernel: string) => void): void {
  try {
    for (const k of availableAttentionKernels()) {
      assert.equal(setFusedAttentionKernel(k), k);
      body(k);
    }
  } finally {
    setFusedAttentionKernel('best');
  }
}

interface Run {
  output: number[];
  grads: number[][];
}

/** Output and the gradients of Σ output·g for q, k, v, on the fused or the math path. */
function run(
  fused: boolean,
  dtype: DType,
  shape: number[],
  o: { dropout?: number; seed?: number; alibi?: boolean } = {},
): Run {
  const before = fusedAttention();
  setFusedAttention(fused);
  try {
    return tidy(() => {
      const n = shape.reduce((a, b) => a * b, 1);
      const [q, k, v] = [1, 2, 3].map((s) =>
        Tensor.from(values(n, s, -2, 2), shape, dtype).requiresGrad_(),
      );
      const g = Tensor.from(values(n, 9), shape, dtype);
      if (o.seed !== undefined) manualSeed(o.seed);
      const { output } = F.scaledDotProductAttention(q, k, v, {
        causal: true,
        dropout: o.dropout ?? 0,
        training: (o.dropout ?? 0) > 0,
        alibi: o.alibi ? alibiSlopeTensor(shape[shape.length - 3]) : null,
      });
      output.mul(g).sum().backward();
      return { output: output.toNumbers(), grads: [q, k, v].map((x) => x.grad!.toNumbers()) };
    });
  } finally {
    setFusedAttention(before);
  }
}

test('fused causal attention equals the math path, outputs and gradients (float64, float32)', () => {
  assert.equal(fusedAttention(), true, 'the fused kernel is the default');
  assert.throws(
    () => setFusedAttentionKernel('sse' as 'generic'),
    /'generic', 'avx2', 'avx512' or 'best'/,
  );
  assert.deepEqual(
    availableAttentionKernels()[0],
    setFusedAttentionKernel('best'),
    'the best copy is the default',
  );
  forEachKernel((kernel) => {
    for (const [dtype, tol] of [
      ['float64', 1e-12],
      ['float32', 2e-5],
    ] as const) {
      for (const shape of [
        [2, 3, 37, 8],
        [1, 1, 1, 4],
        [4, 19, 5],
      ]) {
        const fused = run(true, dtype, shape);
        const math = run(false, dtype, shape);
        assertClose(fused.output, math.output, tol, `${kernel} ${dtype} ${shape} output`);
        ['q', 'k', 'v'].forEach((name, i) =>
          assertClose(
            fused.grads[i],
            math.grads[i],
            tol * 5,
            `${kernel} ${dtype} ${shape} d${name}`,
          ),
        );
      }
    }
  });
  assert.equal(fusedAttentionKernel(), setFusedAttentionKernel('best'));
});

test('fused causal attention, d = 8 in float32 (its own loops): the math path, and float64 under dropout', () => {
  // float32 with d = 8 runs over blocks of 8 keys (16 on the AVX-512 copy, in row blocks of 4
  // queries): lengths around the block edges, and L = 1; 32, 64 and 1024 get a padded row
  // stride (TransposedStride). With dropout it is compared with
  // the float64 loops drawing the same mask from the seed.
  forEachKernel((kernel) => {
    for (const shape of [
      [1, 1, 1, 8],
      [2, 2, 8, 8],
      [1, 2, 9, 8],
      [2, 16, 7, 8],
      [1, 1, 32, 8],
      [1, 1, 70, 8],
      [1, 2, 15, 8],
      [2, 1, 17, 8],
      [1, 1, 64, 8],
      [1, 2, 1024, 8],
    ]) {
      const what = `${kernel} ${shape}`;
      const fused = run(true, 'float32', shape);
      const math = run(false, 'float32', shape);
      assertClose(fused.output, math.output, 2e-5, `${what} output`);
      ['q', 'k', 'v'].forEach((name, i) =>
        assertClose(fused.grads[i], math.grads[i], 1e-4, `${what} d${name}`),
      );
      const dropped = run(true, 'float32', shape, { dropout: 0.3, seed: 7 });
      const wide = run(true, 'float64', shape, { dropout: 0.3, seed: 7 });
      assertClose(dropped.output, wide.output, 2e-5, `${what} dropout output`);
      ['q', 'k', 'v'].forEach((name, i) =>
        assertClose(dropped.grads[i], wide.grads[i], 1e-4, `${what} dropout d${name}`),
      );
      if (shape[2] > 1)
        assert.notDeepEqual(dropped.output, fused.output, `${what}: dropout changed the output`);
    }
  });
});

test('fused causal attention with dropout: gradients equal finite differences for a fixed seed', () => {
  const [B, L, d] = [2, 6, 3];
  forEachKernel((kernel) =>
    gradcheck(
      `fused attention (${kernel}), dropout 0.4`,
      ([q, k, v]) => {
        manualSeed(11); // the same mask on every evaluation
        return F.scaledDotProductAttention(q, k, v, { causal: true, dropout: 0.4, training: true })
          .output.pow(2)
          .sum();
      },
      [1, 2, 3].map((s) => ({ data: values(B * L * d, 20 + s), shape: [B, L, d] })),
    ),
  );
});

test('fused dropout: drops a fraction p of the causal weights, rescales the rest, repeats with the seed', () => {
  // With V = identity (d = L), output row i is the dropped weight row i.
  const [H, L, p] = [8, 64, 0.3];
  const masks: number[][] = [];
  forEachKernel(() =>
    tidy(() => {
      const eye = Tensor.from(
        Array.from({ length: H * L * L }, (_, x) => (Math.floor(x / L) % L === x % L ? 1 : 0)),
        [H, L, L],
        'float64',
      );
      const q = Tensor.from(values(H * L * L, 5), [H, L, L], 'float64');
      const k = Tensor.from(values(H * L * L, 6), [H, L, L], 'float64');
      const attend = (dropout: number, seed: number) => {
        manualSeed(seed);
        return F.scaledDotProductAttention(q, k, eye, {
          causal: true,
          dropout,
          training: dropout > 0,
        }).output.toNumbers();
      };
      const full = attend(0, 0);
      const dropped = attend(p, 1);
      assert.deepEqual(attend(p, 1), dropped, 'same seed, same mask');
      assert.notDeepEqual(attend(p, 2), dropped, 'another seed, another mask');
      let causal = 0;
      let zeros = 0;
      let agreeAcrossHeads = 0;
      for (let h = 0; h < H; h++)
        for (let i = 0; i < L; i++)
          for (let j = 0; j < L; j++) {
            const at = (h * L + i) * L + j;
            if (j > i) {
              assert.equal(dropped[at], 0, 'future keys get no weight');
              continue;
            }
            causal++;
            if (dropped[at] === 0) zeros++;
            else assertClose([dropped[at]], [full[at] / (1 - p)], 1e-12, 'kept weight');
            if (h > 0)
              agreeAcrossHeads += (dropped[at] === 0) === (dropped[at - L * L] === 0) ? 1 : 0;
          }
      assert.ok(Math.abs(zeros / causal - p) < 0.015, `dropped fraction ${zeros / causal}`);
      // Independent masks per head agree with probability p² + (1 − p)² = 0.58.
      const agreement = agreeAcrossHeads / ((causal * (H - 1)) / H);
      assert.ok(Math.abs(agreement - 0.58) < 0.02, `mask agreement across heads ${agreement}`);
      masks.push(dropped.map((w) => (w === 0 ? 0 : 1)));
    }),
  );
  // Every kernel copy draws the same mask from the same seed (the hash is integer arithmetic).
  for (const m of masks.slice(1)) assert.deepEqual(m, masks[0]);
});

test("ALiBi slopes are the paper's: 2^(−8h/n) for n a power of two, interleaved otherwise", () => {
  assert.deepEqual(alibiSlopes(8), [1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 128, 1 / 256]);
  assertClose(
    alibiSlopes(16),
    Array.from({ length: 16 }, (_, h) => Math.SQRT1_2 ** (h + 1)),
    1e-15,
    '16 heads',
  );
  // The reference get_slopes(12): the 8 of n = 8, then slopes 1, 3, 5, 7 of n = 16.
  assertClose(
    alibiSlopes(12),
    [...alibiSlopes(8), 2 ** -0.5, 2 ** -1.5, 2 ** -2.5, 2 ** -3.5],
    1e-15,
    '12 heads',
  );
  assert.throws(() => alibiSlopes(0), /positive integer/);
});

/** softmax(q·k/√d − m_h·(i − j), keys j ≤ i) v by loops, queries the last L of S positions. */
function alibiByHand(
  q: number[],
  k: number[],
  v: number[],
  [B, H, L, S, d]: number[],
  slopes: number[],
): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < L; i++) {
        const qi = ((b * H + h) * L + i) * d;
        const position = S - L + i;
        const w: number[] = [];
        for (let j = 0; j <= position; j++) {
          const kj = ((b * H + h) * S + j) * d;
          let dot = 0;
          for (let c = 0; c < d; c++) dot += q[qi + c] * k[kj + c];
          w.push(dot / Math.sqrt(d) - slopes[h] * (position - j));
        }
        const m = Math.max(...w);
        const e = w.map((x) => Math.exp(x - m));
        const sum = e.reduce((a, x) => a + x, 0);
        for (let c = 0; c < d; c++) {
          let o = 0;
          for (let j = 0; j <= position; j++) o += (e[j] / sum) * v[((b * H + h) * S + j) * d + c];
          out.push(o);
        }
      }
  return out;
}

test('ALiBi attention equals the formula by hand: causal windows and a last query over a cache', () => {
  const [B, H, L, d] = [2, 3, 7, 4];
  const slopes = [0.9, 0.3, 0.05];
  for (const S of [L, 1]) {
    // S = L: the causal window; then one query (the last position) over all L keys.
    const [Lq, Sk] = S === L ? [L, L] : [1, L];
    const q = values(B * H * Lq * d, 31, -2, 2);
    const k = values(B * H * Sk * d, 32, -2, 2);
    const v = values(B * H * Sk * d, 33);
    for (const fused of [true, false]) {
      setFusedAttention(fused);
      try {
        const got = tidy(() =>
          F.scaledDotProductAttention(
            Tensor.from(q, [B, H, Lq, d], 'float64'),
            Tensor.from(k, [B, H, Sk, d], 'float64'),
            Tensor.from(v, [B, H, Sk, d], 'float64'),
            { causal: Lq === Sk, alibi: Tensor.from(slopes, [H], 'float64') },
          ).output.toNumbers(),
        );
        assertClose(
          got,
          alibiByHand(q, k, v, [B, H, Lq, Sk, d], slopes),
          1e-12,
          `L ${Lq} S ${Sk} fused ${fused}`,
        );
      } finally {
        setFusedAttention(true);
      }
    }
  }
  assert.throws(
    () =>
      tidy(() => {
        const x = Tensor.from(values(2 * 3 * 4, 1), [2, 3, 4], 'float64');
        return F.scaledDotProductAttention(x, x, x, {
          causal: true,
          alibi: Tensor.from([1, 2, 3], [3], 'float64'),
        });
      }),
    /one slope per head/,
  );
});

test('fused causal attention with ALiBi equals the math path, outputs and gradients, on every kernel', () => {
  forEachKernel((kernel) => {
    for (const [dtype, shape, tol] of [
      ['float64', [2, 3, 37, 5], 1e-12],
      ['float32', [2, 16, 9, 8], 2e-5],
      ['float32', [1, 4, 70, 8], 2e-5],
      ['float32', [1, 2, 1024, 8], 2e-5],
    ] as const) {
      const what = `${kernel} ${dtype} ${shape}`;
      const fused = run(true, dtype, [...shape], { alibi: true });
      const math = run(false, dtype, [...shape], { alibi: true });
      assertClose(fused.output, math.output, tol, `${what} output`);
      ['q', 'k', 'v'].forEach((name, i) =>
        assertClose(fused.grads[i], math.grads[i], tol * 5, `${what} d${name}`),
      );
      // The distance term changes the result.
      assert.notDeepEqual(
        fused.output,
        run(true, dtype, [...shape]).output,
        `${what}: ALiBi counts`,
      );
    }
  });
});
