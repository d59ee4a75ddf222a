// Neural-network building blocks: linear algebra, normalisation, dropout, embedding, the
// fused (bi)LSTM, scaled-dot-product attention that can return its weights, and losses.
#include <cmath>
#include <limits>
#include "tensor.h"

namespace nb {

static int64_t Reduction(Napi::Env env, const std::string& r) {
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  if (r == "none") return at::Reduction::None;
  throw Napi::TypeError::New(env, "reduction must be 'mean', 'sum' or 'none', got '" + r + "'");
}

// softmax(q kᵀ / √d + mask) v. mask: bool, true = may attend (as torch's F.scaled_dot_product_attention).
// Written out (not a fused kernel) because the weights are needed for interpretability and
// libtorch 1.13's CPU path computes exactly this sequence anyway.
static std::vector<at::Tensor> Attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                         const c10::optional<at::Tensor>& mask, double dropout,
                                         bool causal, bool training, bool needWeights) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  at::Tensor scores = at::matmul(q, k.transpose(-2, -1)).mul_(scale);
  if (causal) {
    const int64_t L = q.size(-2), S = k.size(-2);
    at::Tensor future = torch::ones({L, S}, at::TensorOptions().dtype(at::kBool).device(q.device())).triu(S - L + 1);
    scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  }
  if (mask) scores = scores.masked_fill(mask->logical_not(), -std::numeric_limits<double>::infinity());
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
  NB_EXPORT(exports, "dropout", { return Wrap(info.Env(), at::dropout(ArgTensor(info, 0), ArgDouble(info, 1), ArgBool(info, 2))); });
  NB_EXPORT(exports, "embedding", { return Wrap(info.Env(), at::embedding(ArgTensor(info, 0), ArgTensor(info, 1))); });
  NB_EXPORT(exports, "attention", {
    // (q, k, v, mask|null, dropout, causal, training, needWeights) → [out, weights|null]
    return WrapList(info.Env(), Attention(ArgTensor(info, 0), ArgTensor(info, 1), ArgTensor(info, 2), ArgOptTensor(info, 3),
                                          ArgDouble(info, 4), ArgBool(info, 5), ArgBool(info, 6), ArgBool(info, 7)));
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
