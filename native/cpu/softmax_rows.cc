// The portable row primitives, and the run-time choice between instruction sets.
#define TL_ROWS_NS portable
#include "softmax_rows_impl.h"

#include "../core/cpu_features.h"

namespace tl::cpu {

const RowKernels& row_kernels() {
#if defined(__x86_64__) || defined(_M_X64)
  switch (active_isa()) {
    case Isa::Avx512: return avx512::kRowKernels;
    case Isa::Avx2: return avx2::kRowKernels;
    default: break;
  }
#endif
  return portable::kRowKernels;
}

}  // namespace tl::cpu
