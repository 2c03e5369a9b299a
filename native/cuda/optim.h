// CUDA twin of native/cpu/optim.h: fused in-place optimizer updates (PyTorch formulas).
// Each returns the index of the first non-finite gradient element (nothing written) or -1.
#pragma once
#include <cstdint>

#include "../cpu/optim.h"

namespace tl::cuda {

using cpu::AdagradParams;
using cpu::AdamParams;
using cpu::RmspropParams;
using cpu::SgdParams;

int64_t sgd_update(float* param, const float* grad, float* momentum_buf, int64_t n, const SgdParams& h);
int64_t adam_update(float* param, const float* grad, float* m, float* v, float* v_max, int64_t n, const AdamParams& h);
int64_t rmsprop_update(float* param, const float* grad, float* square_avg, float* grad_avg, float* momentum_buf,
                    int64_t n, const RmspropParams& h);
int64_t adagrad_update(float* param, const float* grad, float* sum, int64_t n, const AdagradParams& h);

}  // namespace tl::cuda
