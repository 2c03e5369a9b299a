// The kernel table. Each family file (elementwise.cc, matmul.cc, ...) defines its kernels
// with TL_KERNEL(name), which adds the kernel to the table as the addon loads; addon.cc
// puts every entry on the exported `kernels` object.
#pragma once
#include <napi.h>

#include <stdexcept>
#include <vector>

#include "args.h"

namespace tl::binding {

using KernelFn = Napi::Value (*)(const Napi::CallbackInfo&);
struct KernelDef {
  const char* name;
  KernelFn fn;
};
using KernelList = std::vector<KernelDef>;

// Every kernel of the addon, in the order their files were loaded.
KernelList& kernel_table();

struct KernelRegistration {
  KernelRegistration(const char* name, KernelFn fn) { kernel_table().push_back({name, fn}); }
};

// Defines the JS kernel `name` and enters it in the table. The body sees `a`, the kernel's
// Args (named after it, so its errors name it), and `info`; it returns nothing (the JS
// call returns undefined):
//   TL_KERNEL(softmax_forward) { a.expect_count(6); ... TL_DISPATCH(...); }
#define TL_KERNEL(name)                                                                \
  void name##_body(::tl::binding::Args& a, const Napi::CallbackInfo& info);            \
  Napi::Value name##_binding(const Napi::CallbackInfo& info) {                         \
    ::tl::binding::Args a(info, #name);                                                \
    name##_body(a, info);                                                              \
    return info.Env().Undefined();                                                     \
  }                                                                                    \
  const ::tl::binding::KernelRegistration name##_entry{#name, name##_binding};         \
  void name##_body([[maybe_unused]] ::tl::binding::Args& a, [[maybe_unused]] const Napi::CallbackInfo& info)

// TL_KERNEL for a kernel that returns a value to JS (a count, a name, an object).
#define TL_KERNEL_VALUE(name)                                                          \
  Napi::Value name##_body(::tl::binding::Args& a, const Napi::CallbackInfo& info);     \
  Napi::Value name##_binding(const Napi::CallbackInfo& info) {                         \
    ::tl::binding::Args a(info, #name);                                                \
    return name##_body(a, info);                                                       \
  }                                                                                    \
  const ::tl::binding::KernelRegistration name##_entry{#name, name##_binding};         \
  Napi::Value name##_body([[maybe_unused]] ::tl::binding::Args& a, [[maybe_unused]] const Napi::CallbackInfo& info)

// Enters an existing binding under the name `name` (stubs that serve several names).
#define TL_KERNEL_ALIAS(name, fn) const ::tl::binding::KernelRegistration name##_entry{#name, fn}

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
