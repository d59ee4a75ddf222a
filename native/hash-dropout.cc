// Element-wise dropout with the hash mask of hash-dropout.h.
//
// Why not at::dropout: libtorch 1.13 draws its CPU mask element by element from a Mersenne
// Twister (one thread) and keeps the mask for backward. On the spike transformer's
// [16, 3125, 128] activations that took ~37 ms per call, three calls per layer and step: about
// 10 % of a paper-size training step. Here the mask is a hash of (seed, element index),
// computed in parallel and vectorised, and backward recomputes it.
#include "hash-dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <mutex>
#include <stdexcept>
#include <string>

namespace nb {

int64_t DrawDropoutSeed() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return static_cast<int64_t>(at::check_generator<at::CPUGeneratorImpl>(gen)->random64() >> 1);
}

namespace {

// y[i] = x[i]·scale where element first + i is kept, else 0; the elements' 32-bit index
// under one key (`key` covers the 2³² elements from first & ~(2³² − 1)). Cloned for AVX-512,
// AVX2 and the baseline, chosen at load time: the hash vectorises on each.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NB_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NB_CLONES
#endif
template <typename T>
inline void MaskRange(const T* x, T* y, int64_t n, uint32_t key, uint32_t first, uint32_t threshold, T scale) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++)
    y[i] = Dropout::Keep(key, static_cast<uint32_t>(first + static_cast<uint32_t>(i)), threshold) ? x[i] * scale : T(0);
}
NB_CLONES void MaskBlock(const float* x, float* y, int64_t n, uint32_t key, uint32_t first, uint32_t threshold,
                         float scale) {
  MaskRange(x, y, n, key, first, threshold, scale);
}
NB_CLONES void MaskBlock(const double* x, double* y, int64_t n, uint32_t key, uint32_t first, uint32_t threshold,
                          double scale) {
  MaskRange(x, y, n, key, first, threshold, scale);
}

// x ∘ mask · 1/(1 − p) for the mask of (p, seed), x contiguous CPU float or double.
at::Tensor Masked(const at::Tensor& input, double p, int64_t seed) {
  const at::Tensor x = input.contiguous();
  at::Tensor y = at::empty_like(x);
  const Dropout drop = MakeDropout(p, static_cast<uint64_t>(seed));
  const int64_t n = x.numel();
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "hashDropout", [&] {
    const scalar_t* in = x.data_ptr<scalar_t>();
    scalar_t* out = y.data_ptr<scalar_t>();
    const auto scale = static_cast<scalar_t>(drop.keepScale);
    at::parallel_for(0, n, 1 << 15, [&](int64_t begin, int64_t end) {
      // Split where the element index crosses a multiple of 2³²: each such block has its key.
      for (int64_t b = begin; b < end;) {
        const int64_t block = b >> 32, e = std::min(end, (block + 1) << 32);
        const uint32_t key = drop.RowKey(0, block);
        MaskBlock(in + b, out + b, e - b, key, static_cast<uint32_t>(b), drop.threshold, scale);
        b = e;
      }
    });
  });
  return y.view(input.sizes());
}

class HashDropoutFunction : public torch::autograd::Function<HashDropoutFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, double p, int64_t seed) {
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = seed;
    return Masked(x, p, seed);
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    return {Masked(grads[0], ctx->saved_data["p"].toDouble(), ctx->saved_data["seed"].toInt()), at::Tensor(),
            at::Tensor()};
  }
};

}  // namespace

at::Tensor HashDropout(const at::Tensor& x, double p, bool training) {
  if (!(p >= 0 && p <= 1))
    throw std::invalid_argument("dropout probability has to be between 0 and 1, but got " + std::to_string(p));
  if (!training || p == 0) return x;
  if (!x.device().is_cpu() || (x.scalar_type() != at::kFloat && x.scalar_type() != at::kDouble))
    return at::dropout(x, p, training);
  if (p == 1) return x * 0;  // everything dropped (1/(1 − p) is not finite)
  return HashDropoutFunction::apply(x, p, DrawDropoutSeed());
}

}  // namespace nb
