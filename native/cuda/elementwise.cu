// Elementwise kernels on the device: one thread per element over grid-stride loops.
// Math matches native/cpu/elementwise.cc (tanh-form GELU, ties to a in max/min, NaN
// propagating through relu, clamp, max and min as in PyTorch).
#include "elementwise.h"
#include "launch.cuh"

namespace tl::cuda {
namespace {

constexpr int kThreads = 256;
constexpr float kSqrt2OverPi = 0.7978845608028654f;

__device__ __forceinline__ float gelu(float x) {
  float u = kSqrt2OverPi * (x + 0.044715f * x * x * x);
  return 0.5f * x * (1.0f + tanhf(u));
}
__device__ __forceinline__ float gelu_grad(float x) {
  float u = kSqrt2OverPi * (x + 0.044715f * x * x * x);
  float t = tanhf(u);
  float du = kSqrt2OverPi * (1.0f + 3.0f * 0.044715f * x * x);
  return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
}

template <UnaryOp Op>
__device__ __forceinline__ float unary_f(float x, float p0, float p1) {
  if constexpr (Op == UnaryOp::Neg) return -x;
  if constexpr (Op == UnaryOp::Exp) return expf(x);
  if constexpr (Op == UnaryOp::Log) return logf(x);
  if constexpr (Op == UnaryOp::Sqrt) return sqrtf(x);
  if constexpr (Op == UnaryOp::Abs) return fabsf(x);
  if constexpr (Op == UnaryOp::Relu) return x <= 0 ? 0.0f : x;  // NaN passes
  if constexpr (Op == UnaryOp::LeakyRelu) return x > 0 ? x : p0 * x;
  if constexpr (Op == UnaryOp::Gelu) return gelu(x);
  if constexpr (Op == UnaryOp::Sigmoid) return 1.0f / (1.0f + expf(-x));
  if constexpr (Op == UnaryOp::Tanh) return tanhf(x);
  // fmaxf/fminf drop a NaN operand (clamp(NaN) would be the lower bound); PyTorch keeps it.
  if constexpr (Op == UnaryOp::Clamp) return isnan(x) ? x : fminf(fmaxf(x, p0), p1);
  if constexpr (Op == UnaryOp::PowScalar) return powf(x, p0);
  return 0.0f;
}

// g * d out / d x at one element. The piecewise ops select rather than multiply by 0,
// so an inf or NaN g of an inactive unit gives 0, as on the CPU and in PyTorch.
template <UnaryOp Op>
__device__ __forceinline__ float unary_grad(float g, float x, float out, float p0, float p1) {
  if constexpr (Op == UnaryOp::Neg) return -g;
  if constexpr (Op == UnaryOp::Exp) return g * out;
  if constexpr (Op == UnaryOp::Log) return g / x;
  if constexpr (Op == UnaryOp::Sqrt) return g * 0.5f / out;
  if constexpr (Op == UnaryOp::Abs) return x > 0 ? g : (x < 0 ? -g : 0.0f);
  if constexpr (Op == UnaryOp::Relu) return x <= 0 ? 0.0f : g;  // NaN input passes g, as in PyTorch
  if constexpr (Op == UnaryOp::LeakyRelu) return x > 0 ? g : p0 * g;
  if constexpr (Op == UnaryOp::Gelu) return g * gelu_grad(x);
  if constexpr (Op == UnaryOp::Sigmoid) return g * out * (1.0f - out);
  if constexpr (Op == UnaryOp::Tanh) return g * (1.0f - out * out);
  if constexpr (Op == UnaryOp::Clamp) return (x >= p0 && x <= p1) ? g : 0.0f;
  if constexpr (Op == UnaryOp::PowScalar) return g * p0 * powf(x, p0 - 1.0f);
  return 0.0f;
}

template <UnaryOp Op>
__global__ void unary_forward_kernel(float* out, const float* x, int64_t n, float p0, float p1) {
  TL_GRID_STRIDE(i, n) out[i] = unary_f<Op>(x[i], p0, p1);
}

template <UnaryOp Op>
__global__ void unary_backward_kernel(float* gx, const float* g, const float* x, const float* out,
                                      int64_t n, float p0, float p1) {
  // `out` is only read by ops that need it (the binding guarantees it is there for them).
  TL_GRID_STRIDE(i, n) gx[i] += unary_grad<Op>(g[i], x[i], out ? out[i] : 0.0f, p0, p1);
}

template <BinaryOp Op>
__device__ __forceinline__ float apply(float a, float b) {
  if constexpr (Op == BinaryOp::Add) return a + b;
  if constexpr (Op == BinaryOp::Sub) return a - b;
  if constexpr (Op == BinaryOp::Mul) return a * b;
  if constexpr (Op == BinaryOp::Div) return a / b;
  if constexpr (Op == BinaryOp::Pow) return powf(a, b);
  // Ties give a; a NaN on either side gives NaN, as in PyTorch.
  if constexpr (Op == BinaryOp::Maximum) return a >= b || isnan(a) ? a : b;
  if constexpr (Op == BinaryOp::Minimum) return a <= b || isnan(a) ? a : b;
  return 0.0f;
}

template <BinaryOp Op>
__device__ __forceinline__ void partials(float a, float b, float out, float& da, float& db) {
  if constexpr (Op == BinaryOp::Add) { da = 1; db = 1; }
  if constexpr (Op == BinaryOp::Sub) { da = 1; db = -1; }
  if constexpr (Op == BinaryOp::Mul) { da = b; db = a; }
  if constexpr (Op == BinaryOp::Div) { da = 1.0f / b; db = -a / (b * b); }
  if constexpr (Op == BinaryOp::Pow) {
    da = b * powf(a, b - 1.0f);
    db = a > 0 ? out * logf(a) : 0.0f;
  }
  // Ties send the gradient to a; a NaN on either side sends it to both (PyTorch's masks).
  if constexpr (Op == BinaryOp::Maximum) { da = a < b ? 0.0f : 1.0f; db = a >= b ? 0.0f : 1.0f; }
  if constexpr (Op == BinaryOp::Minimum) { da = a > b ? 0.0f : 1.0f; db = a <= b ? 0.0f : 1.0f; }
}

// g * d, except that maximum and minimum select (an inf or NaN g of the losing side
// gives 0, not NaN).
template <BinaryOp Op>
__device__ __forceinline__ float chain(float g, float d) {
  if constexpr (Op == BinaryOp::Maximum || Op == BinaryOp::Minimum) return d != 0.0f ? g : 0.0f;
  return g * d;
}

// The broadcast with size-1 dims dropped and contiguous runs merged (fewer divisions
// per element); passed to kernels by value.
struct Plan {
  int ndim = 0;
  int64_t shape[cpu::kMaxDims];
  int64_t a_stride[cpu::kMaxDims];
  int64_t b_stride[cpu::kMaxDims];
};

Plan make_plan(const Broadcast& in) {
  Plan p;
  for (int d = 0; d < in.ndim; ++d) {
    if (in.shape[d] == 1) continue;
    if (p.ndim > 0) {
      int k = p.ndim - 1;
      if (p.a_stride[k] == in.a_stride[d] * in.shape[d] && p.b_stride[k] == in.b_stride[d] * in.shape[d]) {
        p.shape[k] *= in.shape[d];
        p.a_stride[k] = in.a_stride[d];
        p.b_stride[k] = in.b_stride[d];
        continue;
      }
    }
    p.shape[p.ndim] = in.shape[d];
    p.a_stride[p.ndim] = in.a_stride[d];
    p.b_stride[p.ndim] = in.b_stride[d];
    ++p.ndim;
  }
  if (p.ndim == 0) {
    p.ndim = 1;
    p.shape[0] = 1;
    p.a_stride[0] = 0;
    p.b_stride[0] = 0;
  }
  return p;
}

__device__ __forceinline__ void offsets(const Plan& p, int64_t i, int64_t& ao, int64_t& bo) {
  ao = 0;
  bo = 0;
  for (int d = p.ndim - 1; d >= 0; --d) {
    int64_t idx = i % p.shape[d];
    i /= p.shape[d];
    ao += idx * p.a_stride[d];
    bo += idx * p.b_stride[d];
  }
}

template <BinaryOp Op>
__global__ void binary_same_kernel(float* out, const float* a, const float* b, int64_t n) {
  TL_GRID_STRIDE(i, n) out[i] = apply<Op>(a[i], b[i]);
}

template <BinaryOp Op>
__global__ void binary_forward_kernel(float* out, const float* a, const float* b, Plan p, int64_t n) {
  TL_GRID_STRIDE(i, n) {
    int64_t ao, bo;
    offsets(p, i, ao, bo);
    out[i] = apply<Op>(a[ao], b[bo]);
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
template <BinaryOp Op>
__global__ void binary_backward_kernel(float* ga, float* gb, const float* g, const float* a,
                                       const float* b, const float* out, Plan p, int64_t n,
                                       bool a_dense, bool b_dense) {
  TL_GRID_STRIDE(i, n) {
    int64_t ao, bo;
    offsets(p, i, ao, bo);
    float da, db;
    partials<Op>(a[ao], b[bo], out ? out[i] : 0.0f, da, db);
    float gi = g[i];
    if (ga) {
      if (a_dense) ga[ao] += chain<Op>(gi, da);
      else atomic_accumulate(ga, ao, chain<Op>(gi, da));
    }
    if (gb) {
      if (b_dense) gb[bo] += chain<Op>(gi, db);
      else atomic_accumulate(gb, bo, chain<Op>(gi, db));
    }
  }
}

bool is_dense(const Plan& p, const int64_t* stride) {
  int64_t expect = 1;
  for (int d = p.ndim - 1; d >= 0; --d) {
    if (p.shape[d] != 1 && stride[d] != expect) return false;
    expect *= p.shape[d];
  }
  return true;
}

template <template <UnaryOp> class Fn, typename... A>
void dispatch_unary(UnaryOp op, A... args) {
  switch (op) {
    case UnaryOp::Neg: Fn<UnaryOp::Neg>::run(args...); break;
    case UnaryOp::Exp: Fn<UnaryOp::Exp>::run(args...); break;
    case UnaryOp::Log: Fn<UnaryOp::Log>::run(args...); break;
    case UnaryOp::Sqrt: Fn<UnaryOp::Sqrt>::run(args...); break;
    case UnaryOp::Abs: Fn<UnaryOp::Abs>::run(args...); break;
    case UnaryOp::Relu: Fn<UnaryOp::Relu>::run(args...); break;
    case UnaryOp::LeakyRelu: Fn<UnaryOp::LeakyRelu>::run(args...); break;
    case UnaryOp::Gelu: Fn<UnaryOp::Gelu>::run(args...); break;
    case UnaryOp::Sigmoid: Fn<UnaryOp::Sigmoid>::run(args...); break;
    case UnaryOp::Tanh: Fn<UnaryOp::Tanh>::run(args...); break;
    case UnaryOp::Clamp: Fn<UnaryOp::Clamp>::run(args...); break;
    case UnaryOp::PowScalar: Fn<UnaryOp::PowScalar>::run(args...); break;
    default: break;
  }
}


template <UnaryOp Op>
struct UnaryFwd {
  static void run(float* out, const float* x, int64_t n, float p0, float p1) {
    unary_forward_kernel<Op><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(out, x, n, p0, p1);
  }
};
template <UnaryOp Op>
struct UnaryBwd {
  static void run(float* gx, const float* g, const float* x, const float* out, int64_t n, float p0, float p1) {
    unary_backward_kernel<Op><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(gx, g, x, out, n, p0, p1);
  }
};
template <BinaryOp Op>
struct BinaryFwd {
  static void run(float* out, const float* a, const float* b, const Plan* p, int64_t n) {
    if (p->ndim == 1 && p->a_stride[0] == 1 && p->b_stride[0] == 1)
      binary_same_kernel<Op><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(out, a, b, n);
    else
      binary_forward_kernel<Op><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(out, a, b, *p, n);
  }
};
template <BinaryOp Op>
struct BinaryBwd {
  static void run(float* ga, float* gb, const float* g, const float* a, const float* b, const float* out,
                  const Plan* p, int64_t n) {
    bool ad = is_dense(*p, p->a_stride), bd = is_dense(*p, p->b_stride);
    binary_backward_kernel<Op><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(ga, gb, g, a, b, out, *p, n, ad, bd);
  }
};

}  // namespace

void unary_forward(UnaryOp op, float* out, const float* x, int64_t n, float p0, float p1) {
  if (n <= 0) return;
  dispatch_unary<UnaryFwd>(op, out, x, n, p0, p1);
  check_launch("unary_forward");
}

void unary_backward(UnaryOp op, float* gx, const float* gout, const float* x, const float* out,
                    int64_t n, float p0, float p1) {
  if (n <= 0) return;
  dispatch_unary<UnaryBwd>(op, gx, gout, x, out, n, p0, p1);
  check_launch("unary_backward");
}

void binary_forward(BinaryOp op, float* out, const float* a, const float* b, const Broadcast& bc) {
  int64_t n = bc.size();
  if (n <= 0) return;
  Plan p = make_plan(bc);
  cpu::dispatch_binary<BinaryFwd>(op, out, a, b, &p, n);
  check_launch("binary_forward");
}

void binary_backward(BinaryOp op, float* ga, float* gb, const float* gout, const float* a,
                     const float* b, const float* out, const Broadcast& bc) {
  int64_t n = bc.size();
  if (n <= 0 || (!ga && !gb)) return;
  Plan p = make_plan(bc);
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
