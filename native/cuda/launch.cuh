// Small helpers shared by the .cu files (device side only).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "runtime.h"

namespace tl::cuda {

inline cudaStream_t stream() { return static_cast<cudaStream_t>(current_stream()); }

// for (i in [0, n)) over a grid-stride loop.
#define TL_GRID_STRIDE(i, n)                                                       \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

}  // namespace tl::cuda
