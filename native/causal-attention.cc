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
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "causal-attention.h"
#include "hash-dropout.h"

namespace nb {
namespace {

// The d = 8 loops use 32- and 64-byte GCC vectors; the portable copy passes them between
// inline helpers, which draws GCC's note that AVX changes the ABI of such calls (irrelevant
// here).
#pragma GCC diagnostic ignored "-Wpsabi"
namespace generic {
#define NB_LANES 8
#include "causal-attention-kernels.inc"
#undef NB_LANES
}  // namespace generic

// The same loops for AVX2 + FMA, and for AVX-512 with 16 keys per vector, picked at run time
// (x86-64 with GCC; elsewhere `generic`). The AVX-512 copy is 1.7× the AVX2 one on the
// AMD Zen 5 cores here (full-width 512-bit units); its sums over keys run in 16 lanes, so
// its results differ from the 8-lane copies' in the last bits.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NB_HAS_X86_KERNELS 1
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
#define NB_LANES 8
#include "causal-attention-kernels.inc"
#undef NB_LANES
}  // namespace avx2
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")
namespace avx512 {
#define NB_LANES 16
#include "causal-attention-kernels.inc"
#undef NB_LANES
}  // namespace avx512
#pragma GCC pop_options
const bool kCpuHasAvx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
const bool kCpuHasAvx512 = kCpuHasAvx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
#else
const bool kCpuHasAvx2 = false;
const bool kCpuHasAvx512 = false;
#endif

enum class Kernel { kGeneric, kAvx2, kAvx512 };
Kernel BestKernel() { return kCpuHasAvx512 ? Kernel::kAvx512 : kCpuHasAvx2 ? Kernel::kAvx2 : Kernel::kGeneric; }
std::atomic<Kernel> gKernel{BestKernel()};

#ifdef NB_HAS_X86_KERNELS
#define NB_KERNEL(name)                                                          \
  (gKernel.load() == Kernel::kAvx512 ? avx512::name<scalar_t>                    \
   : gKernel.load() == Kernel::kAvx2 ? avx2::name<scalar_t>                      \
                                     : generic::name<scalar_t>)
#else
#define NB_KERNEL(name) generic::name<scalar_t>
#endif

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
  if (wanted == "generic") {
    gKernel.store(Kernel::kGeneric);
  } else if (wanted == "avx2" || wanted == "avx512") {
    const bool avx512 = wanted == "avx512";
    if (!(avx512 ? kCpuHasAvx512 : kCpuHasAvx2))
      throw std::invalid_argument("kernel '" + wanted + "' needs instructions this CPU does not have");
    gKernel.store(avx512 ? Kernel::kAvx512 : Kernel::kAvx2);
  } else if (wanted == "best") {
    gKernel.store(BestKernel());
  } else if (!wanted.empty()) {
    throw std::invalid_argument("kernel must be 'generic', 'avx2', 'avx512' or 'best', got '" + wanted + "'");
  }
  switch (gKernel.load()) {
    case Kernel::kAvx512: return "avx512";
    case Kernel::kAvx2: return "avx2";
    default: return "generic";
  }
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
  const int64_t seed = p > 0 ? DrawDropoutSeed() : 0;
  return FusedCausalAttention::apply(q, k, v, p, seed, SlopesOf(alibi));
}

}  // namespace nb
