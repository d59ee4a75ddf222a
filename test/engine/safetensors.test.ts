import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  LSTM,
  Linear,
  Tensor,
  loadSafetensors,
  manualSeed,
  randn,
  saveSafetensors,
} from '../../src/engine/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nb-safetensors-'));

test('safetensors round trip is bit-exact for every dtype', () => {
  const tensors = {
    f32: randn([3, 5]),
    f64: randn([4], 'float64'),
    i64: Tensor.from(new BigInt64Array([-(2n ** 62n), 7n, 0n])),
    i32: Tensor.from(new Int32Array([-5, 9])),
    u8: Tensor.from(new Uint8Array([0, 128, 255])),
    b: Tensor.from([1, 0, 1], [3], 'bool'),
    empty: Tensor.from(new Float32Array(0), [0, 4]),
  };
  const path = join(dir, 'all.safetensors');
  saveSafetensors(path, tensors, { note: 'test' });
  const { tensors: back, metadata } = loadSafetensors(path);
  assert.deepEqual(metadata, { note: 'test' });
  for (const [name, t] of Object.entries(tensors)) {
    const u = back.get(name)!;
    assert.equal(u.dtype, t.dtype, name);
    assert.deepEqual(u.shape, t.shape, name);
    const a = t.toArray();
    const b = u.toArray();
    assert.deepEqual(
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      name,
    );
  }
  const headerLength = Number(readFileSync(path).readBigUInt64LE(0));
  assert.equal(headerLength % 8, 0, 'header padded to 8 bytes');
});

test('a module state dict saves and loads into a fresh module', () => {
  manualSeed(3);
  const a = new LSTM(3, 4, { bidirectional: true });
  const b = new LSTM(3, 4, { bidirectional: true });
  const path = join(dir, 'lstm.safetensors');
  saveSafetensors(path, a.stateDict());
  b.loadStateDict(loadSafetensors(path).tensors);
  for (const [name, t] of a.stateDict())
    assert.deepEqual(b.stateDict().get(name)!.toNumbers(), t.toNumbers(), name);
  assert.throws(
    () => new Linear(3, 4).loadStateDict(loadSafetensors(path).tensors),
    /missing \[weight, bias\]/,
  );
});

// Debian's interpreter (python3-torch), not a pyenv shim that may come first on PATH.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const torchAvailable = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

test(
  'PyTorch reads the files (safetensors layout parsed by an independent reader)',
  { skip: !torchAvailable && 'python3 with torch is not installed' },
  () => {
    const path = join(dir, 'lin.safetensors');
    const lin = new Linear(3, 2);
    saveSafetensors(path, lin.stateDict());
    // An independent parser in Python (no safetensors package in Debian): header → torch.frombuffer.
    const script = `
import json, struct, sys, torch
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8+n])
out = {}
for name, e in header.items():
    if name == '__metadata__': continue
    b, end = e['data_offsets']
    t = torch.frombuffer(bytearray(raw[8+n+b:8+n+end]), dtype={'F32': torch.float32}[e['dtype']]).reshape(e['shape'])
    out[name] = t.tolist()
m = torch.nn.Linear(3, 2)
m.load_state_dict({k: torch.tensor(v) for k, v in out.items()})
print(json.dumps(m(torch.ones(1, 3)).tolist()))
`;
    const r = spawnSync(PYTHON, ['-c', script, path], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const torchOut = JSON.parse(r.stdout)[0] as number[];
    const ours = lin.forward(Tensor.from([1, 1, 1], [1, 3])).toNumbers();
    torchOut.forEach((v, i) => assert.ok(Math.abs(v - ours[i]) < 1e-6));
  },
);
