// The addon's entry point: one `kernels` object holding every entry of the table.
#include <napi.h>

#include <string>

#include "registry.h"

namespace tl::binding {

KernelList& kernel_table() {
  static KernelList table;
  return table;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  for (const KernelDef& k : kernel_table()) {
    if (exports.Has(k.name)) throw Napi::Error::New(env, std::string("trunkline addon: kernel '") + k.name + "' is defined twice");
    exports.Set(k.name, Napi::Function::New(env, k.fn, k.name));
  }
  return exports;
}

}  // namespace tl::binding

static Napi::Object InitTrunkline(Napi::Env env, Napi::Object exports) {
  return tl::binding::Init(env, exports);
}

NODE_API_MODULE(trunkline, InitTrunkline)
