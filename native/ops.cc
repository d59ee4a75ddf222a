// Tensor operations: views, joins, indexing, element-wise math, comparisons, reductions,
// in-place initialisers. Thin: each line forwards to one libtorch call.
#include <cmath>
#include "tensor.h"

namespace nb {

// Binary ops come in pairs: `name` (tensor, tensor) and `nameScalar` (tensor, number);
// handles are numbers too, so the TS side picks the entry point, not a type test here.
static at::Scalar ArgScalar(const Napi::CallbackInfo& info, size_t i) {
  // Integer-valued JS numbers act like Python ints (int64 tensor + 3 stays int64).
  const double v = ArgDouble(info, i);
  const bool integral = std::floor(v) == v && std::abs(v) < 9.007199254740992e15;
  return integral ? at::Scalar(static_cast<int64_t>(v)) : at::Scalar(v);
}

#define NB_UNARY(name, expr) NB_EXPORT(exports, name, { at::Tensor& a = ArgTensor(info, 0); return Wrap(info.Env(), expr); })
#define NB_BINARY(name, op)                                                                    \
  NB_EXPORT(exports, name, { return Wrap(info.Env(), op(ArgTensor(info, 0), ArgTensor(info, 1))); }); \
  NB_EXPORT(exports, name "Scalar", { return Wrap(info.Env(), op(ArgTensor(info, 0), ArgScalar(info, 1))); })

static c10::optional<std::vector<int64_t>> OptDims(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsUndefined() || info[i].IsNull()) return c10::nullopt;
  return ArgShape(info, i);
}

