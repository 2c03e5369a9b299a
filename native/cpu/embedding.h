// Embedding lookups: gather rows of a [vocab, dim] table forward, scatter-add backward,
// and bags (sum/mean of rows) over flat indices + offsets. Every kernel first checks
// every index (and offset) and throws std::out_of_range naming the first bad one, so a
// bad index is an error, never a read or write outside the table. Backward kernels
// accumulate (+=) and split the vocabulary across threads, so rows that several indices
// share are added by one thread in index order: parallel-safe and deterministic.
#pragma once
#include <cstdint>

namespace tl::cpu {

void check_indices(const int32_t* idx, int64_t n, int64_t vocab);
// offsets [bags]: offsets[0] == 0, non-decreasing, all <= n. Bag b is idx[offsets[b],
// offsets[b+1]) (the last bag runs to n).
void check_offsets(const int32_t* offsets, int64_t bags, int64_t n);

// out[i, :] = weight[idx[i], :]
void embedding_forward(float* out, const float* weight, const int32_t* idx, int64_t n,
                       int64_t vocab, int64_t dim);
// gweight[idx[i], :] += gout[i, :]
void embedding_backward(float* gweight, const float* gout, const int32_t* idx, int64_t n,
                        int64_t vocab, int64_t dim);

// out[b, :] = sum_{i in bag b} w_i * weight[idx[i], :]  (w_i = per_index[i] or 1),
// divided by the bag's size when `mean`. Empty bags give zeros.
void embedding_bag_forward(float* out, const float* weight, const int32_t* idx,
                           const int32_t* offsets, const float* per_index, int64_t n,
                           int64_t bags, int64_t vocab, int64_t dim, bool mean);
// gweight[idx[i], :] += w_i / size(bag) * gout[b, :]; gper_index[i] += dot(gout[b, :],
// weight[idx[i], :]) (sum mode; either gradient may be null).
void embedding_bag_backward(float* gweight, float* gper_index, const float* gout,
                            const float* weight, const int32_t* idx, const int32_t* offsets,
                            const float* per_index, int64_t n, int64_t bags, int64_t vocab,
                            int64_t dim, bool mean);

}  // namespace tl::cpu
