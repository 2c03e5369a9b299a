#include "../cpu/reduce.h"

#include "args.h"
#include "registry.h"
#ifdef TL_WITH_CUDA
#include "../cuda/reduce.h"
#endif

namespace tl::binding {
namespace {

// (shape, axes) at arguments i, i+1: the input shape and the distinct dims to reduce.
cpu::ReduceShape reduce_shape_arg(const Args& a, size_t i) {
  auto shape = a.ints(i, cpu::kMaxDims);
  auto axes = a.ints(i + 1, cpu::kMaxDims);
  checked_numel(a, shape);
  cpu::ReduceShape rs;
  rs.ndim = static_cast<int>(shape.size());
  for (int d = 0; d < rs.ndim; ++d) rs.shape[d] = shape[d];
  for (int64_t ax : axes) {
    if (ax < 0 || ax >= rs.ndim)
      a.fail("axis " + std::to_string(ax) + " is out of range for " + std::to_string(rs.ndim) + " dims");
    if (rs.reduced[ax]) a.fail("axis " + std::to_string(ax) + " is repeated");
    rs.reduced[ax] = true;
  }
  return rs;
}

int64_t in_size(const cpu::ReduceShape& rs) { return rs.out_size() * rs.red_size(); }

// (a, b, n) -> sum a[i] * b[i] over host Float32Arrays, accumulated in double.
TL_KERNEL_VALUE(dot_f64) {
  a.expect_count(3);
  int64_t n = a.integer(2);
  auto x = a.f32(0, n);
  auto y = a.f32(1, n);
  if (x.on_device || y.on_device) a.fail("expects host Float32Arrays");
  return Napi::Number::New(info.Env(), cpu::dot_f64(x.ptr, y.ptr, n));
}

// (out, x, shape, axes, scale)
TL_KERNEL(sum_forward) {
  a.expect_count(5);
  auto rs = reduce_shape_arg(a, 2);
  auto out = a.f32(0, rs.out_size());
  auto x = a.f32(1, in_size(rs));
  float scale = static_cast<float>(a.number(4));
  if (rs.out_size() == 0) return;
  TL_DISPATCH(a.same_device(out, x), sum_forward(out.ptr, x.ptr, rs, scale));
}

// (gx, g, shape, axes, scale)
TL_KERNEL(sum_backward) {
  a.expect_count(5);
  auto rs = reduce_shape_arg(a, 2);
  auto gx = a.f32(0, in_size(rs));
  auto g = a.f32(1, rs.out_size());
  float scale = static_cast<float>(a.number(4));
  if (in_size(rs) == 0) return;
  TL_DISPATCH(a.same_device(gx, g), sum_backward(gx.ptr, g.ptr, rs, scale));
}

// (isMax, out|null, index, x, shape, axes)
TL_KERNEL(extreme_forward) {
  a.expect_count(6);
  bool is_max = a.boolean(0);
  auto rs = reduce_shape_arg(a, 4);
  auto out = a.f32_opt(1, rs.out_size());
  auto index = a.i32(2, rs.out_size());
  auto x = a.f32(3, in_size(rs));
  if (rs.out_size() == 0) return;
  if (rs.red_size() == 0) a.fail("cannot take the max or min over zero elements");
  if (rs.red_size() > INT32_MAX) a.fail("the reduced dims hold more than 2^31-1 elements");
  TL_DISPATCH(a.same_device(out, index, x), extreme_forward(is_max, out.ptr, index.ptr, x.ptr, rs));
}

// (gx, g, index, shape, axes)
TL_KERNEL(extreme_backward) {
  a.expect_count(5);
  auto rs = reduce_shape_arg(a, 3);
  auto gx = a.f32(0, in_size(rs));
  auto g = a.f32(1, rs.out_size());
  auto index = a.i32(2, rs.out_size());
  if (rs.out_size() == 0) return;
  bool device = a.same_device(gx, g, index);
  if (!device) {
    // The index usually comes from extreme_forward, but a stray one must not write anywhere.
    for (int64_t o = 0; o < rs.out_size(); ++o)
      if (index.ptr[o] < 0 || index.ptr[o] >= rs.red_size())
        a.fail("index " + std::to_string(index.ptr[o]) + " at position " + std::to_string(o) +
               " is out of range for " + std::to_string(rs.red_size()) + " reduced elements");
    cpu::extreme_backward(gx.ptr, g.ptr, index.ptr, rs);
  } else {
    TL_ON_DEVICE(a, extreme_backward(gx.ptr, g.ptr, index.ptr, rs));
  }
}

double correction_arg(const Args& a, size_t i, const cpu::ReduceShape& rs) {
  double c = a.number(i);
  if (!(c >= 0)) a.fail("correction must be >= 0");
  if (rs.out_size() > 0 && !(static_cast<double>(rs.red_size()) > c))
    a.fail("needs more than " + std::to_string(static_cast<int64_t>(c)) + " reduced elements, got " +
           std::to_string(rs.red_size()));
  return c;
}

// (out, mean|null, x, shape, axes, correction)
TL_KERNEL(var_forward) {
  a.expect_count(6);
  auto rs = reduce_shape_arg(a, 3);
  auto out = a.f32(0, rs.out_size());
  auto mean = a.f32_opt(1, rs.out_size());
  auto x = a.f32(2, in_size(rs));
  double c = correction_arg(a, 5, rs);
  if (rs.out_size() == 0) return;
  TL_DISPATCH(a.same_device(out, mean, x), var_forward(out.ptr, mean.ptr, x.ptr, rs, c));
}

// (gx, g, x, mean, shape, axes, correction)
TL_KERNEL(var_backward) {
  a.expect_count(7);
  auto rs = reduce_shape_arg(a, 4);
  auto gx = a.f32(0, in_size(rs));
  auto g = a.f32(1, rs.out_size());
  auto x = a.f32(2, in_size(rs));
  auto mean = a.f32(3, rs.out_size());
  double c = correction_arg(a, 6, rs);
  if (in_size(rs) == 0) return;
  TL_DISPATCH(a.same_device(gx, g, x, mean), var_backward(gx.ptr, g.ptr, x.ptr, mean.ptr, rs, c));
}

}  // namespace
}  // namespace tl::binding
