// Data movement for shape ops. One strided block copy serves permute, slice, concat,
// split and broadcastTo (and, with accumulate, all their backward passes); index
// kernels serve indexSelect and gather. Int32 variants move labels and indices.
#pragma once
#include <cstdint>

#include "elementwise.h"  // kMaxDims

namespace tl::cpu {

// Copies an n-d block: for every index i of `shape`,
// dst[sum i*dst_stride] (=|+=) src[sum i*src_stride]. Offsets are applied by the caller
// to the pointers. A dst stride of 0 on a dim > 1 is allowed only with accumulate.
struct StridedBlock {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t dst_stride[kMaxDims] = {};
  int64_t src_stride[kMaxDims] = {};
  int64_t size() const { return dims_size(ndim, shape); }
};

// Drops size-1 dims and merges neighbours that are contiguous for both sides
// (tl::coalesce_dims). Host code shared with the CUDA twin.
inline StridedBlock coalesce(const StridedBlock& in) {
  StridedBlock out = in;
  coalesce_dims(out.ndim, out.shape, out.dst_stride, out.src_stride);
  return out;
}

// torch.gather along `axis`: index and out share index_shape; x has x_shape (same rank,
// index_shape[d] <= x_shape[d] for d != axis). out[i] = x[i with i[axis] = index[i]].
struct GatherShape {
  int ndim = 0;
  int axis = 0;
  int64_t index_shape[kMaxDims] = {};
  int64_t x_shape[kMaxDims] = {};
};
#include "../core/kernels/shape.inc"

}  // namespace tl::cpu
