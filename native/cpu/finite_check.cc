// The portable finite check, and the run-time choice between instruction sets.
#define TL_FINITE_NS portable
#include "finite_check_impl.h"

#include "../core/cpu_features.h"

namespace tl::cpu {

int64_t first_nonfinite_serial(const float* x, int64_t n) {
#if defined(__x86_64__) || defined(_M_X64)
  switch (active_isa()) {
    case Isa::Avx512: return avx512::first_nonfinite_serial(x, n);
    case Isa::Avx2: return avx2::first_nonfinite_serial(x, n);
    default: break;
  }
#endif
  return portable::first_nonfinite_serial(x, n);
}

}  // namespace tl::cpu
