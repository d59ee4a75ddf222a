/**
 * Rotary position embeddings (RoPE; Su et al. 2021, the GPT-NeoX "rotate half" layout): query
 * and key feature pairs (i, i + d/2) are rotated by the angle p·θ_i at position p, with
 * θ_i = base^(−2i/d). The score q_t·k_s then depends on t − s only, so keys computed once
 * stay valid when a window slides: what makes a key/value cache possible in generation.
 */
import { Tensor } from './tensor.js';
import * as F from './functional.js';

export interface RotaryTables {
  /** [length, headDim] */
  cos: Tensor;
  /** [length, headDim] */
  sin: Tensor;
}

/** Tables for positions start … start + length − 1 (built in float64, stored as float32). */
export function rotaryTables(
  start: number,
  length: number,
  headDim: number,
  device = 'cpu',
  base = 10_000,
): RotaryTables {
  if (headDim % 2 !== 0) throw new Error(`rotary positions need an even head size, got ${headDim}`);
  const half = headDim / 2;
  const cos = new Float32Array(length * headDim);
  const sin = new Float32Array(length * headDim);
  for (let p = 0; p < length; p++) {
    for (let i = 0; i < half; i++) {
      const angle = (start + p) * Math.pow(base, (-2 * i) / headDim);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[p * headDim + i] = cos[p * headDim + i + half] = c;
      sin[p * headDim + i] = sin[p * headDim + i + half] = s;
    }
  }
  return {
    cos: Tensor.from(cos, [length, headDim]).toDevice(device),
    sin: Tensor.from(sin, [length, headDim]).toDevice(device),
  };
}

/** x: [..., length, headDim] rotated position by position: x·cos + rotateHalf(x)·sin. */
export function applyRotary(x: Tensor, tables: RotaryTables): Tensor {
  const d = x.size(-1);
  const half = d / 2;
  const rotated = F.cat([x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)], -1);
  return x.mul(tables.cos).add(rotated.mul(tables.sin));
}
