// Matrix multiplication. gemm is the BLAS-style workhorse (conv and linear build on
// it); matmul_forward / matmul_backward are the op's kernel pair.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tl::cpu {

#include "../core/kernels/matmul.inc"

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
