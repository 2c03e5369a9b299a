// The portable direct convolution kernels, and the run-time choice between instruction sets.
#define TL_DIRECT_NS portable
#include "conv_direct_impl.h"

#include "../core/cpu_features.h"

namespace tl::cpu {

const DirectConvKernels& direct_conv_kernels() {
#if defined(__x86_64__) || defined(_M_X64)
  if (active_isa() >= Isa::Avx2) return avx2::kDirectConv;
#endif
  return portable::kDirectConv;
}

}  // namespace tl::cpu
