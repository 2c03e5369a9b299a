// softmax and log-softmax along one axis, forward + backward. The input is viewed as
// [outer, axis, inner] (inner = product of the dims after the axis). Numerically stable:
// each slice subtracts its max before exponentiating. Backward kernels accumulate (+=).
#pragma once
#include <cstdint>

namespace tl::cpu {

// out = softmax(x) (log-softmax when `log`) along the middle dim of [outer, axis, inner].
void softmax_forward(float* out, const float* x, int64_t outer, int64_t axis, int64_t inner,
                     bool log);
// softmax:     gx += y * (g - sum_axis(g * y))
// log-softmax: gx += g - exp(y) * sum_axis(g)
// y is the forward output.
void softmax_backward(float* gx, const float* g, const float* y, int64_t outer, int64_t axis,
                      int64_t inner, bool log);

}  // namespace tl::cpu
