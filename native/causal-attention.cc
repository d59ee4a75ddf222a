// Fused causal self-attention, forward and backward, for long spike contexts.
//
// Why hand-written: the libtorch this project builds against (Debian's 1.13) has no fused or
// memory-efficient attention on CPU. Its math path materialises the [B·H, L, L] scores, the
// softmax, the dropout mask and the dropped weights (about 600 MB each at L = 3125), walks
// all of them again in backward, computes the masked upper triangle it then throws away, and
// draws the dropout mask with a serial Bernoulli generator. Here each (batch·head) is done row
// by row over j ≤ i only: scores live in one L-long buffer, K and V are transposed once so the
// inner loops run over keys (vectorised), and backward recomputes the probabilities from the
// saved log-sum-exp, as FlashAttention does. Dropout uses a counter-based hash of (seed, head,
// row, key), so backward regenerates exactly the forward mask without storing it.
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
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

// s[j] ← exp(s[j] − shift) for j < n; returns the sum. The float version is a Cephes-style
// polynomial (about 2 ulp) that the compiler vectorises; std::exp would stay scalar without
// -ffast-math. Arguments are ≤ 0 here (scores minus their maximum or their log-sum-exp).
inline float ExpShiftSum(float* s, int64_t n, float shift) {
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < n; j++) {
    float x = std::max(s[j] - shift, -87.0f);
    // k = round(x / ln 2); for x ≤ 0 truncating x/ln2 − ½ rounds, and truncation vectorises
    // on every x86-64 (floor needs SSE4.1).
    const int32_t ki = static_cast<int32_t>(x * 1.44269504088896341f - 0.5f);
    const float k = static_cast<float>(ki);
    x = x - k * 0.693359375f + k * 2.12194440e-4f;
    float y = 1.9875691500e-4f;
    y = y * x + 1.3981999507e-3f;
    y = y * x + 8.3334519073e-3f;
    y = y * x + 4.1665795894e-2f;
    y = y * x + 1.6666665459e-1f;
    y = y * x + 5.0000001201e-1f;
    y = y * x * x + x + 1.0f;
    const int32_t bits = (ki + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    s[j] = y * scale;
    sum += s[j];
  }
  return sum;
}

inline double ExpShiftSum(double* s, int64_t n, double shift) {
  double sum = 0;
  for (int64_t j = 0; j < n; j++) sum += (s[j] = std::exp(s[j] - shift));
  return sum;
}

// [L, d] row-major → [d, L].
template <typename T>
void Transpose(const T* x, int64_t L, int64_t d, T* out) {
  for (int64_t i = 0; i < L; i++)
    for (int64_t c = 0; c < d; c++) out[c * L + i] = x[i * d + c];
}

// s[j] = scale · q·k_j for j < n, with kT = Kᵀ [d, L].
template <typename T>
void Scores(const T* q, const T* kT, int64_t L, int64_t d, int64_t n, T scale, T* s) {
  std::fill(s, s + n, T(0));
  for (int64_t c = 0; c < d; c++) {
    const T qc = q[c] * scale;
    const T* kc = kT + c * L;
#pragma omp simd
    for (int64_t j = 0; j < n; j++) s[j] += qc * kc[j];
  }
}

template <typename T>
T Dot(const T* a, const T* b, int64_t n) {
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < n; j++) sum += a[j] * b[j];
  return sum;
}

// Multiplies w[j] by the dropout factor (0 or 1/(1−p)) of key j in this row.
template <typename T>
void ApplyDropout(const Dropout& drop, uint32_t rowKey, int64_t n, T* w) {
  const T keepScale = static_cast<T>(drop.keepScale);
  const uint32_t threshold = drop.threshold;
#pragma omp simd
  for (int64_t j = 0; j < n; j++) w[j] = Dropout::Keep(rowKey, j, threshold) ? w[j] * keepScale : T(0);
}

template <typename T>
void ForwardHead(const T* Q, const T* K, const T* V, int64_t L, int64_t d, T scale, const Dropout& drop,
                 int64_t head, T* O, T* lse) {
  std::vector<T> kT(d * L), vT(d * L), s(L);
  Transpose(K, L, d, kT.data());
  Transpose(V, L, d, vT.data());
  for (int64_t i = 0; i < L; i++) {
    const int64_t n = i + 1;  // causal: keys 0..i
    Scores(Q + i * d, kT.data(), L, d, n, scale, s.data());
    T m = s[0];
#pragma omp simd reduction(max : m)
    for (int64_t j = 0; j < n; j++) m = std::max(m, s[j]);
    const T sum = ExpShiftSum(s.data(), n, m);
    lse[i] = m + std::log(sum);
    const T inv = T(1) / sum;
#pragma omp simd
    for (int64_t j = 0; j < n; j++) s[j] *= inv;
    if (drop.on) ApplyDropout(drop, drop.RowKey(head, i), n, s.data());
    for (int64_t c = 0; c < d; c++) O[i * d + c] = Dot(s.data(), vT.data() + c * L, n);
  }
}

