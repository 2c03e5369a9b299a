// Index validation on the device. Kernels that index with user data first check the
// indices here (one small kernel and a 12-byte readback) so a bad index is a thrown
// std::out_of_range, never an access outside a buffer.
#pragma once
#include <cstdint>

namespace tl::cuda {

// Position of the first idx[i] (i < n) outside [lo, hi) and not equal to `allowed`, or
// -1 when all are fine; *bad_value receives that index.
int64_t find_bad_index(const int32_t* idx, int64_t n, int64_t lo, int64_t hi, int64_t allowed,
                       int32_t* bad_value);

}  // namespace tl::cuda
