// CUDA twin of native/cpu/reduce.h: sums (double accumulation), max/min with their
// argument, variance; forward + backward on the current stream.
#pragma once
#include <cstdint>

#include "../cpu/reduce.h"

namespace tl::cuda {

using cpu::ReduceShape;

void sum_forward(float* out, const float* x, const ReduceShape& rs, float scale);
void sum_backward(float* gx, const float* g, const ReduceShape& rs, float scale);
void extreme_forward(bool is_max, float* out, int32_t* index, const float* x, const ReduceShape& rs);
// Throws std::out_of_range (checked on the device first) for an index outside the reduced dims.
void extreme_backward(float* gx, const float* g, const int32_t* index, const ReduceShape& rs);
void var_forward(float* out, float* mean_out, const float* x, const ReduceShape& rs, double correction);
void var_backward(float* gx, const float* g, const float* x, const float* mean, const ReduceShape& rs,
                  double correction);

}  // namespace tl::cuda