// Gradients of one head. With P the softmax row, a_j the dropout factor and W = P∘a:
// dV += Wᵀ dO; dW = dO Vᵀ; dP = dW∘a; dS = P∘(dP − rowsum(dO∘O)); dQ = scale·dS K;
// dK += scale·dSᵀ Q. rowsum(P∘dP) = rowsum(dO∘O) holds with dropout too, since O = W V.
template <typename T>
void BackwardHead(const T* Q, const T* K, const T* V, const T* O, const T* dO, const T* lse, int64_t L,
                  int64_t d, T scale, const Dropout& drop, int64_t head, T* dQ, T* dK, T* dV) {
  std::vector<T> kT(d * L), vT(d * L), dkT(d * L, T(0)), dvT(d * L, T(0)), p(L), g(L), w(L);
  Transpose(K, L, d, kT.data());
  Transpose(V, L, d, vT.data());
  for (int64_t i = 0; i < L; i++) {
    const int64_t n = i + 1;
    const T* q = Q + i * d;
    const T* dOi = dO + i * d;
    Scores(q, kT.data(), L, d, n, scale, p.data());
    ExpShiftSum(p.data(), n, lse[i]);
    T rowDot = 0;
    for (int64_t c = 0; c < d; c++) rowDot += dOi[c] * O[i * d + c];
    // g = dW_j = dO_i · v_j
    std::fill(g.begin(), g.begin() + n, T(0));
    for (int64_t c = 0; c < d; c++) {
      const T doc = dOi[c];
      const T* vc = vT.data() + c * L;
#pragma omp simd
      for (int64_t j = 0; j < n; j++) g[j] += doc * vc[j];
    }
    std::copy(p.begin(), p.begin() + n, w.begin());
    if (drop.on) {
      const uint32_t rowKey = drop.RowKey(head, i);
      ApplyDropout(drop, rowKey, n, w.data());
      ApplyDropout(drop, rowKey, n, g.data());
    }
    for (int64_t c = 0; c < d; c++) {
      const T doc = dOi[c];
      T* dvc = dvT.data() + c * L;
#pragma omp simd
      for (int64_t j = 0; j < n; j++) dvc[j] += w[j] * doc;
    }
#pragma omp simd
    for (int64_t j = 0; j < n; j++) g[j] = p[j] * (g[j] - rowDot);  // dS (without scale)
    for (int64_t c = 0; c < d; c++) {
      dQ[i * d + c] = scale * Dot(g.data(), kT.data() + c * L, n);
      const T qc = scale * q[c];
      T* dkc = dkT.data() + c * L;
#pragma omp simd
      for (int64_t j = 0; j < n; j++) dkc[j] += qc * g[j];
    }
  }
  Transpose(dkT.data(), d, L, dK);
  Transpose(dvT.data(), d, L, dV);
}

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

// Views q, k, v [..., L, d] as [N, L, d] contiguous.
at::Tensor Heads(const at::Tensor& x) { return x.contiguous().view({-1, x.size(-2), x.size(-1)}); }

class FusedCausalAttention : public torch::autograd::Function<FusedCausalAttention> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& q, const at::Tensor& k,
                            const at::Tensor& v, double dropout, int64_t seed) {
    const at::Tensor q3 = Heads(q), k3 = Heads(k), v3 = Heads(v);
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
        for (int64_t h = begin; h < end; h++)
          ForwardHead(Q + h * L * d, K + h * L * d, V + h * L * d, L, d, scale, drop, h, O + h * L * d, LSE + h * L);
      });
    });
    ctx->save_for_backward({q3, k3, v3, out, lse});
    ctx->saved_data["dropout"] = dropout;
    ctx->saved_data["seed"] = seed;
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
    AT_DISPATCH_FLOATING_TYPES(q3.scalar_type(), "fusedCausalAttentionBackward", [&] {
      const auto scale = static_cast<scalar_t>(1.0 / std::sqrt(static_cast<double>(d)));
      const scalar_t *Q = q3.data_ptr<scalar_t>(), *K = k3.data_ptr<scalar_t>(), *V = v3.data_ptr<scalar_t>();
      const scalar_t *O = out.data_ptr<scalar_t>(), *G = dO.data_ptr<scalar_t>();
      const scalar_t* LSE = lse.data_ptr<scalar_t>();
      scalar_t *DQ = dq.data_ptr<scalar_t>(), *DK = dk.data_ptr<scalar_t>(), *DV = dv.data_ptr<scalar_t>();
      at::parallel_for(0, N, 1, [&](int64_t begin, int64_t end) {
        for (int64_t h = begin; h < end; h++) {
          const int64_t o = h * L * d;
          BackwardHead(Q + o, K + o, V + o, O + o, G + o, LSE + h * L, L, d, scale, drop, h, DQ + o, DK + o, DV + o);
        }
      });
    });
    const auto shape = grads[0].sizes();
    return {dq.view(shape), dk.view(shape), dv.view(shape), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

bool FusedCausalAttentionApplies(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  return q.device().is_cpu() && (q.scalar_type() == at::kFloat || q.scalar_type() == at::kDouble) &&
         q.scalar_type() == k.scalar_type() && q.scalar_type() == v.scalar_type() && q.dim() >= 2 &&
         q.sizes() == k.sizes() && q.sizes() == v.sizes() && q.size(-2) > 0;
}

at::Tensor FusedCausalAttentionForward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double dropout,
                                       bool training) {
  const double p = training ? dropout : 0.0;
  int64_t seed = 0;
  if (p > 0) {
    // Drawn from libtorch's default generator, so torch::manual_seed makes runs repeatable.
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    seed = static_cast<int64_t>(at::check_generator<at::CPUGeneratorImpl>(gen)->random64() >> 1);
  }
  return FusedCausalAttention::apply(q, k, v, p, seed);
}

}  // namespace nb
