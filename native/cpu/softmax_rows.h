// Row primitives shared by softmax, log-softmax and the fused cross-entropy: one copy
// per instruction set (portable, AVX2+FMA, AVX-512), chosen at run time. Each function
// works serially on the rows it is given; callers split rows across threads.
#pragma once
#include <cstdint>

namespace tl::cpu {

struct RowKernels {
  // out[r, :] = softmax(x[r, :]) (or log-softmax when `log`), rows of length n.
  void (*softmax_rows)(float* out, const float* x, int64_t rows, int64_t n, bool log);
  // gx += y * (g - sum(g * y))           (softmax, y = forward output)
  // gx += g - exp(y) * sum(g)            (log-softmax, y = forward output)
  void (*softmax_rows_backward)(float* gx, const float* g, const float* y, int64_t rows, int64_t n,
                                bool log);
  // Softmax along the middle axis of an [axis, inner] slab, for inner columns [i0, i1).
  void (*softmax_strided)(float* out, const float* x, int64_t axis, int64_t inner, int64_t i0,
                          int64_t i1, bool log);
  void (*softmax_strided_backward)(float* gx, const float* g, const float* y, int64_t axis,
                                   int64_t inner, int64_t i0, int64_t i1, bool log);
  // log(sum(exp(x))) of one row, max-subtracted.
  float (*logsumexp)(const float* x, int64_t n);
  // sum(x * w) (w null: sum(x)), accumulated in lanes.
  float (*dot)(const float* x, const float* w, int64_t n);
  // gx[k] += alpha * exp(z[k] - shift) + beta * (w ? w[k] : 1)
  void (*axpy_exp)(float* gx, const float* z, int64_t n, float shift, float alpha, float beta,
                   const float* w);
};

// The table for the active instruction set (tl::active_isa()).
const RowKernels& row_kernels();

namespace portable { extern const RowKernels kRowKernels; }
namespace avx2 { extern const RowKernels kRowKernels; }
namespace avx512 { extern const RowKernels kRowKernels; }

}  // namespace tl::cpu
