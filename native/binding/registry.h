// The kernel table. Each family file (elementwise.cc, matmul.cc, ...) contributes its
// entries through one function; addon.cc puts them all on the exported `kernels` object.
#pragma once
#include <napi.h>

#include <stdexcept>
#include <vector>

namespace tl::binding {

using KernelFn = Napi::Value (*)(const Napi::CallbackInfo&);
struct KernelDef {
  const char* name;
  KernelFn fn;
};
using KernelList = std::vector<KernelDef>;

KernelList core_kernels();
KernelList elementwise_kernels();
KernelList reduce_kernels();
KernelList shape_kernels();
KernelList matmul_kernels();
KernelList conv_kernels();
KernelList softmax_kernels();
KernelList loss_kernels();
KernelList embedding_kernels();
KernelList optim_kernels();
KernelList grouped_kernels();
KernelList cuda_kernels();

}  // namespace tl::binding

// With CUDA compiled in, a kernel whose buffers live on the device runs its cuda:: twin;
// without it, asking for the device is a clear error rather than a missing symbol.
#ifdef TL_WITH_CUDA
#define TL_ON_DEVICE(args, call) (args).guard([&] { tl::cuda::call; })
#else
#define TL_ON_DEVICE(args, call) (args).fail("this build of trunkline has no CUDA support")
#endif

// Runs a kernel call, written once, on the device its buffers live on: the cuda:: twin
// when `on_device` (from Args::same_device), the cpu:: kernel otherwise. Either way a
// kernel's C++ exception becomes a JS Error naming it. Expects the binding's `Args a`.
#define TL_DISPATCH(on_device, call)      \
  do {                                    \
    if (on_device)                        \
      TL_ON_DEVICE(a, call);              \
    else                                  \
      a.guard([&] { tl::cpu::call; });    \
  } while (0)

// TL_DISPATCH for a kernel that returns a value: out = the kernel's result.
#ifdef TL_WITH_CUDA
#define TL_ON_DEVICE_TO(out, args, call) (args).guard([&] { out = tl::cuda::call; })
#else
#define TL_ON_DEVICE_TO(out, args, call) (args).fail("this build of trunkline has no CUDA support")
#endif
#define TL_DISPATCH_TO(out, on_device, call)       \
  do {                                             \
    if (on_device)                                 \
      TL_ON_DEVICE_TO(out, a, call);               \
    else                                           \
      a.guard([&] { out = tl::cpu::call; });       \
  } while (0)
