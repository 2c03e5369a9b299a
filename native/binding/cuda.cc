// Device management seen from JS: availability, buffers, copies, memory statistics.
// Without CUDA compiled in, the same names exist and report that no device is there.
#include "args.h"
#include "registry.h"

namespace tl::binding {

#ifndef TL_WITH_CUDA
DeviceBlock* device_block(const Napi::Value&) { return nullptr; }

namespace {
Napi::Value CudaIsAvailable(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), false); }
}  // namespace

KernelList cuda_kernels() { return {{"cuda_isAvailable", CudaIsAvailable}}; }
#endif

}  // namespace tl::binding
