#include "cpu_features.h"

#include <cstdlib>
#include <cstring>

namespace tl {
namespace {

Isa detect() {
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
    return Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
#endif
  return Isa::Portable;
}

Isa initial() {
  Isa best = detect();
  if (const char* env = std::getenv("TRUNKLINE_ISA")) {
    Isa want = best;
    if (!std::strcmp(env, "portable")) want = Isa::Portable;
    if (!std::strcmp(env, "avx2")) want = Isa::Avx2;
    if (!std::strcmp(env, "avx512")) want = Isa::Avx512;
    if (static_cast<int>(want) <= static_cast<int>(best)) return want;
  }
  return best;
}

Isa& current() {
  static Isa isa = initial();
  return isa;
}

}  // namespace

Isa best_supported_isa() {
  static Isa best = detect();
  return best;
}

Isa active_isa() { return current(); }

bool set_isa(Isa isa) {
  if (static_cast<int>(isa) > static_cast<int>(best_supported_isa())) return false;
  current() = isa;
  return true;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "portable";
  }
}

}  // namespace tl