void ExportOps(Napi::Env env, Napi::Object exports) {
  // ---- views and shape ----
  NB_EXPORT(exports, "reshape", { return Wrap(info.Env(), ArgTensor(info, 0).reshape(ArgShape(info, 1))); });
  NB_EXPORT(exports, "view", { return Wrap(info.Env(), ArgTensor(info, 0).view(ArgShape(info, 1))); });
  NB_EXPORT(exports, "permute", { return Wrap(info.Env(), ArgTensor(info, 0).permute(ArgShape(info, 1))); });
  NB_EXPORT(exports, "transpose", { return Wrap(info.Env(), ArgTensor(info, 0).transpose(ArgInt(info, 1), ArgInt(info, 2))); });
  NB_EXPORT(exports, "narrow", { return Wrap(info.Env(), ArgTensor(info, 0).narrow(ArgInt(info, 1), ArgInt(info, 2), ArgInt(info, 3))); });
  NB_EXPORT(exports, "slice", { return Wrap(info.Env(), ArgTensor(info, 0).slice(ArgInt(info, 1), ArgInt(info, 2), ArgInt(info, 3), ArgInt(info, 4))); });
  NB_EXPORT(exports, "select", { return Wrap(info.Env(), ArgTensor(info, 0).select(ArgInt(info, 1), ArgInt(info, 2))); });
  NB_EXPORT(exports, "squeeze", { return Wrap(info.Env(), ArgTensor(info, 0).squeeze(ArgInt(info, 1))); });
  NB_EXPORT(exports, "unsqueeze", { return Wrap(info.Env(), ArgTensor(info, 0).unsqueeze(ArgInt(info, 1))); });
  NB_EXPORT(exports, "expand", { return Wrap(info.Env(), ArgTensor(info, 0).expand(ArgShape(info, 1))); });
  NB_EXPORT(exports, "repeat", { return Wrap(info.Env(), ArgTensor(info, 0).repeat(ArgShape(info, 1))); });
  NB_EXPORT(exports, "flatten", { return Wrap(info.Env(), ArgTensor(info, 0).flatten(ArgInt(info, 1), ArgInt(info, 2))); });
  NB_EXPORT(exports, "contiguous", { return Wrap(info.Env(), ArgTensor(info, 0).contiguous()); });
  NB_EXPORT(exports, "clone", { return Wrap(info.Env(), ArgTensor(info, 0).clone()); });
  NB_EXPORT(exports, "toDtype", { return Wrap(info.Env(), ArgTensor(info, 0).to(ParseDtype(info.Env(), ArgString(info, 1)))); });
  NB_EXPORT(exports, "toDevice", { return Wrap(info.Env(), ArgTensor(info, 0).to(at::Device(ArgString(info, 1)))); });
  NB_EXPORT(exports, "tril", { return Wrap(info.Env(), ArgTensor(info, 0).tril(ArgInt(info, 1))); });
  NB_EXPORT(exports, "triu", { return Wrap(info.Env(), ArgTensor(info, 0).triu(ArgInt(info, 1))); });
  NB_EXPORT(exports, "flip", { return Wrap(info.Env(), ArgTensor(info, 0).flip(ArgShape(info, 1))); });

  // ---- joins and indexing ----
  NB_EXPORT(exports, "cat", { return Wrap(info.Env(), torch::cat(ArgTensorList(info, 0), ArgInt(info, 1))); });
  NB_EXPORT(exports, "stack", { return Wrap(info.Env(), torch::stack(ArgTensorList(info, 0), ArgInt(info, 1))); });
  NB_EXPORT(exports, "indexSelect", { return Wrap(info.Env(), ArgTensor(info, 0).index_select(ArgInt(info, 1), ArgTensor(info, 2))); });
  NB_EXPORT(exports, "gather", { return Wrap(info.Env(), ArgTensor(info, 0).gather(ArgInt(info, 1), ArgTensor(info, 2))); });
  NB_EXPORT(exports, "scatter", { return Wrap(info.Env(), ArgTensor(info, 0).scatter(ArgInt(info, 1), ArgTensor(info, 2), ArgTensor(info, 3))); });
  NB_EXPORT(exports, "where", { return Wrap(info.Env(), torch::where(ArgTensor(info, 0), ArgTensor(info, 1), ArgTensor(info, 2))); });
  NB_EXPORT(exports, "maskedFill", { return Wrap(info.Env(), ArgTensor(info, 0).masked_fill(ArgTensor(info, 1), ArgDouble(info, 2))); });

  // ---- element-wise ----
  NB_BINARY("add", at::add);
  NB_BINARY("sub", at::sub);
  NB_BINARY("mul", at::mul);
  NB_BINARY("div", at::div);
  NB_BINARY("pow", at::pow);
  NB_BINARY("eq", at::eq);
  NB_BINARY("ne", at::ne);
  NB_BINARY("lt", at::lt);
  NB_BINARY("le", at::le);
  NB_BINARY("gt", at::gt);
  NB_BINARY("ge", at::ge);
  NB_EXPORT(exports, "maximum", { return Wrap(info.Env(), at::maximum(ArgTensor(info, 0), ArgTensor(info, 1))); });
  NB_EXPORT(exports, "minimum", { return Wrap(info.Env(), at::minimum(ArgTensor(info, 0), ArgTensor(info, 1))); });
  NB_EXPORT(exports, "logicalAnd", { return Wrap(info.Env(), at::logical_and(ArgTensor(info, 0), ArgTensor(info, 1))); });
  NB_EXPORT(exports, "logicalOr", { return Wrap(info.Env(), at::logical_or(ArgTensor(info, 0), ArgTensor(info, 1))); });
  NB_UNARY("logicalNot", at::logical_not(a));
  NB_UNARY("neg", at::neg(a));
  NB_UNARY("abs", at::abs(a));
  NB_UNARY("sqrt", at::sqrt(a));
  NB_UNARY("rsqrt", at::rsqrt(a));
  NB_UNARY("exp", at::exp(a));
  NB_UNARY("log", at::log(a));
  NB_UNARY("log1p", at::log1p(a));
  NB_UNARY("sigmoid", at::sigmoid(a));
  NB_UNARY("logSigmoid", at::log_sigmoid(a));
  NB_UNARY("tanh", at::tanh(a));
  NB_UNARY("relu", at::relu(a));
  NB_UNARY("gelu", at::gelu(a));
  NB_UNARY("silu", at::silu(a));
  NB_UNARY("softplus", at::softplus(a));
  NB_UNARY("sign", at::sign(a));
  NB_UNARY("isnan", at::isnan(a));
  NB_EXPORT(exports, "clamp", {
    c10::optional<at::Scalar> lo, hi;
    if (info[1].IsNumber()) lo = ArgDouble(info, 1);
    if (info[2].IsNumber()) hi = ArgDouble(info, 2);
    return Wrap(info.Env(), at::clamp(ArgTensor(info, 0), lo, hi));
  });

  // ---- reductions ----
  NB_EXPORT(exports, "sum", {
    auto dims = OptDims(info, 1);
    at::Tensor& a = ArgTensor(info, 0);
    return Wrap(info.Env(), dims ? a.sum(*dims, ArgBool(info, 2)) : a.sum());
  });
  NB_EXPORT(exports, "mean", {
    auto dims = OptDims(info, 1);
    at::Tensor& a = ArgTensor(info, 0);
    return Wrap(info.Env(), dims ? a.mean(*dims, ArgBool(info, 2)) : a.mean());
  });
  NB_EXPORT(exports, "var", {
    auto dims = OptDims(info, 1);
    at::Tensor& a = ArgTensor(info, 0);
    int64_t correction = ArgInt(info, 3);
    return Wrap(info.Env(), at::var(a, dims ? at::OptionalIntArrayRef(*dims) : c10::nullopt, correction, ArgBool(info, 2)));
  });
  NB_EXPORT(exports, "maxDim", {
    auto r = ArgTensor(info, 0).max(ArgInt(info, 1), ArgBool(info, 2));
    return WrapList(info.Env(), {std::get<0>(r), std::get<1>(r)});
  });
  NB_EXPORT(exports, "minDim", {
    auto r = ArgTensor(info, 0).min(ArgInt(info, 1), ArgBool(info, 2));
    return WrapList(info.Env(), {std::get<0>(r), std::get<1>(r)});
  });
  NB_UNARY("maxAll", a.max());
  NB_UNARY("minAll", a.min());
  NB_EXPORT(exports, "argmax", { return Wrap(info.Env(), ArgTensor(info, 0).argmax(ArgInt(info, 1), ArgBool(info, 2))); });
  NB_EXPORT(exports, "logsumexp", { return Wrap(info.Env(), ArgTensor(info, 0).logsumexp(ArgShape(info, 1), ArgBool(info, 2))); });
  NB_EXPORT(exports, "norm", { return Wrap(info.Env(), ArgTensor(info, 0).norm()); });
  NB_EXPORT(exports, "cumsum", { return Wrap(info.Env(), ArgTensor(info, 0).cumsum(ArgInt(info, 1))); });
  NB_EXPORT(exports, "allclose", {
    return Napi::Boolean::New(info.Env(), at::allclose(ArgTensor(info, 0), ArgTensor(info, 1), ArgDouble(info, 2), ArgDouble(info, 3)));
  });

  // ---- in place (initialisation, loading, optimizer internals); never on graph leaves in use ----
  NB_EXPORT(exports, "uniform_", { at::NoGradGuard g; ArgTensor(info, 0).uniform_(ArgDouble(info, 1), ArgDouble(info, 2)); return info.Env().Undefined(); });
  NB_EXPORT(exports, "normal_", { at::NoGradGuard g; ArgTensor(info, 0).normal_(ArgDouble(info, 1), ArgDouble(info, 2)); return info.Env().Undefined(); });
  NB_EXPORT(exports, "fill_", { at::NoGradGuard g; ArgTensor(info, 0).fill_(ArgDouble(info, 1)); return info.Env().Undefined(); });
  NB_EXPORT(exports, "copy_", { at::NoGradGuard g; ArgTensor(info, 0).copy_(ArgTensor(info, 1)); return info.Env().Undefined(); });
}

}  // namespace nb
