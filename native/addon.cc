// Entry point of the neurobridge libtorch addon. Context-aware (instance data, no globals
// holding JS values) so that it can be loaded in worker threads as well as the main thread.
#include "tensor.h"

namespace nb {

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new InstanceData();
  env.SetInstanceData<InstanceData>(data);
  ExportTensor(env, exports);
  ExportOps(env, exports);
  ExportNN(env, exports);
  ExportOptim(env, exports);
  return exports;
}

}  // namespace nb

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return nb::Init(env, exports); }
NODE_API_MODULE(neurobridge_native, InitAddon)
