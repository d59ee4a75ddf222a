// Dropout masks from a counter-based hash of (seed, position), shared by the fused causal
// attention and the element-wise dropout: backward regenerates the forward mask from the seed
// instead of storing it, and any part of a tensor can be masked independently (in parallel,
// vectorised).
#pragma once
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>

namespace nb {

// Bijective 32-bit mixer ("lowbias32", C. Wellons): consecutive inputs give uncorrelated outputs.
inline uint32_t Mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

struct Dropout {
  bool on = false;
  uint32_t threshold = 0;  // keep iff hash ≥ threshold: P(keep) = 1 − p
  uint32_t seedLo = 0, seedHi = 0;
  double keepScale = 1;  // 1 / (1 − p)
  uint32_t RowKey(int64_t head, int64_t row) const {
    return Mix(seedLo ^ Mix(seedHi + static_cast<uint32_t>(head) * 0x9E3779B9U) ^ Mix(static_cast<uint32_t>(row) + 0x85EBCA6BU));
  }
  static bool Keep(uint32_t rowKey, int64_t key, uint32_t threshold) {
    return Mix(rowKey ^ (static_cast<uint32_t>(key) * 0x9E3779B9U)) >= threshold;
  }
};

// The mask of drop probability p (0 ≤ p < 1) for this seed; p ≤ 0: no dropout.
inline Dropout MakeDropout(double p, uint64_t seed) {
  Dropout drop;
  if (p <= 0) return drop;
  drop.on = true;
  drop.threshold = static_cast<uint32_t>(std::min(p * 4294967296.0, 4294967295.0));
  drop.seedLo = static_cast<uint32_t>(seed);
  drop.seedHi = static_cast<uint32_t>(seed >> 32);
  drop.keepScale = 1.0 / (1.0 - p);
  return drop;
}

// A seed drawn from libtorch's default CPU generator, so torch::manual_seed makes runs repeatable.
int64_t DrawDropoutSeed();

// x with each element zeroed with probability p and the rest scaled by 1/(1 − p), when
// training (else x); differentiable. CPU float/double tensors use the hash mask; others
// (CUDA, half) fall back to at::dropout.
at::Tensor HashDropout(const at::Tensor& x, double p, bool training);

}  // namespace nb
