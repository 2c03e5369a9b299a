// CUDA twin of native/cpu/matmul.h. gemm picks its kernel from the matmul precision
// (runtime.h): fp32 SIMT ('highest'), TF32 tensor cores ('high') or BF16 operands with
// fp32 accumulation ('medium'). No cuBLAS: the kernels are in matmul.cu.
#pragma once
#include <cstdint>

namespace tl::cuda {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc);

void gemm_batched(bool trans_a, bool trans_b, int64_t batch, int64_t m, int64_t n, int64_t k,
                  float alpha, const float* a, int64_t lda, int64_t stride_a, const float* b,
                  int64_t ldb, int64_t stride_b, float beta, float* c, int64_t ldc,
                  int64_t stride_c);

void matmul_forward(float* out, const float* a, const float* b, int64_t batch, int64_t m,
                    int64_t n, int64_t k, int64_t stride_a, int64_t stride_b);
void matmul_backward(float* ga, float* gb, const float* g, const float* a, const float* b,
                     int64_t batch, int64_t m, int64_t n, int64_t k, int64_t stride_a,
                     int64_t stride_b);

}  // namespace tl::cuda
