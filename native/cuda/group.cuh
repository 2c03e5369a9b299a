// Cooperative reductions for kernels that give each output a group of G threads:
// G = 1 (a thread), 32 (a warp) or 256 (the whole block; blockDim.x must be 256).
#pragma once
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

namespace tl::cuda {

template <int G>
struct Group {
  static __device__ __forceinline__ int rank() { return G == 1 ? 0 : (G == 32 ? threadIdx.x % 32 : threadIdx.x); }

  static __device__ __forceinline__ double sum(double v) {
    if constexpr (G > 1) {
      for (int s = 16; s > 0; s >>= 1) v += __shfl_xor_sync(0xffffffffu, v, s);
    }
    if constexpr (G == 256) {
      __shared__ double part[32];
      __syncthreads();  // an earlier call may still be reading part[]
      if (threadIdx.x % 32 == 0) part[threadIdx.x / 32] = v;
      __syncthreads();
      v = 0;
      for (int w = 0; w < G / 32; ++w) v += part[w];
    }
    return v;
  }

  static __device__ __forceinline__ float max(float v) {
    if constexpr (G > 1) {
      for (int s = 16; s > 0; s >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, s));
    }
    if constexpr (G == 256) {
      __shared__ float part[32];
      __syncthreads();
      if (threadIdx.x % 32 == 0) part[threadIdx.x / 32] = v;
      __syncthreads();
      v = part[0];
      for (int w = 1; w < G / 32; ++w) v = fmaxf(v, part[w]);
    }
    return v;
  }

  // Keeps the better of (v, i) and (ov, oi): NaN first, then the larger (smaller) value,
  // then the lower index (first on ties).
  static __device__ __forceinline__ void pick(bool is_max, float& v, int64_t& i, float ov, int64_t oi) {
    bool vn = isnan(v), on = isnan(ov);
    bool take;
    if (vn || on) take = on && (!vn || oi < i);
    else if (ov == v) take = oi < i;
    else take = is_max ? ov > v : ov < v;
    if (take) {
      v = ov;
      i = oi;
    }
  }

  static __device__ __forceinline__ void best(bool is_max, float& v, int64_t& i) {
    if constexpr (G > 1) {
      for (int s = 16; s > 0; s >>= 1) {
        float ov = __shfl_xor_sync(0xffffffffu, v, s);
        int64_t oi = __shfl_xor_sync(0xffffffffu, i, s);
        pick(is_max, v, i, ov, oi);
      }
    }
    if constexpr (G == 256) {
      __shared__ float pv[32];
      __shared__ int64_t pi[32];
      __syncthreads();
      if (threadIdx.x % 32 == 0) {
        pv[threadIdx.x / 32] = v;
        pi[threadIdx.x / 32] = i;
      }
      __syncthreads();
      v = pv[0];
      i = pi[0];
      for (int w = 1; w < G / 32; ++w) pick(is_max, v, i, pv[w], pi[w]);
    }
  }
};

// The first output and the stride between outputs for this thread's group: every
// thread of a group gets the same sequence.
template <int G>
__device__ __forceinline__ void group_range(int64_t& first, int64_t& step) {
  if (G == 1) {
    first = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  } else if (G == 32) {
    first = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) / 32;
    step = static_cast<int64_t>(blockDim.x) * gridDim.x / 32;
  } else {
    first = blockIdx.x;
    step = gridDim.x;
  }
}

}  // namespace tl::cuda
