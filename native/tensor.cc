// The tensor handle, argument conversion, creation/conversion to typed arrays, properties,
// explicit disposal, autograd entry points and process-wide settings.
#include <torch/csrc/autograd/autograd.h>
#include <cmath>
#include <cstring>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include "tensor.h"

namespace nb {

Napi::Value Wrap(Napi::Env env, const at::Tensor& t) {
  auto* data = env.GetInstanceData<InstanceData>();
  uint32_t index;
  if (!data->freeSlots.empty()) {
    index = data->freeSlots.back();
    data->freeSlots.pop_back();
  } else {
    if (data->slots.size() >= static_cast<size_t>(kGenerationStride))
      throw Napi::Error::New(env, "too many live tensors (2^26): dispose tensors or use tidy()");
    index = static_cast<uint32_t>(data->slots.size());
    data->slots.emplace_back();
  }
  Slot& s = data->slots[index];
  s.tensor = t;
  s.live = true;
  data->liveCount++;
  // Announce storage-owning CPU tensors to V8 so that forgotten handles create GC pressure.
  s.reportedBytes = (t.defined() && !t.is_view() && t.device().is_cpu()) ? static_cast<int64_t>(t.numel() * t.element_size()) : 0;
  if (s.reportedBytes) Napi::MemoryManagement::AdjustExternalMemory(env, s.reportedBytes);
  return Napi::Number::New(env, index + s.generation * kGenerationStride);
}

static Slot* Lookup(Napi::Env env, double handle) {
  auto* data = env.GetInstanceData<InstanceData>();
  const auto index = static_cast<uint64_t>(std::fmod(handle, kGenerationStride));
  const auto generation = static_cast<uint32_t>(handle / kGenerationStride);
  if (index >= data->slots.size()) return nullptr;
  Slot& s = data->slots[index];
  return (s.live && s.generation == generation) ? &s : nullptr;
}

void Release(Napi::Env env, double handle) {
  Slot* s = Lookup(env, handle);
  if (!s) return;  // already disposed: harmless
  auto* data = env.GetInstanceData<InstanceData>();
  s->tensor = at::Tensor();
  s->live = false;
  s->generation++;
  if (s->reportedBytes) Napi::MemoryManagement::AdjustExternalMemory(env, -s->reportedBytes);
  s->reportedBytes = 0;
  data->liveCount--;
  data->freeSlots.push_back(static_cast<uint32_t>(s - data->slots.data()));
}

static at::Tensor& Unwrap(Napi::Env env, Napi::Value v, const std::string& what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, what + " is not a tensor");
  Slot* s = Lookup(env, v.As<Napi::Number>().DoubleValue());
  if (!s) throw Napi::Error::New(env, "tensor used after dispose()");
  return s->tensor;
}

at::Tensor& ArgTensor(const Napi::CallbackInfo& info, size_t i) {
  return Unwrap(info.Env(), info[i], "argument " + std::to_string(i));
}

c10::optional<at::Tensor> ArgOptTensor(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsUndefined() || info[i].IsNull()) return c10::nullopt;
  return ArgTensor(info, i);
}

std::vector<at::Tensor> ArgTensorList(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsArray()) throw Napi::TypeError::New(info.Env(), "expected an array of tensors");
  Napi::Array arr = info[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) {
    out.push_back(Unwrap(info.Env(), arr.Get(k), "element " + std::to_string(k)));
  }
  return out;
}

std::vector<int64_t> ArgShape(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsArray()) throw Napi::TypeError::New(info.Env(), "expected an array of integers");
  Napi::Array arr = info[i].As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) out[k] = arr.Get(k).As<Napi::Number>().Int64Value();
  return out;
}

int64_t ArgInt(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "expected an integer");
  return info[i].As<Napi::Number>().Int64Value();
}
double ArgDouble(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "expected a number");
  return info[i].As<Napi::Number>().DoubleValue();
}
bool ArgBool(const Napi::CallbackInfo& info, size_t i) { return info[i].ToBoolean().Value(); }
std::string ArgString(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsString()) throw Napi::TypeError::New(info.Env(), "expected a string");
  return info[i].As<Napi::String>().Utf8Value();
}

at::ScalarType ParseDtype(Napi::Env env, const std::string& name) {
  if (name == "float32") return at::kFloat;
  if (name == "float64") return at::kDouble;
  if (name == "int64") return at::kLong;
  if (name == "int32") return at::kInt;
  if (name == "uint8") return at::kByte;
  if (name == "bool") return at::kBool;
  throw Napi::TypeError::New(env, "unknown dtype '" + name + "' (float32, float64, int64, int32, uint8, bool)");
}

std::string DtypeName(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kLong: return "int64";
    case at::kInt: return "int32";
    case at::kByte: return "uint8";
    case at::kBool: return "bool";
    default: return std::string(c10::toString(t));
  }
}

