import { test } from 'node:test';
import assert from 'node:assert/strict';
import { native } from '../../src/engine/native.js';
import { TENSOR_LIST_OPS, TENSOR_OPS, type NativeAddon } from '../../src/engine/native-api.js';

// The functions typed one by one in NativeAddon (a misspelled name here fails to compile).
const DIRECT: (keyof NativeAddon)[] = [
  'fromBuffer', 'toBuffer', 'item', 'info', 'isDisposed', 'dispose', 'liveTensors',
  'requiresGrad', 'setRequiresGrad', 'grad', 'clearGrad', 'backward', 'isGradEnabled',
  'setGradEnabled', 'uniform_', 'normal_', 'fill_', 'copy_', 'randperm', 'adamStep',
  'clipGradNorm', 'manualSeed', 'setNumThreads', 'getNumThreads', 'configureAllocator',
  'fusedAttention', 'setFusedAttention', 'fusedAttentionKernel', 'cudaAvailable',
  'cudaDeviceCount', 'torchVersion', 'buildConfig', 'allclose',
]; // prettier-ignore

test('the typed addon interface lists exactly the functions the compiled addon exports', () => {
  const exported = Object.keys(native()).sort();
  const typed = [...TENSOR_OPS, ...TENSOR_LIST_OPS, ...DIRECT].sort();
  assert.equal(new Set(typed).size, typed.length, 'a name is listed twice');
  assert.deepEqual(
    exported.filter((n) => !typed.includes(n as keyof NativeAddon)),
    [],
    'exported by the addon but not typed',
  );
  assert.deepEqual(
    typed.filter((n) => !exported.includes(n)),
    [],
    'typed but not exported by the addon',
  );
});
