// Fused causal self-attention, forward and backward, for long spike contexts.
//
// Why hand-written: the libtorch this project builds against (Debian's 1.13) has no fused or
// memory-efficient attention on CPU. Its math path materialises the [B·H, L, L] scores, the
// softmax, the dropout mask and the dropped weights (about 600 MB each at L = 3125), walks
// all of them again in backward, computes the masked upper triangle it then throws away, and
// samples a full L×L dropout mask (for 16 heads at L = 3125, at::dropout alone took 1.1 s on
// 2 threads here). Here each (batch·head) is done row by row over j ≤ i only: scores live in
// one L-long buffer, K and V are transposed once so the inner loops run over keys
// (vectorised), and backward recomputes the probabilities from the saved log-sum-exp, as
// FlashAttention does. Dropout uses a counter-based hash of (seed, head, row, key), so
// backward regenerates exactly the forward mask without storing it.
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <type_traits>
#include <vector>

#include "causal-attention.h"

namespace nb {
namespace {

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

// The d = 8 loops use 32-byte GCC vectors; the portable copy passes them between inline
// helpers, which draws GCC's note that AVX changes the ABI of such calls (irrelevant here).
#pragma GCC diagnostic ignored "-Wpsabi"
namespace generic {
#include "causal-attention-kernels.inc"
}  // namespace generic

// The same loops for AVX2 + FMA, picked at run time (x86-64 with GCC; elsewhere `generic`).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
#include "causal-attention-kernels.inc"
}  // namespace avx2
#pragma GCC pop_options
const bool kCpuHasAvx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
const bool kCpuHasAvx2 = false;
#endif
std::atomic<bool> gUseAvx2{kCpuHasAvx2};
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NB_KERNEL(name) (gUseAvx2.load() ? avx2::name<scalar_t> : generic::name<scalar_t>)
#else
#define NB_KERNEL(name) generic::name<scalar_t>
#endif


Dropout MakeDropout(double p, uint64_t seed) {
  Dropout drop;
  if (p <= 0) return drop;
  drop.on = true;
  drop.threshold = static_cast<uint32_t>(std::min(p * 4294967296.0, 4294967295.0));
  drop.seedLo = static_cast<uint32_t>(seed);
  drop.seedHi = static_cast<uint32_t>(seed >> 32);
  drop.keepScale = 1.0 / (1.0 - p);
  return drop;
}

// The ALiBi slopes as the kernels take them: flattened head n uses slopes[n % H]; one 0
// (no distance term) without ALiBi. A plain vector, not a tensor: autograd functions reject
// undefined tensor arguments.
std::vector<double> SlopesOf(const c10::optional<at::Tensor>& alibi) {
  if (!alibi) return {0.0};
  const at::Tensor s = alibi->detach().to(at::kCPU, at::kDouble).contiguous();
  return std::vector<double>(s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
}

// Views q, k, v [..., L, d] as [N, L, d] contiguous.
at::Tensor Heads(const at::Tensor& x) { return x.contiguous().view({-1, x.size(-2), x.size(-1)}); }

class FusedCausalAttention : public torch::autograd::Function<FusedCausalAttention> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& q, const at::Tensor& k,
                            const at::Tensor& v, double dropout, int64_t seed, const std::vector<double>& slopes) {
    const at::Tensor q3 = Heads(q), k3 = Heads(k), v3 = Heads(v);
    const int64_t H = static_cast<int64_t>(slopes.size());
    const int64_t N = q3.size(0), L = q3.size(1), d = q3.size(2);
    at::Tensor out = at::empty_like(q3);
    at::Tensor lse = at::empty({N, L}, q3.options());
    const Dropout drop = MakeDropout(dropout, static_cast<uint64_t>(seed));
    AT_DISPATCH_FLOATING_TYPES(q3.scalar_type(), "fusedCausalAttention", [&] {
      const auto scale = static_cast<scalar_t>(1.0 / std::sqrt(static_cast<double>(d)));
      const scalar_t *Q = q3.data_ptr<scalar_t>(), *K = k3.data_ptr<scalar_t>(), *V = v3.data_ptr<scalar_t>();
      scalar_t* O = out.data_ptr<scalar_t>();
      scalar_t* LSE = lse.data_ptr<scalar_t>();
      at::parallel_for(0, N, 1, [&](int64_t begin, int64_t end) {
        for (int64_t h = begin; h < end; h++) {
          const auto slope = static_cast<scalar_t>(slopes[h % H]);
          NB_KERNEL(ForwardHead)(Q + h * L * d, K + h * L * d, V + h * L * d, L, d, scale, slope, drop, h, O + h * L * d,
                                 LSE + h * L);
        }
      });
    });
    ctx->save_for_backward({q3, k3, v3, out, lse});
    ctx->saved_data["dropout"] = dropout;
    ctx->saved_data["seed"] = seed;
    ctx->saved_data["slopes"] = slopes;
    return out.view(q.sizes());
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &q3 = saved[0], &k3 = saved[1], &v3 = saved[2], &out = saved[3], &lse = saved[4];
    const int64_t N = q3.size(0), L = q3.size(1), d = q3.size(2);
    const at::Tensor dO = grads[0].contiguous().view({N, L, d});
    at::Tensor dq = at::empty_like(q3), dk = at::empty_like(k3), dv = at::empty_like(v3);
    const Dropout drop = MakeDropout(ctx->saved_data["dropout"].toDouble(),
                                     static_cast<uint64_t>(ctx->saved_data["seed"].toInt()));
    const std::vector<double> slopes = ctx->saved_data["slopes"].toDoubleVector();
    const int64_t H = static_cast<int64_t>(slopes.size());
    AT_DISPATCH_FLOATING_TYPES(q3.scalar_type(), "fusedCausalAttentionBackward", [&] {
      const auto scale = static_cast<scalar_t>(1.0 / std::sqrt(static_cast<double>(d)));
      const scalar_t *Q = q3.data_ptr<scalar_t>(), *K = k3.data_ptr<scalar_t>(), *V = v3.data_ptr<scalar_t>();
      const scalar_t *O = out.data_ptr<scalar_t>(), *G = dO.data_ptr<scalar_t>();
      const scalar_t* LSE = lse.data_ptr<scalar_t>();
      scalar_t *DQ = dq.data_ptr<scalar_t>(), *DK = dk.data_ptr<scalar_t>(), *DV = dv.data_ptr<scalar_t>();
      at::parallel_for(0, N, 1, [&](int64_t begin, int64_t end) {
        for (int64_t h = begin; h < end; h++) {
          const int64_t o = h * L * d;
          const auto slope = static_cast<scalar_t>(slopes[h % H]);
          NB_KERNEL(BackwardHead)(Q + o, K + o, V + o, O + o, G + o, LSE + h * L, L, d, scale, slope, drop, h, DQ + o,
                                  DK + o, DV + o);
        }
      });
    });
    const auto shape = grads[0].sizes();
    return {dq.view(shape), dk.view(shape), dv.view(shape), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

std::string FusedCausalAttentionKernel(const std::string& wanted) {
  if (wanted == "generic") gUseAvx2.store(false);
  else if (wanted == "best") gUseAvx2.store(kCpuHasAvx2);
  else if (!wanted.empty()) throw std::invalid_argument("kernel must be 'generic' or 'best', got '" + wanted + "'");
  return gUseAvx2.load() ? "avx2" : "generic";
}

bool FusedCausalAttentionApplies(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  return q.device().is_cpu() && (q.scalar_type() == at::kFloat || q.scalar_type() == at::kDouble) &&
         q.scalar_type() == k.scalar_type() && q.scalar_type() == v.scalar_type() && q.dim() >= 2 &&
         q.sizes() == k.sizes() && q.sizes() == v.sizes() && q.size(-2) > 0;
}

at::Tensor FusedCausalAttentionForward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double dropout,
                                       bool training, const c10::optional<at::Tensor>& alibi) {
  if (alibi && (q.dim() < 3 || alibi->dim() != 1 || alibi->size(0) != q.size(-3)))
    throw std::invalid_argument("alibi: one slope per head expected, for q of shape [..., heads, L, d]");
  const double p = training ? dropout : 0.0;
  int64_t seed = 0;
  if (p > 0) {
    // Drawn from libtorch's default generator, so torch::manual_seed makes runs repeatable.
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    seed = static_cast<int64_t>(at::check_generator<at::CPUGeneratorImpl>(gen)->random64() >> 1);
  }
  return FusedCausalAttention::apply(q, k, v, p, seed, SlopesOf(alibi));
}

}  // namespace nb
