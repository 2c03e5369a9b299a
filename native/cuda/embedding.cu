// Embedding kernels on the device: a thread per (row, feature); the backward scatter
// uses atomics (row collisions), so sums of repeated rows may differ in the last bits
// from the CPU's ordered sum.
#include <climits>
#include <stdexcept>
#include <string>
#include <vector>

#include "checks.h"
#include "embedding.h"
#include "launch.cuh"

namespace tl::cuda {
namespace {

__device__ __forceinline__ int64_t bag_end(const int32_t* offsets, int64_t b, int64_t bags, int64_t n) {
  return b + 1 < bags ? offsets[b + 1] : n;
}

// The bag holding index i: the last b with offsets[b] <= i (empty bags are skipped).
__device__ __forceinline__ int64_t bag_of(const int32_t* offsets, int64_t bags, int64_t i) {
  int64_t lo = 0, hi = bags;  // offsets[lo] <= i < offsets[hi] (hi = bags: +inf)
  while (hi - lo > 1) {
    int64_t mid = (lo + hi) / 2;
    if (offsets[mid] <= i) lo = mid;
    else hi = mid;
  }
  return lo;
}

__global__ void gather_rows_kernel(float* out, const float* weight, const int32_t* idx, int64_t dim, int64_t total) {
  TL_GRID_STRIDE(e, total) {
    int64_t i = e / dim, d = e % dim;
    out[e] = weight[static_cast<int64_t>(idx[i]) * dim + d];
  }
}

__global__ void scatter_rows_kernel(float* gweight, const float* gout, const int32_t* idx, int64_t dim,
                                    int64_t total) {
  TL_GRID_STRIDE(e, total) {
    int64_t i = e / dim, d = e % dim;
    atomicAdd(gweight + static_cast<int64_t>(idx[i]) * dim + d, gout[e]);
  }
}

__global__ void bag_forward_kernel(float* out, const float* weight, const int32_t* idx, const int32_t* offsets,
                                   const float* per_index, int64_t n, int64_t bags, int64_t dim, bool mean,
                                   int64_t total) {
  TL_GRID_STRIDE(e, total) {
    int64_t b = e / dim, d = e % dim;
    int64_t i0 = offsets[b], i1 = bag_end(offsets, b, bags, n);
    float acc = 0;
    for (int64_t i = i0; i < i1; ++i) acc += (per_index ? per_index[i] : 1.0f) * weight[static_cast<int64_t>(idx[i]) * dim + d];
    if (mean && i1 > i0) acc *= 1.0f / static_cast<float>(i1 - i0);
    out[e] = acc;
  }
}

__global__ void bag_backward_weight_kernel(float* gweight, const float* gout, const int32_t* idx,
                                           const int32_t* offsets, const float* per_index, int64_t n, int64_t bags,
                                           int64_t dim, bool mean, int64_t total) {
  TL_GRID_STRIDE(e, total) {
    int64_t i = e / dim, d = e % dim;
    int64_t b = bag_of(offsets, bags, i);
    float s = per_index ? per_index[i] : 1.0f;
    if (mean) s /= static_cast<float>(bag_end(offsets, b, bags, n) - offsets[b]);
    atomicAdd(gweight + static_cast<int64_t>(idx[i]) * dim + d, s * gout[b * dim + d]);
  }
}

// One warp per index: dot(gout[bag], weight[row]).
__global__ void bag_backward_per_index_kernel(float* gper, const float* gout, const float* weight, const int32_t* idx,
                                              const int32_t* offsets, int64_t n, int64_t bags, int64_t dim,
                                              bool mean) {
  int64_t warp = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) / 32;
  int64_t warps = static_cast<int64_t>(blockDim.x) * gridDim.x / 32;
  int lane = threadIdx.x % 32;
  for (int64_t i = warp; i < n; i += warps) {
    int64_t b = bag_of(offsets, bags, i);
    const float* w = weight + static_cast<int64_t>(idx[i]) * dim;
    const float* g = gout + b * dim;
    float acc = 0;
    for (int64_t d = lane; d < dim; d += 32) acc += g[d] * w[d];
    for (int s = 16; s > 0; s >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, s);
    if (lane == 0) {
      if (mean) acc /= static_cast<float>(bag_end(offsets, b, bags, n) - offsets[b]);
      gper[i] += acc;
    }
  }
}

}  // namespace

