// Elementwise kernels on the device: one thread per element over grid-stride loops. The
// per-element math is the CPU's, from the functors in native/core/element_math.h.
#include "elementwise.h"
#include "launch.cuh"

namespace tl::cuda {
namespace {

constexpr int kThreads = 256;

template <typename Op>
__global__ void unary_forward_kernel(float* out, const float* x, int64_t n, float p0, float p1) {
  TL_GRID_STRIDE(i, n) out[i] = Op::forward(x[i], p0, p1);
}

// `out` is read only by ops that need it (the binding guarantees it is there for them).
template <typename Op>
__global__ void unary_backward_kernel(float* gx, const float* g, const float* x, const float* out,
                                      int64_t n, float p0, float p1) {
  TL_GRID_STRIDE(i, n) gx[i] += Op::backward(g[i], x[i], Op::needs_out ? out[i] : 0.0f, p0, p1);
}

// Element i's offsets in a and b, from the coalesced broadcast (passed by value).
__device__ __forceinline__ void offsets(const Broadcast& p, int64_t i, int64_t& ao, int64_t& bo) {
  ao = 0;
  bo = 0;
  for (int d = p.ndim - 1; d >= 0; --d) {
    int64_t idx = i % p.shape[d];
    i /= p.shape[d];
    ao += idx * p.a_stride[d];
    bo += idx * p.b_stride[d];
  }
}

template <typename Op>
__global__ void binary_same_kernel(float* out, const float* a, const float* b, int64_t n) {
  TL_GRID_STRIDE(i, n) out[i] = Op::forward(a[i], b[i]);
}

template <typename Op>
__global__ void binary_forward_kernel(float* out, const float* a, const float* b, Broadcast p, int64_t n) {
  TL_GRID_STRIDE(i, n) {
    int64_t ao, bo;
    offsets(p, i, ao, bo);
    out[i] = Op::forward(a[ao], b[bo]);
  }
}

// Adds v into a broadcast gradient element shared by many threads. When a full warp
// targets one element (a scalar or a broadcast inner dim) it sums over shuffles first:
// one atomic instead of 32 on the same address.
__device__ __forceinline__ void atomic_accumulate(float* base, int64_t off, float v) {
  unsigned mask = __activemask();
  if (mask == 0xffffffffu) {
    int64_t off0 = __shfl_sync(mask, off, 0);
    if (__all_sync(mask, off == off0)) {
      for (int s = 16; s > 0; s >>= 1) v += __shfl_down_sync(mask, v, s);
      if ((threadIdx.x & 31) == 0) atomicAdd(base + off, v);
      return;
    }
  }
  atomicAdd(base + off, v);
}

// A dense gradient is written by exactly one thread per element; a broadcast one is hit
// by many, so it takes atomic adds.
template <typename Op>
__global__ void binary_backward_kernel(float* ga, float* gb, const float* g, const float* a,
                                       const float* b, const float* out, Broadcast p, int64_t n,
                                       bool a_dense, bool b_dense) {
  TL_GRID_STRIDE(i, n) {
    int64_t ao, bo;
    offsets(p, i, ao, bo);
    float da, db;
    Op::backward(g[i], a[ao], b[bo], Op::needs_out ? out[i] : 0.0f, da, db);
    if (ga) {
      if (a_dense) ga[ao] += da;
      else atomic_accumulate(ga, ao, da);
    }
    if (gb) {
      if (b_dense) gb[bo] += db;
      else atomic_accumulate(gb, bo, db);
    }
  }
}

bool is_dense(const Broadcast& p, const int64_t* stride) {
  int64_t expect = 1;
  for (int d = p.ndim - 1; d >= 0; --d) {
    if (p.shape[d] != 1 && stride[d] != expect) return false;
    expect *= p.shape[d];
  }
  return true;
}

template <typename Op>
struct UnaryFwd {
  static void run(float* out, const float* x, int64_t n, float p0, float p1) {
    unary_forward_kernel<Op><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(out, x, n, p0, p1);
  }
};
template <typename Op>
struct UnaryBwd {
  static void run(float* gx, const float* g, const float* x, const float* out, int64_t n, float p0, float p1) {
    unary_backward_kernel<Op><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(gx, g, x, out, n, p0, p1);
  }
};
template <typename Op>
struct BinaryFwd {
  static void run(float* out, const float* a, const float* b, const Broadcast* p, int64_t n) {
    if (p->ndim == 1 && p->a_stride[0] == 1 && p->b_stride[0] == 1)
      binary_same_kernel<Op><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(out, a, b, n);
    else
      binary_forward_kernel<Op><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(out, a, b, *p, n);
  }
};
template <typename Op>
struct BinaryBwd {
  static void run(float* ga, float* gb, const float* g, const float* a, const float* b, const float* out,
                  const Broadcast* p, int64_t n) {
    bool ad = is_dense(*p, p->a_stride), bd = is_dense(*p, p->b_stride);
    binary_backward_kernel<Op><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(ga, gb, g, a, b, out, *p, n, ad, bd);
  }
};

}  // namespace

void unary_forward(UnaryOp op, float* out, const float* x, int64_t n, float p0, float p1) {
  if (n <= 0) return;
  cpu::dispatch_unary<UnaryFwd>(op, out, x, n, p0, p1);
  check_launch("unary_forward");
}

void unary_backward(UnaryOp op, float* gx, const float* gout, const float* x, const float* out,
                    int64_t n, float p0, float p1) {
  if (n <= 0) return;
  cpu::dispatch_unary<UnaryBwd>(op, gx, gout, x, out, n, p0, p1);
  check_launch("unary_backward");
}

void binary_forward(BinaryOp op, float* out, const float* a, const float* b, const Broadcast& bc) {
  int64_t n = bc.size();
  if (n <= 0) return;
  Broadcast p = bc.coalesced();
  cpu::dispatch_binary<BinaryFwd>(op, out, a, b, &p, n);
  check_launch("binary_forward");
}

void binary_backward(BinaryOp op, float* ga, float* gb, const float* gout, const float* a,
                     const float* b, const float* out, const Broadcast& bc) {
  int64_t n = bc.size();
  if (n <= 0 || (!ga && !gb)) return;
  Broadcast p = bc.coalesced();
  cpu::dispatch_binary<BinaryBwd>(op, ga, gb, gout, a, b, out, &p, n);
  check_launch("binary_backward");
}

namespace {
__global__ void axpy_kernel(float* y, const float* x, float alpha, int64_t n) {
  TL_GRID_STRIDE(i, n) y[i] += alpha * x[i];
}
__global__ void fill_kernel(float* out, float value, int64_t n) {
  TL_GRID_STRIDE(i, n) out[i] = value;
}
}  // namespace

void axpy(float* y, const float* x, float alpha, int64_t n) {
  if (n <= 0) return;
  axpy_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(y, x, alpha, n);
  check_launch("axpy");
}

void fill(float* out, float value, int64_t n) {
  if (n <= 0) return;
  fill_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(out, value, n);
  check_launch("fill");
}

}  // namespace tl::cuda
