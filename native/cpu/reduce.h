// Reductions over any set of axes of a dense row-major tensor: sum (mean = scaled sum),
// max/min with their argument, variance. Forward + backward; backward kernels
// accumulate (+=). The reduced index written by max/min is the row-major position
// within the reduced dims (for one axis: the index along that axis).
#pragma once
#include <cstdint>

#include "../core/strided.h"

namespace tl::cpu {

using tl::kMaxDims;

// The input's shape and which of its dims are reduced. The output is the kept dims in
// order (keepdims only changes how the caller labels that same dense output).
struct ReduceShape {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  bool reduced[kMaxDims] = {};
  int64_t out_size() const;  // product of kept dims
  int64_t red_size() const;  // product of reduced dims
};

// out[o] = scale * sum of x over the reduced positions of o (accumulated in double).
void sum_forward(float* out, const float* x, const ReduceShape& rs, float scale);
// gx[i] += scale * g[o(i)]: the gradient of sum/mean broadcast back.
void sum_backward(float* gx, const float* g, const ReduceShape& rs, float scale);

// out[o] = max (or min) over the reduced positions, index[o] = where (first on ties;
// a NaN wins and propagates). out may be null (argmax only). red_size() must be > 0.
void extreme_forward(bool is_max, float* out, int32_t* index, const float* x, const ReduceShape& rs);
// gx[position index[o] of output o] += g[o]. Every index must be in [0, red_size()).
void extreme_backward(float* gx, const float* g, const int32_t* index, const ReduceShape& rs);

// out[o] = sum((x - mean)^2) / (N - correction), N = red_size() > correction;
// mean_out (may be null) receives the mean, which the backward needs.
void var_forward(float* out, float* mean_out, const float* x, const ReduceShape& rs, double correction);
// gx[i] += g[o] * 2 (x[i] - mean[o]) / (N - correction).
void var_backward(float* gx, const float* g, const float* x, const float* mean, const ReduceShape& rs,
                  double correction);

}  // namespace tl::cpu
