// Optimizer arithmetic. The state (first/second moments) lives in tensors the TypeScript
// side owns, so it is saved in checkpoints and a resumed run continues bit-identically;
// only the per-step arithmetic is here, in one call per step instead of ~10 per parameter.
#include "tensor.h"

namespace nb {

void ExportOptim(Napi::Env env, Napi::Object exports) {
  NB_EXPORT(exports, "adamStep", {
    // (params[], expAvg[], expAvgSq[], step, lr, beta1, beta2, eps, weightDecay, decoupled)
    auto params = ArgTensorList(info, 0);
    auto m = ArgTensorList(info, 1);
    auto v = ArgTensorList(info, 2);
    const double step = ArgDouble(info, 3), lr = ArgDouble(info, 4), b1 = ArgDouble(info, 5), b2 = ArgDouble(info, 6);
    const double eps = ArgDouble(info, 7), wd = ArgDouble(info, 8);
    const bool decoupled = ArgBool(info, 9);
    at::NoGradGuard noGrad;
    const double bias1 = 1 - std::pow(b1, step), bias2 = 1 - std::pow(b2, step);
    for (size_t i = 0; i < params.size(); i++) {
      at::Tensor& p = params[i];
      if (!p.grad().defined()) continue;
      at::Tensor g = p.grad();
      if (wd != 0) {
        if (decoupled) p.mul_(1 - lr * wd);  // AdamW (Loshchilov & Hutter)
        else g = g.add(p, wd);                // Adam's L2 penalty
      }
      m[i].mul_(b1).add_(g, 1 - b1);
      v[i].mul_(b2).addcmul_(g, g, 1 - b2);
      at::Tensor denom = (v[i].sqrt() / std::sqrt(bias2)).add_(eps);
      p.addcdiv_(m[i], denom, -lr / bias1);
    }
    return info.Env().Undefined();
  });
  NB_EXPORT(exports, "clipGradNorm", {
    // (params[], maxNorm) → total norm before clipping (L2 over all gradients)
    auto params = ArgTensorList(info, 0);
    const double maxNorm = ArgDouble(info, 1);
    at::NoGradGuard noGrad;
    std::vector<at::Tensor> norms;
    for (auto& p : params)
      if (p.grad().defined()) norms.push_back(p.grad().norm(2).to(at::kDouble));
    if (norms.empty()) return Napi::Number::New(info.Env(), 0);
    const double total = torch::stack(norms).norm(2).item<double>();
    const double coef = maxNorm / (total + 1e-6);
    if (coef < 1)
      for (auto& p : params)
        if (p.grad().defined()) p.mutable_grad().mul_(coef);
    return Napi::Number::New(info.Env(), total);
  });
}

}  // namespace nb
