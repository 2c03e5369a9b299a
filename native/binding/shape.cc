#include "../cpu/shape.h"

#include <exception>

#include "args.h"
#include "registry.h"
#ifdef TL_WITH_CUDA
#include "../cuda/shape.h"
#endif

namespace tl::binding {
namespace {

// Whether argument i is an int32 buffer (typed array or device block); shape kernels
// move int32 data as well as float32.
bool is_int32(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length()) return false;
  Napi::Value v = info[i];
  if (v.IsTypedArray()) return v.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array;
  DeviceBlock* block = device_block(v);
  return block && block->dtype == 1;
}

// The elements a strided block touches from `offset`: the largest offset + 1 (0 if empty).
int64_t extent(const Args& a, int64_t offset, const std::vector<int64_t>& shape, const std::vector<int64_t>& strides) {
  int64_t hi = offset;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) return 0;
    if (strides[d] < 0) a.fail("negative stride");
    if (strides[d] != 0 && shape[d] - 1 > (INT64_MAX - hi) / strides[d]) a.fail("strides overflow");
    hi += (shape[d] - 1) * strides[d];
  }
  return hi + 1;
}

// (dst, dstOffset, dstStrides, src, srcOffset, srcStrides, shape, accumulate)
TL_KERNEL(copy_block) {
  a.expect_count(8);
  auto shape = a.ints(6, cpu::kMaxDims);
  auto ds = a.ints(2, cpu::kMaxDims);
  auto ss = a.ints(5, cpu::kMaxDims);
  if (ds.size() != shape.size() || ss.size() != shape.size()) a.fail("shape and stride arrays differ in length");
  checked_numel(a, shape);
  int64_t doff = a.integer(1), soff = a.integer(4);
  bool accumulate = a.boolean(7);
  int64_t dlen = extent(a, doff, shape, ds), slen = extent(a, soff, shape, ss);
  cpu::StridedBlock b;
  b.ndim = static_cast<int>(shape.size());
  for (int d = 0; d < b.ndim; ++d) {
    b.shape[d] = shape[d];
    b.dst_stride[d] = ds[d];
    b.src_stride[d] = ss[d];
  }
  if (is_int32(info, 0)) {
    if (accumulate) a.fail("accumulate needs float32 buffers");
    auto dst = a.i32(0, dlen);
    auto src = a.i32(3, slen);
    if (dlen == 0) return;
    TL_DISPATCH(a.same_device(dst, src), copy_block_i32(dst.ptr + doff, src.ptr + soff, b));
  } else {
    auto dst = a.f32(0, dlen);
    auto src = a.f32(3, slen);
    if (dlen == 0) return;
    TL_DISPATCH(a.same_device(dst, src), copy_block(dst.ptr + doff, src.ptr + soff, b, accumulate));
  }
}

struct IndexDims {
  int64_t outer, n, inner, k;
};

IndexDims index_dims(const Args& a, size_t i) {
  IndexDims d{a.integer(i), a.integer(i + 1), a.integer(i + 2), a.integer(i + 3)};
  checked_numel(a, {d.outer, d.n, d.inner});
  checked_numel(a, {d.outer, d.k, d.inner});
  return d;
}

// (out, x, index, outer, n, inner, k)
TL_KERNEL(index_select_forward) {
  a.expect_count(7);
  IndexDims d = index_dims(a, 3);
  auto index = a.i32(2, d.k);
  if (is_int32(info, 0)) {
    auto out = a.i32(0, d.outer * d.k * d.inner);
    auto x = a.i32(1, d.outer * d.n * d.inner);
    TL_DISPATCH(a.same_device(out, x, index), index_select_forward_i32(out.ptr, x.ptr, index.ptr, d.outer, d.n, d.inner, d.k));
  } else {
    auto out = a.f32(0, d.outer * d.k * d.inner);
    auto x = a.f32(1, d.outer * d.n * d.inner);
    TL_DISPATCH(a.same_device(out, x, index), index_select_forward(out.ptr, x.ptr, index.ptr, d.outer, d.n, d.inner, d.k));
  }
}

// (gx, g, index, outer, n, inner, k)
TL_KERNEL(index_select_backward) {
  a.expect_count(7);
  IndexDims d = index_dims(a, 3);
  auto gx = a.f32(0, d.outer * d.n * d.inner);
  auto g = a.f32(1, d.outer * d.k * d.inner);
  auto index = a.i32(2, d.k);
  TL_DISPATCH(a.same_device(gx, g, index), index_select_backward(gx.ptr, g.ptr, index.ptr, d.outer, d.n, d.inner, d.k));
}

// (indexShape, xShape, axis) at i..i+2, checked against torch.gather's rules.
cpu::GatherShape gather_shape_arg(const Args& a, size_t i) {
  auto is = a.ints(i, cpu::kMaxDims);
  auto xs = a.ints(i + 1, cpu::kMaxDims);
  if (is.size() != xs.size() || is.empty()) a.fail("index and input must have the same rank (at least 1)");
  checked_numel(a, is);
  checked_numel(a, xs);
  cpu::GatherShape gs;
  gs.ndim = static_cast<int>(is.size());
  gs.axis = static_cast<int>(a.integer(i + 2, 0, gs.ndim - 1));
  for (int d = 0; d < gs.ndim; ++d) {
    gs.index_shape[d] = is[d];
    gs.x_shape[d] = xs[d];
    if (d != gs.axis && is[d] > xs[d])
      a.fail("index dim " + std::to_string(d) + " (" + std::to_string(is[d]) + ") exceeds the input's (" +
             std::to_string(xs[d]) + ")");
  }
  return gs;
}

// (out, x, index, indexShape, xShape, axis)
TL_KERNEL(gather_forward) {
  a.expect_count(6);
  auto gs = gather_shape_arg(a, 3);
  int64_t n_idx = checked_numel(a, std::vector<int64_t>(gs.index_shape, gs.index_shape + gs.ndim));
  int64_t n_x = checked_numel(a, std::vector<int64_t>(gs.x_shape, gs.x_shape + gs.ndim));
  auto index = a.i32(2, n_idx);
  if (is_int32(info, 0)) {
    auto out = a.i32(0, n_idx);
    auto x = a.i32(1, n_x);
    TL_DISPATCH(a.same_device(out, x, index), gather_forward_i32(out.ptr, x.ptr, index.ptr, gs));
  } else {
    auto out = a.f32(0, n_idx);
    auto x = a.f32(1, n_x);
    TL_DISPATCH(a.same_device(out, x, index), gather_forward(out.ptr, x.ptr, index.ptr, gs));
  }
}

// (gx, g, index, indexShape, xShape, axis)
TL_KERNEL(gather_backward) {
  a.expect_count(6);
  auto gs = gather_shape_arg(a, 3);
  int64_t n_idx = checked_numel(a, std::vector<int64_t>(gs.index_shape, gs.index_shape + gs.ndim));
  int64_t n_x = checked_numel(a, std::vector<int64_t>(gs.x_shape, gs.x_shape + gs.ndim));
  auto gx = a.f32(0, n_x);
  auto g = a.f32(1, n_idx);
  auto index = a.i32(2, n_idx);
  TL_DISPATCH(a.same_device(gx, g, index), gather_backward(gx.ptr, g.ptr, index.ptr, gs));
}

}  // namespace
}  // namespace tl::binding
