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

// TL_GRID_STRIDE where every thread makes the same number of trips (an index past n is
// skipped inside), so a block-wide reduction after the loop is reached by all threads.
#define TL_GRID_TRIPS(i, n)                                                                     \
  for (int64_t i##_step = static_cast<int64_t>(blockDim.x) * gridDim.x, i##_trip = 0,           \
               i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;                 \
       i##_trip < ((n) + i##_step - 1) / i##_step; ++i##_trip, i += i##_step)                   \
    if (i < (n))

}  // namespace tl::cuda
