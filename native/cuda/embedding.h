// CUDA twin of native/cpu/embedding.h: row gathers, scatter-add backward and bags.
// Indices and offsets are checked first (std::out_of_range, same messages as the CPU).
#pragma once
#include <cstdint>

namespace tl::cuda {

void check_indices(const int32_t* idx, int64_t n, int64_t vocab);
void check_offsets(const int32_t* offsets, int64_t bags, int64_t n);

void embedding_forward(float* out, const float* weight, const int32_t* idx, int64_t n, int64_t vocab, int64_t dim);
// Repeated rows add through atomics.
void embedding_backward(float* gweight, const float* gout, const int32_t* idx, int64_t n, int64_t vocab,
                        int64_t dim);
void embedding_bag_forward(float* out, const float* weight, const int32_t* idx, const int32_t* offsets,
                           const float* per_index, int64_t n, int64_t bags, int64_t vocab, int64_t dim, bool mean);
void embedding_bag_backward(float* gweight, float* gper_index, const float* gout, const float* weight,
                            const int32_t* idx, const int32_t* offsets, const float* per_index, int64_t n,
                            int64_t bags, int64_t vocab, int64_t dim, bool mean);

}  // namespace tl::cuda