void check_indices(const int32_t* idx, int64_t n, int64_t vocab) {
  int32_t bad = 0;
  int64_t at = find_bad_index(idx, n, 0, vocab, INT64_MIN, &bad);
  if (at >= 0)
    throw std::out_of_range("index " + std::to_string(bad) + " at position " + std::to_string(at) +
                            " is out of range for a vocabulary of " + std::to_string(vocab) + " rows");
}

void check_offsets(const int32_t* offsets, int64_t bags, int64_t n) {
  if (bags <= 0) return;
  // Offsets are one per bag (small next to the data): check them on the host.
  std::vector<int32_t> host(static_cast<size_t>(bags));
  copy_to_host(host.data(), offsets, host.size() * sizeof(int32_t));
  if (host[0] != 0) throw std::out_of_range("offsets must start at 0, got " + std::to_string(host[0]));
  for (int64_t b = 0; b < bags; ++b) {
    int64_t lo = host[b], hi = b + 1 < bags ? host[b + 1] : n;
    if (lo > hi || hi > n)
      throw std::out_of_range("offsets[" + std::to_string(b) + "] = " + std::to_string(lo) + " gives a bag ending at " +
                              std::to_string(hi) + "; offsets must be non-decreasing and at most the " +
                              std::to_string(n) + " indices");
  }
}

void embedding_forward(float* out, const float* weight, const int32_t* idx, int64_t n, int64_t vocab, int64_t dim) {
  cuda::check_indices(idx, n, vocab);
  int64_t total = n * dim;
  if (total <= 0) return;
  gather_rows_kernel<<<blocks_for(total), 256, 0, stream()>>>(out, weight, idx, dim, total);
  check_launch("embedding_forward");
}

void embedding_backward(float* gweight, const float* gout, const int32_t* idx, int64_t n, int64_t vocab,
                        int64_t dim) {
  cuda::check_indices(idx, n, vocab);
  int64_t total = n * dim;
  if (total <= 0) return;
  scatter_rows_kernel<<<blocks_for(total), 256, 0, stream()>>>(gweight, gout, idx, dim, total);
  check_launch("embedding_backward");
}

void embedding_bag_forward(float* out, const float* weight, const int32_t* idx, const int32_t* offsets,
                           const float* per_index, int64_t n, int64_t bags, int64_t vocab, int64_t dim, bool mean) {
  cuda::check_indices(idx, n, vocab);
  cuda::check_offsets(offsets, bags, n);
  int64_t total = bags * dim;
  if (total <= 0) return;
  bag_forward_kernel<<<blocks_for(total), 256, 0, stream()>>>(out, weight, idx, offsets, per_index, n, bags, dim,
                                                               mean, total);
  check_launch("embedding_bag_forward");
}

void embedding_bag_backward(float* gweight, float* gper_index, const float* gout, const float* weight,
                            const int32_t* idx, const int32_t* offsets, const float* per_index, int64_t n,
                            int64_t bags, int64_t vocab, int64_t dim, bool mean) {
  cuda::check_indices(idx, n, vocab);
  cuda::check_offsets(offsets, bags, n);
  if (bags == 0 || n == 0) return;
  if (gweight && dim > 0)
    bag_backward_weight_kernel<<<blocks_for(n * dim), 256, 0, stream()>>>(gweight, gout, idx, offsets, per_index, n,
                                                                           bags, dim, mean, n * dim);
  if (gper_index)
    bag_backward_per_index_kernel<<<blocks_for(n * 32), 256, 0, stream()>>>(gper_index, gout, weight, idx, offsets, n,
                                                                             bags, dim, mean);
  check_launch("embedding_bag_backward");
}

}  // namespace tl::cuda
