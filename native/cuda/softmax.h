// CUDA twin of native/cpu/softmax.h: softmax / log-softmax along the middle dim of
// [outer, axis, inner], forward + backward (accumulating).
#pragma once
#include <cstdint>

namespace tl::cuda {

void softmax_forward(float* out, const float* x, int64_t outer, int64_t axis, int64_t inner, bool log);
void softmax_backward(float* gx, const float* g, const float* y, int64_t outer, int64_t axis, int64_t inner,
                      bool log);

}  // namespace tl::cuda
