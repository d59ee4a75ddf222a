// CUDA: runs only where libtorch sees a CUDA device (the addon built against a CUDA
// LibTorch, see README); elsewhere the GPU tests are skipped with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Tensor, tidy } from '../../src/engine/index.js';
import {
  cudaAttentionPath,
  cudaAvailable,
  engineInfo,
  manualSeed,
  setDefaultDevice,
} from '../../src/engine/runtime.js';
import { PAPER_MODEL, SpikeTransformer } from '../../src/models/spike-transformer.js';

const skip = cudaAvailable() ? false : 'no CUDA device here: GPU tests skipped';

const wave = (n: number, f: (i: number) => number) =>
  Float32Array.from({ length: n }, (_, i) => f(i));

test('the CUDA attention path follows the LibTorch version', () => {
  assert.equal(
    cudaAttentionPath('1.13.1'),
    'math path (LibTorch < 2.0 has no scaled_dot_product_attention)',
  );
  assert.equal(cudaAttentionPath('2.5.1+cu124'), 'fused scaled_dot_product_attention');
  assert.equal(engineInfo().cudaAttention, cudaAttentionPath(engineInfo().torchVersion));
});

test(
  'without CUDA, a CUDA device is refused in one line',
  { skip: cudaAvailable() ? 'CUDA is available' : false },
  () => {
    assert.throws(() => setDefaultDevice('cuda'), /libtorch sees no CUDA device/);
    assert.throws(() => setDefaultDevice('tpu'), /unknown device 'tpu'/);
    setDefaultDevice('cpu');
  },
);

test(
  'causal attention on CUDA (fused where LibTorch has it) equals the CPU kernel',
  { skip },
  () => {
    tidy(() => {
      const shape = [2, 4, 64, 8];
      const n = shape.reduce((a, b) => a * b, 1);
      const q = Tensor.from(
        wave(n, (i) => Math.sin(i)),
        shape,
        'float32',
        'cpu',
      );
      const k = Tensor.from(
        wave(n, (i) => Math.cos(i * 0.7)),
        shape,
        'float32',
        'cpu',
      );
      const v = Tensor.from(
        wave(n, (i) => Math.sin(i * 0.3)),
        shape,
        'float32',
        'cpu',
      );
      const cpu = F.scaledDotProductAttention(q, k, v, { causal: true }).output.toArray();
      const [qg, kg, vg] = [q, k, v].map((t) => t.toDevice('cuda'));
      const gpu = F.scaledDotProductAttention(qg, kg, vg, { causal: true }).output.toArray();
      for (let i = 0; i < cpu.length; i++)
        assert.ok(Math.abs(Number(cpu[i]) - Number(gpu[i])) < 1e-4, `element ${i}`);
    });
  },
);

test('the spike transformer gives the CPU loss on CUDA with the same weights', { skip }, () => {
  const config = {
    ...PAPER_MODEL,
    units: 8,
    dModel: 16,
    heads: 2,
    feedforward: 16,
    context: 32,
    dropout: 0,
  };
  tidy(() => {
    manualSeed(0);
    const cpuModel = new SpikeTransformer(config);
    const x = Tensor.from(
      wave(2 * 32 * 8, (i) => (i % 7 === 0 ? 1 : 0)),
      [2, 32, 8],
    );
    const cpuLoss = F.bceWithLogits(cpuModel.forward(x).logits, x).item();
    setDefaultDevice('cuda');
    try {
      const gpuModel = new SpikeTransformer(config);
      gpuModel.loadStateDict(cpuModel.stateDict());
      const xg = x.toDevice('cuda');
      const loss = F.bceWithLogits(gpuModel.forward(xg).logits, xg);
      loss.backward();
      assert.ok(Math.abs(loss.item() - cpuLoss) < 1e-4, `${loss.item()} vs CPU ${cpuLoss}`);
    } finally {
      setDefaultDevice('cpu');
    }
  });
});
