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
  int64_t size() const {
    int64_t n = 1;
    for (int d = 0; d < ndim; ++d) n *= shape[d];
    return n;
  }
};

// Drops size-1 dims and merges neighbours that are contiguous for both sides
// (tl::coalesce_dims). Host code shared with the CUDA twin.
inline StridedBlock coalesce(const StridedBlock& in) {
  StridedBlock out = in;
  coalesce_dims(out.ndim, out.shape, out.dst_stride, out.src_stride);
  return out;
}

void copy_block(float* dst, const float* src, const StridedBlock& b, bool accumulate);
void copy_block_i32(int32_t* dst, const int32_t* src, const StridedBlock& b);

// x seen as [outer, n, inner]; out as [outer, k, inner]: out[o][j][i] = x[o][index[j]][i].
// Throws std::out_of_range (before writing anything) if an index is outside [0, n).
void index_select_forward(float* out, const float* x, const int32_t* index, int64_t outer, int64_t n,
                          int64_t inner, int64_t k);
void index_select_forward_i32(int32_t* out, const int32_t* x, const int32_t* index, int64_t outer,
                              int64_t n, int64_t inner, int64_t k);
// gx[o][index[j]][i] += g[o][j][i] (repeated indices add up).
void index_select_backward(float* gx, const float* g, const int32_t* index, int64_t outer, int64_t n,
                           int64_t inner, int64_t k);

// torch.gather along `axis`: index and out share index_shape; x has x_shape (same rank,
// index_shape[d] <= x_shape[d] for d != axis). out[i] = x[i with i[axis] = index[i]].
struct GatherShape {
  int ndim = 0;
  int axis = 0;
  int64_t index_shape[kMaxDims] = {};
  int64_t x_shape[kMaxDims] = {};
};
void gather_forward(float* out, const float* x, const int32_t* index, const GatherShape& gs);
void gather_forward_i32(int32_t* out, const int32_t* x, const int32_t* index, const GatherShape& gs);
void gather_backward(float* gx, const float* g, const int32_t* index, const GatherShape& gs);

}  // namespace tl::cpu
