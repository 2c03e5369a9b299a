// Data movement on the device: one thread per element, offsets from the block's strides.
// Accumulating copies whose destination repeats (a stride-0 dim: broadcast backward)
// and index backward passes (repeated indices) add atomically.
#include <climits>
#include <stdexcept>
#include <string>

#include "checks.h"
#include "launch.cuh"
#include "shape.h"

namespace tl::cuda {
namespace {


// Acc: 0 = assign, 1 = add (each dst once), 2 = atomic add (dst repeats).
template <typename T, int Acc>
__global__ void copy_kernel(T* dst, const T* src, StridedBlock b, int64_t n) {
  TL_GRID_STRIDE(i, n) {
    int64_t rem = i, d_off = 0, s_off = 0;
    for (int d = b.ndim - 1; d >= 0; --d) {
      int64_t idx = rem % b.shape[d];
      rem /= b.shape[d];
      d_off += idx * b.dst_stride[d];
      s_off += idx * b.src_stride[d];
    }
    if constexpr (Acc == 0) dst[d_off] = src[s_off];
    else if constexpr (Acc == 1) dst[d_off] += src[s_off];
    else atomicAdd(dst + d_off, src[s_off]);
  }
}

template <typename T>
__global__ void contiguous_copy_kernel(T* dst, const T* src, int64_t n) {
  TL_GRID_STRIDE(i, n) dst[i] = src[i];
}

template <typename T, int Acc>
void launch_copy(T* dst, const T* src, const StridedBlock& raw) {
  StridedBlock b = cpu::coalesce(raw);
  int64_t n = b.size();
  if (n <= 0) return;
  if (Acc == 0 && b.ndim == 1 && b.dst_stride[0] == 1 && b.src_stride[0] == 1)
    contiguous_copy_kernel<T><<<blocks_for(n), 256, 0, stream()>>>(dst, src, n);
  else
    copy_kernel<T, Acc><<<blocks_for(n), 256, 0, stream()>>>(dst, src, b, n);
  check_launch("copy_block");
}

void check_indices(const int32_t* index, int64_t k, int64_t n) {
  int32_t bad = 0;
  int64_t at = find_bad_index(index, k, 0, n, INT64_MIN, &bad);
  if (at >= 0)
    throw std::out_of_range("index " + std::to_string(bad) + " at position " + std::to_string(at) +
                            " is out of range for a dim of size " + std::to_string(n));
}

template <typename T>
__global__ void index_select_kernel(T* out, const T* x, const int32_t* index, int64_t n, int64_t inner, int64_t k,
                                    int64_t total) {
  TL_GRID_STRIDE(w, total) {
    int64_t i = w % inner, row = w / inner;
    int64_t j = row % k, o = row / k;
    out[w] = x[(o * n + index[j]) * inner + i];
  }
}

__global__ void index_select_backward_kernel(float* gx, const float* g, const int32_t* index, int64_t n,
                                             int64_t inner, int64_t k, int64_t total) {
  TL_GRID_STRIDE(w, total) {
    int64_t i = w % inner, row = w / inner;
    int64_t j = row % k, o = row / k;
    atomicAdd(gx + (o * n + index[j]) * inner + i, g[w]);
  }
}

struct GatherPlan {
  int ndim, axis;
  int64_t index_shape[cpu::kMaxDims];
  int64_t x_stride[cpu::kMaxDims];
};

GatherPlan gather_plan(const GatherShape& gs, int64_t& count) {
  GatherPlan p;
  p.ndim = gs.ndim;
  p.axis = gs.axis;
  int64_t xs = 1;
  count = 1;
  for (int d = gs.ndim - 1; d >= 0; --d) {
    p.index_shape[d] = gs.index_shape[d];
    p.x_stride[d] = xs;
    xs *= gs.x_shape[d];
    count *= gs.index_shape[d];
  }
  return p;
}

// x offset of index element `lin`, with the axis coordinate replaced by index[lin].
__device__ __forceinline__ int64_t gather_offset(const GatherPlan& p, const int32_t* index, int64_t lin) {
  int64_t rem = lin, off = 0;
  for (int d = p.ndim - 1; d >= 0; --d) {
    int64_t c = rem % p.index_shape[d];
    rem /= p.index_shape[d];
    off += (d == p.axis ? static_cast<int64_t>(index[lin]) : c) * p.x_stride[d];
  }
  return off;
}

template <typename T>
__global__ void gather_kernel(T* out, const T* x, const int32_t* index, GatherPlan p, int64_t n) {
  TL_GRID_STRIDE(i, n) out[i] = x[gather_offset(p, index, i)];
}

__global__ void gather_backward_kernel(float* gx, const float* g, const int32_t* index, GatherPlan p, int64_t n) {
  TL_GRID_STRIDE(i, n) atomicAdd(gx + gather_offset(p, index, i), g[i]);
}

template <typename T>
void gather_impl(T* out, const T* x, const int32_t* index, const GatherShape& gs) {
  int64_t n;
  GatherPlan p = gather_plan(gs, n);
  if (n <= 0) return;
  check_indices(index, n, gs.x_shape[gs.axis]);
  gather_kernel<T><<<blocks_for(n), 256, 0, stream()>>>(out, x, index, p, n);
  check_launch("gather_forward");
}

template <typename T>
void index_select_impl(T* out, const T* x, const int32_t* index, int64_t outer, int64_t n, int64_t inner, int64_t k) {
  int64_t total = outer * k * inner;
  if (total <= 0) return;
  check_indices(index, k, n);
  index_select_kernel<T><<<blocks_for(total), 256, 0, stream()>>>(out, x, index, n, inner, k, total);
  check_launch("index_select_forward");
}

}  // namespace

void copy_block(float* dst, const float* src, const StridedBlock& b, bool accumulate) {
  if (!accumulate) return launch_copy<float, 0>(dst, src, b);
  bool repeats = false;
  for (int d = 0; d < b.ndim; ++d)
    if (b.shape[d] > 1 && b.dst_stride[d] == 0) repeats = true;
  if (repeats) launch_copy<float, 2>(dst, src, b);
  else launch_copy<float, 1>(dst, src, b);
}

void copy_block_i32(int32_t* dst, const int32_t* src, const StridedBlock& b) { launch_copy<int32_t, 0>(dst, src, b); }

void index_select_forward(float* out, const float* x, const int32_t* index, int64_t outer, int64_t n,
                          int64_t inner, int64_t k) {
  index_select_impl(out, x, index, outer, n, inner, k);
}

void index_select_forward_i32(int32_t* out, const int32_t* x, const int32_t* index, int64_t outer,
                              int64_t n, int64_t inner, int64_t k) {
  index_select_impl(out, x, index, outer, n, inner, k);
}

void index_select_backward(float* gx, const float* g, const int32_t* index, int64_t outer, int64_t n,
                           int64_t inner, int64_t k) {
  int64_t total = outer * k * inner;
  if (total <= 0) return;
  check_indices(index, k, n);
  index_select_backward_kernel<<<blocks_for(total), 256, 0, stream()>>>(gx, g, index, n, inner, k, total);
  check_launch("index_select_backward");
}

void gather_forward(float* out, const float* x, const int32_t* index, const GatherShape& gs) {
  gather_impl(out, x, index, gs);
}

void gather_forward_i32(int32_t* out, const int32_t* x, const int32_t* index, const GatherShape& gs) {
  gather_impl(out, x, index, gs);
}

void gather_backward(float* gx, const float* g, const int32_t* index, const GatherShape& gs) {
  int64_t n;
  GatherPlan p = gather_plan(gs, n);
  if (n <= 0) return;
  check_indices(index, n, gs.x_shape[gs.axis]);
  gather_backward_kernel<<<blocks_for(n), 256, 0, stream()>>>(gx, g, index, p, n);
  check_launch("gather_backward");
}

}  // namespace tl::cuda
