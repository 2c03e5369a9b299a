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

// nn.Linear: out[m,n] = act(x[m,k] @ w[n,k]^T + bias[n]) (act 1 = relu), the bias and
// relu fused into the gemm's store. Backward: gx += g @ w, gw += g^T @ x, gb += column
// sums of g (each may be null).
void linear_forward(float* out, const float* x, const float* w, const float* bias, int64_t m, int64_t n,
                    int64_t k, int act);
void linear_backward(float* gx, float* gw, float* gb, const float* g, const float* x, const float* w, int64_t m,
                     int64_t n, int64_t k);

// gb[j] += sum over rows of g[m, n] (bias gradients).
void column_sums(float* gb, const float* g, int64_t m, int64_t n);

}  // namespace tl::cuda
