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

}  // namespace tl::cpu
