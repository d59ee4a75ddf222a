// Shared helpers of the addon: the JS wrapper around at::Tensor and argument conversion.
// Every exported function goes through Guard so that libtorch errors (shape mismatch,
// wrong dtype, ...) become JS exceptions with libtorch's message instead of aborting Node.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

namespace nb {

// Tensors live in a per-addon-instance table; JS holds a number: slot + generation·2^26.
// Disposal frees the slot at once (no deferred N-API finalizer, which Node only runs when
// the event loop turns, so a synchronous training loop would accumulate them), and the
// generation makes a stale handle fail loudly instead of reaching a reused slot.
struct Slot {
  at::Tensor tensor;
  uint32_t generation = 0;
  int64_t reportedBytes = 0;
  bool live = false;
};

struct InstanceData {
  std::vector<Slot> slots;
  std::vector<uint32_t> freeSlots;
  size_t liveCount = 0;
};

constexpr double kGenerationStride = 67108864.0;  // 2^26 slots

// A new JS handle owning `t`.
Napi::Value Wrap(Napi::Env env, const at::Tensor& t);
// The JS value at info[i] as a live tensor; throws a clear error if disposed or not a tensor.
at::Tensor& ArgTensor(const Napi::CallbackInfo& info, size_t i);
// Undefined/null → std::nullopt.
c10::optional<at::Tensor> ArgOptTensor(const Napi::CallbackInfo& info, size_t i);
std::vector<at::Tensor> ArgTensorList(const Napi::CallbackInfo& info, size_t i);
std::vector<int64_t> ArgShape(const Napi::CallbackInfo& info, size_t i);
int64_t ArgInt(const Napi::CallbackInfo& info, size_t i);
double ArgDouble(const Napi::CallbackInfo& info, size_t i);
bool ArgBool(const Napi::CallbackInfo& info, size_t i);
std::string ArgString(const Napi::CallbackInfo& info, size_t i);
at::ScalarType ParseDtype(Napi::Env env, const std::string& name);
std::string DtypeName(at::ScalarType t);
at::TensorOptions ArgOptions(const Napi::CallbackInfo& info, size_t dtypeIndex, size_t deviceIndex);
Napi::Array WrapList(Napi::Env env, const std::vector<at::Tensor>& ts);

// Runs body, translating C++ exceptions into JS errors.
Napi::Value Guard(const Napi::CallbackInfo& info, const std::function<Napi::Value()>& body);

using Exporter = void (*)(Napi::Env, Napi::Object);
void Release(Napi::Env env, double handle);
void ExportTensor(Napi::Env env, Napi::Object exports);
void ExportOps(Napi::Env env, Napi::Object exports);
void ExportNN(Napi::Env env, Napi::Object exports);
void ExportOptim(Napi::Env env, Napi::Object exports);

#define NB_EXPORT(exports, name, ...) \
  exports.Set(name, Napi::Function::New(env, [](const Napi::CallbackInfo& info) { \
    return Guard(info, [&]() -> Napi::Value { __VA_ARGS__ }); }, name))

}  // namespace nb
