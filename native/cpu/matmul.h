// Matrix multiplication. gemm is the BLAS-style workhorse (conv and linear build on
// it); matmul_forward / matmul_backward are the op's kernel pair.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tl::cpu {

// C[m,n] = alpha * op(A) @ op(B) + beta * C, all row-major. op(A) is [m,k]: A is
// stored [m,k] with row stride lda, or [k,m] when trans_a. Likewise op(B) is [k,n]:
// B is stored [k,n] with row stride ldb, or [n,k] when trans_b. beta == 0 never reads C.
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc);

// `batch` independent gemms; a batch stride of 0 broadcasts that operand.
void gemm_batched(bool trans_a, bool trans_b, int64_t batch, int64_t m, int64_t n, int64_t k,
                  float alpha, const float* a, int64_t lda, int64_t stride_a, const float* b,
                  int64_t ldb, int64_t stride_b, float beta, float* c, int64_t ldc,
                  int64_t stride_c);

// out[batch,m,n] = a[batch,m,k] @ b[batch,k,n] (dense, row-major; stride 0 broadcasts).
void matmul_forward(float* out, const float* a, const float* b, int64_t batch, int64_t m,
                    int64_t n, int64_t k, int64_t stride_a, int64_t stride_b);
// ga += g @ b^T, gb += a^T @ g (either may be null). A broadcast operand (stride 0)
// receives the sum over the batch.
void matmul_backward(float* ga, float* gb, const float* g, const float* a, const float* b,
                     int64_t batch, int64_t m, int64_t n, int64_t k, int64_t stride_a,
                     int64_t stride_b);

// gemm with options: an epilogue applied to each finished block of C while it is still
// in cache (bias[j] added to column j, then relu when `relu`), and a cap on threads
// (1 = run on the caller only; conv calls it from inside its own parallel loop).
struct GemmEpilogue {
  const float* bias = nullptr;      // bias[j] added to column j (a linear layer)
  const float* row_bias = nullptr;  // row_bias[i] added to row i (a conv's output channel)
  bool relu = false;
};
void gemm_ex(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
             const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
             int64_t ldc, const GemmEpilogue* epilogue, int max_threads);

// nn.Linear: out[m,n] = act(x[m,k] @ w[n,k]^T + bias[n]); bias may be null; act 0 = none,
// 1 = relu (a forward-only fusion: the caller masks the gradient).
void linear_forward(float* out, const float* x, const float* w, const float* bias, int64_t m,
                    int64_t n, int64_t k, int act);
// gx += g @ w, gw += g^T @ x, gb += column sums of g (each may be null).
void linear_backward(float* gx, float* gw, float* gb, const float* g, const float* x,
                     const float* w, int64_t m, int64_t n, int64_t k);

// Name of the micro-kernel the active instruction set uses (for benchmarks and tests).
const char* gemm_kernel_name();
// The kernel an m x n product runs on: the chosen one, or a narrower tile where the
// chosen one would spend much of its work on edge padding (see arch_for in matmul.cc).
const char* gemm_kernel_for(int64_t m, int64_t n);
// The kernels this CPU can run, by name (index 0 .. count-1; nullptr past the end).
int gemm_kernel_count();
const char* gemm_kernel_at(int i);
// Forces one of them while the active instruction set allows it (tests and benchmarks);
// nullptr or "" returns to the automatic choice. False (nothing changed) for an unknown name.
bool set_gemm_kernel(const char* name);
// The kernel in use and how it was chosen: "probe" (timed against the other candidates
// on this CPU), "cache" (a probe's answer kept from an earlier process, see
// gemm_tune.cc), "default" (TRUNKLINE_TUNE=off, or a single candidate) or "forced"; with
// the candidates under the active instruction set and the probe's seconds for each
// (0 where it did not run). Runs the probe if it has not run yet.
struct GemmChoice {
  std::string kernel, how;
  std::vector<std::pair<std::string, double>> candidates;
};
GemmChoice gemm_kernel_choice();
// Probes again under the active instruction set whatever the cache says, and records
// the answer there (npx trunkline tune).
GemmChoice gemm_retune();
// trunkline's version, part of the tuning cache's key; set before the first product.
void set_gemm_tune_version(const char* version);
std::string gemm_tune_cache_path();  // "" where there is no cache directory
std::string gemm_cpu_model();

}  // namespace tl::cpu
