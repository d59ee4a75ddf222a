import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Tensor, loadSafetensors, setNumThreads, zeros } from '../../src/engine/index.js';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('shape mismatches raise errors carrying libtorch message', () => {
  assert.throws(
    () => zeros([2, 3]).matmul(zeros([2, 3])),
    /mat1 and mat2 shapes cannot be multiplied|size mismatch/,
  );
  assert.throws(() => zeros([2, 3]).add(zeros([4])), /size of tensor a \(3\) must match/);
  assert.throws(() => zeros([6]).view([4]), /shape '\[4\]' is invalid/);
  assert.throws(() => Tensor.from([1, 2, 3], [2, 2]), /3 values cannot fill shape \[2, 2\]/);
});

test('wrong dtypes raise errors instead of crashing', () => {
  assert.throws(
    () => F.embedding(zeros([3, 2]), zeros([2])),
    /Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int/,
  );
  assert.throws(() => F.crossEntropy(zeros([2, 3]), zeros([2])), /expected scalar type Long|Long/);
  assert.throws(() => zeros([2], 'complex' as 'float32'), /unknown dtype 'complex'/);
});

test('use after dispose raises a clear error', () => {
  const t = zeros([2]);
  t.dispose();
  assert.equal(t.isDisposed, true);
  assert.throws(() => t.add(1), /tensor used after dispose\(\)/);
  assert.throws(() => t.toArray(), /tensor used after dispose\(\)/);
  t.dispose(); // disposing twice is harmless
});

test('bad arguments and files are reported, not crashes', () => {
  assert.throws(() => setNumThreads(0), /positive integer/);
  const dir = mkdtempSync(join(tmpdir(), 'nb-st-'));
  const path = join(dir, 'bad.safetensors');
  writeFileSync(path, Buffer.from([1, 2, 3]));
  assert.throws(() => loadSafetensors(path), /bad\.safetensors: header length: file has 3 bytes/);
  const big = Buffer.alloc(16);
  big.writeBigUInt64LE(1000n);
  writeFileSync(path, big);
  assert.throws(() => loadSafetensors(path), /header length: 1000 exceeds the file size 16/);
});
