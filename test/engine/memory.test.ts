import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Adam, F, Linear, Tensor, keep, liveTensors, tidy, zeros } from '../../src/engine/index.js';

test('tidy frees what it created and keeps what it returns', () => {
  let inner: Tensor | null = null;
  const kept = tidy(() => {
    inner = zeros([10]);
    const out = inner.add(1);
    return out;
  });
  assert.equal(inner!.isDisposed, true);
  assert.equal(kept.isDisposed, false);
  const nested = tidy(() => tidy(() => [zeros([2]), { x: zeros([3]) }]));
  assert.equal(nested[0] instanceof Tensor && !nested[0].isDisposed, true);
  let pinned: Tensor | null = null;
  let dropped: Tensor | null = null;
  tidy(() => {
    pinned = keep(zeros([2]));
    dropped = zeros([2]);
  });
  assert.equal(pinned!.isDisposed, false, 'keep() outlives the scope');
  assert.equal(dropped!.isDisposed, true);
});

test('memory stays flat over 10^4 scoped training steps', () => {
  const layer = new Linear(64, 64);
  const opt = new Adam(layer.parameters(), { lr: 1e-3 });
  const x = Tensor.from(new Float32Array(32 * 64).fill(0.5), [32, 64]);
  const step = () =>
    tidy(() => {
      opt.zeroGrad();
      const loss = F.mseLoss(layer.forward(x).tanh(), x);
      loss.backward();
      opt.step();
      return loss.item();
    });
  for (let i = 0; i < 500; i++) step(); // warm up allocator pools
  const liveBefore = liveTensors();
  const before = process.memoryUsage().rss;
  // Synchronous on purpose: nothing may depend on the event loop turning to free memory.
  for (let i = 0; i < 10_000; i++) step();
  const grown = process.memoryUsage().rss - before;
  assert.equal(liveTensors(), liveBefore, 'every tensor a step creates is freed by its scope');
  // Each step allocates ~100 KB of tensors and ~15 handles: a leak of either would grow RSS
  // by hundreds of MiB.
  assert.ok(
    grown < 16 * 1024 * 1024,
    `RSS grew by ${(grown / 1048576).toFixed(1)} MiB over 10^4 steps`,
  );
});
