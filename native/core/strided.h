// Host-side planning of n-d index spaces, shared by the CPU kernels and their CUDA twins:
// the broadcast/copy coalescer and the reduction planner. Both backends launch from the
// same plan, so a shape is walked the same way (and its edge cases handled the same way)
// on either device.
#pragma once
#include <cstdint>

namespace tl {

constexpr int kMaxDims = 8;

// Elements of an index space: the product of its first ndim extents.
inline int64_t dims_size(int ndim, const int64_t* shape) {
  int64_t n = 1;
  for (int d = 0; d < ndim; ++d) n *= shape[d];
  return n;
}

// An index space read through two strided operands (a broadcast's two inputs, a copy's
// destination and source), rewritten in place: size-1 dims dropped (they never move an
// index) and neighbours merged where both operands are contiguous across them, so the
// common cases (same shape, row bias, scalar, plain copy) become one or two flat dims.
// A scalar result keeps one dim of size 1 with stride 0; dims past the new ndim are zeroed.
inline void coalesce_dims(int& ndim, int64_t* shape, int64_t* s0, int64_t* s1) {
  int n = 0;
  for (int d = 0; d < ndim; ++d) {
    if (shape[d] == 1) continue;
    if (n > 0 && s0[n - 1] == s0[d] * shape[d] && s1[n - 1] == s1[d] * shape[d]) {
      shape[n - 1] *= shape[d];
      s0[n - 1] = s0[d];
      s1[n - 1] = s1[d];
      continue;
    }
    shape[n] = shape[d];
    s0[n] = s0[d];
    s1[n] = s1[d];
    ++n;
  }
  if (n == 0) {
    shape[0] = 1;
    s0[0] = s1[0] = 0;
    n = 1;
  }
  for (int d = n; d < ndim; ++d) shape[d] = s0[d] = s1[d] = 0;
  ndim = n;
}

// A reduction's input seen as [outer kept dims..., reduced dims..., contiguous kept tail],
// size-1 dims dropped and neighbouring dims of one kind merged. Output o is
// (outer position p, tail position j): o = p * inner + j; element r of its reduction is
// at the outer offset of p, plus j, plus the reduced offset of r.
struct ReducePlan {
  int n_outer = 0, n_red = 0;
  int64_t outer_shape[kMaxDims] = {}, outer_stride[kMaxDims] = {};
  int64_t red_shape[kMaxDims] = {}, red_stride[kMaxDims] = {};
  int64_t inner = 1, outer_count = 1, red_count = 1;
  int64_t out_size() const { return outer_count * inner; }
};

// The plan of a dense row-major tensor of `shape` reduced over the dims marked in
// `reduced`. A zero-size dim leaves no offsets to walk: the plan is then just the counts
// (outer_count outputs, or red_count == 0 elements each), with no dims.
inline ReducePlan make_reduce_plan(int ndim, const int64_t* shape, const bool* reduced) {
  int n = 0;
  int64_t size[kMaxDims];
  bool red[kMaxDims];
  bool empty = false;
  for (int d = 0; d < ndim; ++d) {
    if (shape[d] == 0) empty = true;
    if (shape[d] == 1) continue;
    if (n > 0 && red[n - 1] == reduced[d]) {
      size[n - 1] *= shape[d];
    } else {
      size[n] = shape[d];
      red[n] = reduced[d];
      ++n;
    }
  }
  ReducePlan p;
  if (empty) {
    p.outer_count = p.red_count = 1;
    for (int d = 0; d < ndim; ++d) (reduced[d] ? p.red_count : p.outer_count) *= shape[d];
    return p;
  }
  int64_t stride[kMaxDims];
  int64_t acc = 1;
  for (int g = n - 1; g >= 0; --g) {
    stride[g] = acc;
    acc *= size[g];
  }
  int last_outer = n;
  if (n > 0 && !red[n - 1]) {  // a trailing kept group is the contiguous tail
    p.inner = size[n - 1];
    last_outer = n - 1;
  }
  for (int g = 0; g < last_outer; ++g) {
    if (red[g]) {
      p.red_shape[p.n_red] = size[g];
      p.red_stride[p.n_red++] = stride[g];
      p.red_count *= size[g];
    } else {
      p.outer_shape[p.n_outer] = size[g];
      p.outer_stride[p.n_outer++] = stride[g];
      p.outer_count *= size[g];
    }
  }
  return p;
}

}  // namespace tl
