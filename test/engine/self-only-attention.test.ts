import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MultiheadAttention,
  arange,
  manualSeed,
  noGrad,
  randn,
  tidy,
} from '../../src/engine/index.js';

test('self-only attention equals attention under a diagonal mask (outputs and weights)', () => {
  manualSeed(4);
  const attn = new MultiheadAttention(16, 4).eval();
  tidy(() =>
    noGrad(() => {
      const x = randn([3, 9, 16]);
      const idx = arange(0, 9, 1, 'int64');
      // Reference: the masked math path (softmax over scores where only the diagonal is allowed).
      const masked = attn.forward(x, {
        mask: idx.unsqueeze(1).eq(idx.unsqueeze(0)),
        needWeights: true,
      });
      const selfOnly = attn.forward(x, { causal: true, selfOnly: true, needWeights: true });
      const a = selfOnly.output.toArray();
      const b = masked.output.toArray();
      for (let i = 0; i < b.length; i++)
        assert.ok(Math.abs(Number(a[i]) - Number(b[i])) < 1e-6, `output ${i}: ${a[i]} vs ${b[i]}`);
      assert.deepEqual(selfOnly.weights!.shape, [3, 4, 9, 9]);
      assert.deepEqual(
        selfOnly.weights!.contiguous().toNumbers(),
        masked.weights!.contiguous().toNumbers(),
      );
    }),
  );
});
