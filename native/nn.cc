// Neural-network building blocks: linear algebra, normalisation, dropout, embedding, the
// fused (bi)LSTM, scaled-dot-product attention that can return its weights, and losses.
#include <atomic>
#include <cmath>
#include <limits>
#include <torch/version.h>
#include "causal-attention.h"
#include "hash-dropout.h"
#include "tensor.h"

namespace nb {

static int64_t Reduction(Napi::Env env, const std::string& r) {
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  if (r == "none") return at::Reduction::None;
  throw Napi::TypeError::New(env, "reduction must be 'mean', 'sum' or 'none', got '" + r + "'");
}

// Causal self-attention without weights requested goes to the fused kernel (causal-attention.cc)
// unless it is switched off (setFusedAttention(false): comparisons and benchmarks).
static std::atomic<bool> gFusedAttention{true};

// softmax(q kᵀ / √d + mask) v. mask: bool, true = may attend (as torch's F.scaled_dot_product_attention).
// The math path below is written out because the weights are needed for interpretability.
// As in torch's own math path, q is scaled before the product (a small tensor, not the L×S
// scores) and a causal or 2-D mask is added inside the GEMM (baddbmm) instead of in extra
// passes over the scores: on long contexts those passes dominated the cost.
// alibi: per-head slopes m_h [H] (q [..., H, L, d]); head h's score of key j from query i gets
// −m_h·(i − j), the queries being the last L of the S key positions (as the causal mask has it).
static std::vector<at::Tensor> Attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                         const c10::optional<at::Tensor>& mask, double dropout,
                                         bool causal, bool training, bool needWeights,
                                         const c10::optional<at::Tensor>& alibi) {
  if (alibi && (q.dim() < 3 || alibi->dim() != 1 || alibi->size(0) != q.size(-3)))
    throw std::invalid_argument("attention: alibi needs one slope per head, for q of shape [..., heads, L, d]");
  if (causal && !mask && !needWeights && gFusedAttention.load() && FusedCausalAttentionApplies(q, k, v))
    return {FusedCausalAttentionForward(q, k, v, dropout, training, alibi), at::Tensor()};
#if TORCH_VERSION_MAJOR >= 2
  // On CUDA, LibTorch 2.x's scaled_dot_product_attention picks its fused kernels (flash or
  // memory-efficient) when no weights are needed. It takes a mask or is_causal, not both.
  // LibTorch 1.13 (Debian's) has no such function: CUDA then runs the math path below.
  if (!needWeights && q.is_cuda() && !(causal && mask) && !alibi)
    return {at::scaled_dot_product_attention(q, k, v, causal ? c10::optional<at::Tensor>() : mask,
                                             training ? dropout : 0.0, causal),
            at::Tensor()};
#endif
  const int64_t L = q.size(-2), S = k.size(-2), d = q.size(-1);
  const double minusInf = -std::numeric_limits<double>::infinity();
  const bool smallMask = mask && mask->dim() <= 2;
  at::Tensor additive;  // [L, S], 0 where attention is allowed, -inf elsewhere
  if (causal || smallMask) {
    additive = torch::zeros({L, S}, q.options());
    if (causal) {
      at::Tensor future = torch::ones({L, S}, q.options().dtype(at::kBool)).triu(S - L + 1);
      additive.masked_fill_(future, minusInf);
    }
    if (smallMask) additive.masked_fill_(mask->logical_not().expand({L, S}), minusInf);
  }
  std::vector<int64_t> scoreShape(q.sizes().begin(), q.sizes().end());
  scoreShape.back() = S;
  at::Tensor q3 = q.mul(1.0 / std::sqrt(static_cast<double>(d))).reshape({-1, L, d});
  at::Tensor kT = k.reshape({-1, S, d}).transpose(1, 2);
  // A batched mask (e.g. key padding [B, 1, 1, S]) also goes into the GEMM's input, as a
  // small additive tensor broadcast over the query rows, rather than a masked_fill pass
  // (and its backward) over the full scores.
  at::Tensor input;
  if (mask && !smallMask) {
    at::Tensor blocked = mask->logical_not();
    at::Tensor add = torch::zeros(blocked.sizes(), q.options()).masked_fill_(blocked, minusInf);
    if (additive.defined()) add = add + additive;
    std::vector<int64_t> shape(q.sizes().begin(), q.sizes().end() - 2);
    shape.push_back(add.size(-2));
    shape.push_back(S);
    input = add.expand(shape).reshape({-1, add.size(-2), S});
  } else if (additive.defined()) {
    input = additive.unsqueeze(0);
  }
  if (alibi) {
    // [H, L, S]: m_h·(j − i) with i the query's key position S − L + row.
    const at::Tensor distance = torch::arange(S, q.options()).view({1, 1, S}) -
                                torch::arange(S - L, S, q.options()).view({1, L, 1});
    std::vector<int64_t> shape(q.sizes().begin(), q.sizes().end() - 2);
    shape.push_back(L);
    shape.push_back(S);
    at::Tensor bias = (alibi->to(q.options()).view({-1, 1, 1}) * distance).expand(shape).reshape({-1, L, S});
    input = input.defined() ? input + bias : bias;
  }
  at::Tensor scores = (input.defined() ? at::baddbmm(input, q3, kT) : at::bmm(q3, kT)).view(scoreShape);
  at::Tensor weights = at::softmax(scores, -1);
  at::Tensor dropped = (training && dropout > 0) ? at::dropout(weights, dropout, true) : weights;
  at::Tensor out = at::matmul(dropped, v);
  return {out, needWeights ? weights : at::Tensor()};
}

