// CUDA twin of native/cpu/matmul.h. gemm picks its kernel from the matmul precision
// (runtime.h): fp32 SIMT ('highest'), TF32 tensor cores ('high') or BF16 operands with
// fp32 accumulation ('medium'). No cuBLAS: the kernels are in matmul.cu.
#pragma once
#include <cstdint>

namespace tl::cuda {

#include "../core/kernels/matmul.inc"

// gb[j] += sum over rows of g[m, n] (bias gradients).
void column_sums(float* gb, const float* g, int64_t m, int64_t n);

}  // namespace tl::cuda