at::TensorOptions ArgOptions(const Napi::CallbackInfo& info, size_t dtypeIndex, size_t deviceIndex) {
  auto opts = at::TensorOptions().dtype(ParseDtype(info.Env(), ArgString(info, dtypeIndex)));
  if (deviceIndex < info.Length() && info[deviceIndex].IsString())
    opts = opts.device(at::Device(ArgString(info, deviceIndex)));
  return opts;
}

Napi::Array WrapList(Napi::Env env, const std::vector<at::Tensor>& ts) {
  Napi::Array arr = Napi::Array::New(env, ts.size());
  for (size_t k = 0; k < ts.size(); k++)
    arr.Set(static_cast<uint32_t>(k), ts[k].defined() ? Napi::Value(Wrap(env, ts[k])) : env.Null());
  return arr;
}

Napi::Value Guard(const Napi::CallbackInfo& info, const std::function<Napi::Value()>& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// ---- creation and conversion ----------------------------------------------------------

static Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  // (typedArray, shape, dtype[, device]) → a tensor owning a copy of the data.
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "fromBuffer: expected a typed array");
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  auto shape = ArgShape(info, 1);
  auto dtype = ParseDtype(env, ArgString(info, 2));
  int64_t numel = 1;
  for (auto d : shape) numel *= d;
  size_t elementSize = c10::elementSize(dtype);
  if (static_cast<size_t>(ta.ByteLength()) != static_cast<size_t>(numel) * elementSize)
    throw Napi::RangeError::New(env, "fromBuffer: " + std::to_string(ta.ByteLength()) +
                                         " bytes do not fill shape of " + std::to_string(numel) +
                                         " " + DtypeName(dtype) + " elements");
  auto* base = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  at::Tensor t = torch::empty(shape, at::TensorOptions().dtype(dtype));
  if (numel) std::memcpy(t.data_ptr(), base, ta.ByteLength());
  if (info.Length() > 3 && info[3].IsString()) t = t.to(at::Device(ArgString(info, 3)));
  return Wrap(env, t);
}

static Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
  at::Tensor t = ArgTensor(info, 0).detach().to(at::kCPU).contiguous();
  size_t bytes = t.numel() * t.element_size();
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(info.Env(), bytes);
  if (bytes) std::memcpy(buf.Data(), t.data_ptr(), bytes);
  return buf;
}

static Napi::Value Item(const Napi::CallbackInfo& info) {
  at::Tensor& t = ArgTensor(info, 0);
  if (t.numel() != 1) throw Napi::RangeError::New(info.Env(), "item(): tensor has " + std::to_string(t.numel()) + " elements, expected 1");
  return Napi::Number::New(info.Env(), t.item<double>());
}

static Napi::Value Info(const Napi::CallbackInfo& info) {
  // Everything the TS side caches about a tensor, in one call.
  Napi::Env env = info.Env();
  at::Tensor& t = ArgTensor(info, 0);
  Napi::Object o = Napi::Object::New(env);
  Napi::Array shape = Napi::Array::New(env, t.dim());
  for (int64_t d = 0; d < t.dim(); d++) shape.Set(static_cast<uint32_t>(d), Napi::Number::New(env, static_cast<double>(t.size(d))));
  o.Set("shape", shape);
  o.Set("dtype", DtypeName(t.scalar_type()));
  o.Set("device", t.device().str());
  return o;
}