void ExportNN(Napi::Env env, Napi::Object exports) {
  NB_EXPORT(exports, "matmul", { return Wrap(info.Env(), at::matmul(ArgTensor(info, 0), ArgTensor(info, 1))); });
  NB_EXPORT(exports, "linear", { return Wrap(info.Env(), at::linear(ArgTensor(info, 0), ArgTensor(info, 1), ArgOptTensor(info, 2))); });
  NB_EXPORT(exports, "softmax", { return Wrap(info.Env(), at::softmax(ArgTensor(info, 0), ArgInt(info, 1))); });
  NB_EXPORT(exports, "logSoftmax", { return Wrap(info.Env(), at::log_softmax(ArgTensor(info, 0), ArgInt(info, 1))); });
  NB_EXPORT(exports, "layerNorm", {
    return Wrap(info.Env(), at::layer_norm(ArgTensor(info, 0), ArgShape(info, 1), ArgOptTensor(info, 2), ArgOptTensor(info, 3), ArgDouble(info, 4)));
  });
  NB_EXPORT(exports, "dropout", { return Wrap(info.Env(), HashDropout(ArgTensor(info, 0), ArgDouble(info, 1), ArgBool(info, 2))); });
  NB_EXPORT(exports, "embedding", { return Wrap(info.Env(), at::embedding(ArgTensor(info, 0), ArgTensor(info, 1))); });
  NB_EXPORT(exports, "attention", {
    // (q, k, v, mask|null, dropout, causal, training, needWeights, alibi|null) → [out, weights|null]
    return WrapList(info.Env(), Attention(ArgTensor(info, 0), ArgTensor(info, 1), ArgTensor(info, 2), ArgOptTensor(info, 3),
                                          ArgDouble(info, 4), ArgBool(info, 5), ArgBool(info, 6), ArgBool(info, 7),
                                          ArgOptTensor(info, 8)));
  });
  NB_EXPORT(exports, "setFusedAttention", {
    gFusedAttention.store(ArgBool(info, 0));
    return info.Env().Undefined();
  });
  NB_EXPORT(exports, "fusedAttention", { return Napi::Boolean::New(info.Env(), gFusedAttention.load()); });
  NB_EXPORT(exports, "fusedAttentionKernel", {
    // ("generic" | "avx2" | "avx512" | "best" | "") → the kernel now in use
    return Napi::String::New(info.Env(), FusedCausalAttentionKernel(ArgString(info, 0)));
  });
  NB_EXPORT(exports, "lstm", {
    // (input, h0, c0, params[], hasBiases, numLayers, dropout, training, bidirectional, batchFirst) → [out, hN, cN]
    // params in PyTorch's order: per layer, per direction: w_ih, w_hh, b_ih, b_hh.
    auto r = at::lstm(ArgTensor(info, 0), {ArgTensor(info, 1), ArgTensor(info, 2)}, ArgTensorList(info, 3), ArgBool(info, 4),
                      ArgInt(info, 5), ArgDouble(info, 6), ArgBool(info, 7), ArgBool(info, 8), ArgBool(info, 9));
    return WrapList(info.Env(), {std::get<0>(r), std::get<1>(r), std::get<2>(r)});
  });

  // ---- losses ----
  NB_EXPORT(exports, "bceWithLogits", {
    // (logits, target, weight|null, posWeight|null, reduction)
    return Wrap(info.Env(), at::binary_cross_entropy_with_logits(ArgTensor(info, 0), ArgTensor(info, 1), ArgOptTensor(info, 2),
                                                                 ArgOptTensor(info, 3), Reduction(info.Env(), ArgString(info, 4))));
  });
  NB_EXPORT(exports, "crossEntropy", {
    // (logits [N, C], target int64 [N], weight|null, reduction, ignoreIndex, labelSmoothing)
    return Wrap(info.Env(), at::cross_entropy_loss(ArgTensor(info, 0), ArgTensor(info, 1), ArgOptTensor(info, 2),
                                                   Reduction(info.Env(), ArgString(info, 3)), ArgInt(info, 4), ArgDouble(info, 5)));
  });
  NB_EXPORT(exports, "mseLoss", { return Wrap(info.Env(), at::mse_loss(ArgTensor(info, 0), ArgTensor(info, 1), Reduction(info.Env(), ArgString(info, 2)))); });
}

}  // namespace nb
