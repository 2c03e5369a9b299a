// The addon's entry point: one `kernels` object holding every entry of the table.
#include <napi.h>

#include "registry.h"

namespace tl::binding {

// The communicator (dist.cc): MPI collectives, or a stub saying the build has none.
KernelList dist_kernels();

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  const KernelList families[] = {
      core_kernels(),     elementwise_kernels(), reduce_kernels(),    shape_kernels(),
      matmul_kernels(),   conv_kernels(),        softmax_kernels(),   loss_kernels(),
      embedding_kernels(), optim_kernels(),      grouped_kernels(),  cuda_kernels(),
      dist_kernels(),
  };
  for (const KernelList& family : families)
    for (const KernelDef& k : family) exports.Set(k.name, Napi::Function::New(env, k.fn, k.name));
  return exports;
}

}  // namespace tl::binding

static Napi::Object InitTrunkline(Napi::Env env, Napi::Object exports) {
  return tl::binding::Init(env, exports);
}

NODE_API_MODULE(trunkline, InitTrunkline)
