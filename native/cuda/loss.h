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

#include "../core/kernels/loss.inc"

}  // namespace tl::cuda
