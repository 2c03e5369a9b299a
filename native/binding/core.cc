// Engine-wide settings: threads, SIMD path, build facts.
#include "../core/cpu_features.h"
#include "../core/parallel.h"
#include "args.h"
#include "registry.h"

namespace tl::binding {

int64_t checked_numel(const Args& a, const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) a.fail("negative dimension " + std::to_string(d));
    if (d != 0 && n > INT64_MAX / d) a.fail("shape is too large");
    n *= d;
  }
  return n;
}

namespace {

TL_KERNEL_VALUE(getNumThreads) {
  return Napi::Number::New(info.Env(), num_threads());
}

TL_KERNEL(setNumThreads) {
  set_num_threads(static_cast<int>(a.integer(0, 1, 1024)));
}

TL_KERNEL_VALUE(getIsa) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("active", isa_name(active_isa()));
  o.Set("best", isa_name(best_supported_isa()));
  return o;
}

TL_KERNEL(setIsa) {
  if (info.Length() < 1 || !info[0].IsString()) a.fail("expects 'portable', 'avx2' or 'avx512'");
  std::string s = info[0].As<Napi::String>();
  Isa want;
  if (s == "portable") want = Isa::Portable;
  else if (s == "avx2") want = Isa::Avx2;
  else if (s == "avx512") want = Isa::Avx512;
  else a.fail("unknown instruction set '" + s + "' (expected 'portable', 'avx2' or 'avx512')");
  if (!set_isa(want))
    a.fail("this CPU does not support " + s + " (best is " + isa_name(best_supported_isa()) + ")");
}

TL_KERNEL_VALUE(buildInfo) {
  Napi::Object o = Napi::Object::New(info.Env());
#ifdef TL_WITH_CUDA
  o.Set("cuda", true);
#else
  o.Set("cuda", false);
#endif
#if defined(__x86_64__) || defined(_M_X64)
  o.Set("arch", "x64");
#elif defined(__aarch64__)
  o.Set("arch", "arm64");
#else
  o.Set("arch", "other");
#endif
  return o;
}

}  // namespace
}  // namespace tl::binding