void ExportTensor(Napi::Env env, Napi::Object exports) {

  exports.Set("fromBuffer", Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return Guard(info, [&] { return FromBuffer(info); }); }));
  exports.Set("toBuffer", Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return Guard(info, [&] { return ToBuffer(info); }); }));
  exports.Set("item", Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return Guard(info, [&] { return Item(info); }); }));
  exports.Set("info", Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return Guard(info, [&] { return Info(info); }); }));

  NB_EXPORT(exports, "dispose", { Release(info.Env(), ArgDouble(info, 0)); return info.Env().Undefined(); });
  NB_EXPORT(exports, "isDisposed", { return Napi::Boolean::New(info.Env(), Lookup(info.Env(), ArgDouble(info, 0)) == nullptr); });
  NB_EXPORT(exports, "liveTensors", { return Napi::Number::New(info.Env(), static_cast<double>(info.Env().GetInstanceData<InstanceData>()->liveCount)); });
  NB_EXPORT(exports, "zeros", { return Wrap(info.Env(), torch::zeros(ArgShape(info, 0), ArgOptions(info, 1, 2))); });
  NB_EXPORT(exports, "ones", { return Wrap(info.Env(), torch::ones(ArgShape(info, 0), ArgOptions(info, 1, 2))); });
  NB_EXPORT(exports, "full", { return Wrap(info.Env(), torch::full(ArgShape(info, 0), ArgDouble(info, 1), ArgOptions(info, 2, 3))); });
  NB_EXPORT(exports, "rand", { return Wrap(info.Env(), torch::rand(ArgShape(info, 0), ArgOptions(info, 1, 2))); });
  NB_EXPORT(exports, "randn", { return Wrap(info.Env(), torch::randn(ArgShape(info, 0), ArgOptions(info, 1, 2))); });
  NB_EXPORT(exports, "arange", { return Wrap(info.Env(), torch::arange(ArgDouble(info, 0), ArgDouble(info, 1), ArgDouble(info, 2), ArgOptions(info, 3, 4))); });
  NB_EXPORT(exports, "eye", { return Wrap(info.Env(), torch::eye(ArgInt(info, 0), ArgOptions(info, 1, 2))); });
  NB_EXPORT(exports, "randperm", { return Wrap(info.Env(), torch::randperm(ArgInt(info, 0), at::TensorOptions().dtype(at::kLong))); });

  // ---- autograd ----
  NB_EXPORT(exports, "setRequiresGrad", { ArgTensor(info, 0).requires_grad_(ArgBool(info, 1)); return info.Env().Undefined(); });
  NB_EXPORT(exports, "requiresGrad", { return Napi::Boolean::New(info.Env(), ArgTensor(info, 0).requires_grad()); });
  NB_EXPORT(exports, "backward", {
    auto g = ArgOptTensor(info, 1);
    ArgTensor(info, 0).backward(g.has_value() ? *g : at::Tensor(), info.Length() > 2 && ArgBool(info, 2));
    return info.Env().Undefined();
  });
  NB_EXPORT(exports, "grad", {
    const at::Tensor& g = ArgTensor(info, 0).grad();
    return g.defined() ? Napi::Value(Wrap(info.Env(), g)) : info.Env().Null();
  });
  NB_EXPORT(exports, "clearGrad", { ArgTensor(info, 0).mutable_grad() = at::Tensor(); return info.Env().Undefined(); });
  NB_EXPORT(exports, "detach", { return Wrap(info.Env(), ArgTensor(info, 0).detach()); });
  NB_EXPORT(exports, "autogradGrad", {
    // (outputs[], inputs[], gradOutputs[]|null, retainGraph, createGraph, allowUnused)
    auto outputs = ArgTensorList(info, 0);
    auto inputs = ArgTensorList(info, 1);
    std::vector<at::Tensor> gradOutputs;
    if (info[2].IsArray()) gradOutputs = ArgTensorList(info, 2);
    auto grads = torch::autograd::grad(outputs, inputs, gradOutputs, ArgBool(info, 3), ArgBool(info, 4), ArgBool(info, 5));
    return WrapList(info.Env(), grads);
  });
  NB_EXPORT(exports, "setGradEnabled", { at::GradMode::set_enabled(ArgBool(info, 0)); return info.Env().Undefined(); });
  NB_EXPORT(exports, "isGradEnabled", { return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled()); });

  // ---- process-wide settings ----
  NB_EXPORT(exports, "manualSeed", { torch::manual_seed(static_cast<uint64_t>(ArgInt(info, 0))); return info.Env().Undefined(); });
  NB_EXPORT(exports, "setNumThreads", { at::set_num_threads(static_cast<int>(ArgInt(info, 0))); return info.Env().Undefined(); });
  NB_EXPORT(exports, "getNumThreads", { return Napi::Number::New(info.Env(), at::get_num_threads()); });
  NB_EXPORT(exports, "cudaAvailable", { return Napi::Boolean::New(info.Env(), torch::cuda::is_available()); });
  NB_EXPORT(exports, "cudaDeviceCount", { return Napi::Number::New(info.Env(), static_cast<double>(torch::cuda::device_count())); });
  NB_EXPORT(exports, "buildConfig", { return Napi::String::New(info.Env(), at::show_config()); });
  NB_EXPORT(exports, "configureAllocator", {
    // glibc serves large blocks with mmap and unmaps them on free, so every 64 MB attention
    // buffer is page-faulted afresh (measured: ~2x slower attention). Raising the mmap
    // threshold keeps such blocks in the heap for reuse. Returns whether glibc accepted it.
#if defined(__GLIBC__)
    const int mmapOk = mallopt(M_MMAP_THRESHOLD, static_cast<int>(ArgInt(info, 0)));
    const int trimOk = mallopt(M_TRIM_THRESHOLD, static_cast<int>(ArgInt(info, 1)));
    return Napi::Boolean::New(info.Env(), mmapOk == 1 && trimOk == 1);
#else
    return Napi::Boolean::New(info.Env(), false);
#endif
  });
  NB_EXPORT(exports, "torchVersion", { return Napi::String::New(info.Env(), TORCH_VERSION); });
}

}  // namespace nb
