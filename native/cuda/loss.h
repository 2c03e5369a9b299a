// CUDA twin of native/cpu/loss.h: fused softmax cross-entropy, BCE with logits and MSE.
// Weight, mask and label pointers in the argument structs are device pointers here;
// norm is written and read on the device. Labels are checked on the device first.
#pragma once
#include <cstdint>

#include "../cpu/loss.h"

namespace tl::cuda {

using cpu::BceArgs;
using cpu::CrossEntropyArgs;
using cpu::Reduction;

void check_labels(const int32_t* labels, const CrossEntropyArgs& a);
void softmax_cross_entropy_forward(float* out, float* lse, float* norm, const float* logits,
                                   const int32_t* labels, const CrossEntropyArgs& a);
void softmax_cross_entropy_backward(float* glogits, const float* gout, const float* logits,
                                    const int32_t* labels, const float* lse, const float* norm,
                                    const CrossEntropyArgs& a);
void bce_with_logits_forward(float* out, float* norm, const float* x, const float* t, const BceArgs& a);
void bce_with_logits_backward(float* gx, float* gt, const float* gout, const float* x, const float* t,
                              const float* norm, const BceArgs& a);
void mse_forward(float* out, float* norm, const float* p, const float* t, const float* mask, int64_t n,
                 Reduction r);
void mse_backward(float* gp, float* gt, const float* gout, const float* p, const float* t, const float* mask,
                  const float* norm, int64_t n, Reduction r);

}  // namespace tl::cuda
