import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInWorker } from '../../src/engine/index.js';

test('training in a worker keeps the main thread responsive and returns the result', async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const progress: number[] = [];
  const started = Date.now();
  const loss = await runInWorker<{ steps: number }, number, number>(
    new URL('./fixtures/train-worker.js', import.meta.url),
    { steps: 400 },
    (p) => progress.push(p),
  );
  clearInterval(timer);
  const elapsed = Date.now() - started;
  assert.ok(Number.isFinite(loss));
  assert.deepEqual(progress, [0, 50, 100, 150, 200, 250, 300, 350]);
  // The 10 ms timer kept firing while the worker computed (≥ 30 % of the possible ticks).
  assert.ok(ticks >= (elapsed / 10) * 0.3, `${ticks} ticks in ${elapsed} ms`);
});

test('an error in the worker rejects with its message', async () => {
  await assert.rejects(
    runInWorker(new URL('./fixtures/train-worker.js', import.meta.url), { steps: -1 }),
    /steps must be positive, got -1/,
  );
});
