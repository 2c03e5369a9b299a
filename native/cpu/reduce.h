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

#include "../core/kernels/reduce.inc"

// sum a[i] * b[i] over host vectors, accumulated in double: the dot products of flat
// per-task gradients (millions of floats, which a JavaScript loop takes ~2 ns each for).
// Fixed blocks summed in order, so the result does not depend on the thread count. Host
// only: those vectors live in host memory whatever the model's device.
double dot_f64(const float* a, const float* b, int64_t n);

}  // namespace tl::cpu
