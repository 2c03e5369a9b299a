// Reference-quality matmul: correct for every transpose and stride; the fast blocked
// kernels replace the inner gemm.
#include "matmul.h"

#include <algorithm>

#include "../core/parallel.h"

namespace tl::cpu {

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  parallel_for(m, std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, n * k)), [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      float* crow = c + i * ldc;
      if (beta == 0.0f) for (int64_t j = 0; j < n; ++j) crow[j] = 0.0f;
      else if (beta != 1.0f) for (int64_t j = 0; j < n; ++j) crow[j] *= beta;
      for (int64_t p = 0; p < k; ++p) {
        float av = alpha * (ta ? a[p * lda + i] : a[i * lda + p]);
        if (av == 0.0f) continue;
        if (!tb) {
          const float* brow = b + p * ldb;
          for (int64_t j = 0; j < n; ++j) crow[j] += av * brow[j];
        } else {
          for (int64_t j = 0; j < n; ++j) crow[j] += av * b[j * ldb + p];
        }
      }
    }
  });
}

void gemm_batched(bool ta, bool tb, int64_t batch, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, int64_t sa, const float* b, int64_t ldb, int64_t sb,
                  float beta, float* c, int64_t ldc, int64_t sc) {
  for (int64_t i = 0; i < batch; ++i)
    gemm(ta, tb, m, n, k, alpha, a + i * sa, lda, b + i * sb, ldb, beta, c + i * sc, ldc);
}

void matmul_forward(float* out, const float* a, const float* b, int64_t batch, int64_t m, int64_t n,
                    int64_t k, int64_t sa, int64_t sb) {
  gemm_batched(false, false, batch, m, n, k, 1.0f, a, k, sa, b, n, sb, 0.0f, out, n, m * n);
}

void matmul_backward(float* ga, float* gb, const float* g, const float* a, const float* b,
                     int64_t batch, int64_t m, int64_t n, int64_t k, int64_t sa, int64_t sb) {
  // Accumulating with beta = 1 makes broadcast operands (stride 0) sum over the batch.
  for (int64_t i = 0; i < batch; ++i) {
    if (ga) gemm(false, true, m, k, n, 1.0f, g + i * m * n, n, b + i * sb, n, 1.0f, ga + i * sa, k);
    if (gb) gemm(true, false, k, n, m, 1.0f, a + i * sa, k, g + i * m * n, n, 1.0f, gb + i * sb, n);
  }
}

}  // namespace tl::cpu
