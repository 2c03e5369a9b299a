// CUDA twin of native/cpu/reduce.h: sums (double accumulation), max/min with their
// argument, variance; forward + backward on the current stream. extreme_backward throws
// std::out_of_range (checked on the device first) for an index outside the reduced dims.
#pragma once
#include <cstdint>

#include "../cpu/reduce.h"

namespace tl::cuda {

using cpu::ReduceShape;

#include "../core/kernels/reduce.inc"

}  // namespace tl::cuda
