#include "../cpu/softmax.h"

#include "args.h"
#include "registry.h"
#ifdef TL_WITH_CUDA
#include "../cuda/softmax.h"
#endif

namespace tl::binding {
namespace {

// Reads (outer, axis, inner) at i..i+2 and returns their product, checked for overflow.
int64_t dims_arg(const Args& a, size_t i, int64_t& outer, int64_t& axis, int64_t& inner) {
  outer = a.integer(i);
  axis = a.integer(i + 1);
  inner = a.integer(i + 2);
  return checked_numel(a, {outer, axis, inner});
}

// (out, x, outer, axis, inner, log)
TL_KERNEL(softmax_forward) {
  a.expect_count(6);
  int64_t outer, axis, inner;
  int64_t n = dims_arg(a, 2, outer, axis, inner);
  auto out = a.f32(0, n);
  auto x = a.f32(1, n);
  bool log = a.boolean(5);
  if (n == 0) return;
  TL_DISPATCH(a.same_device(out, x), softmax_forward(out.ptr, x.ptr, outer, axis, inner, log));
}

// (gx, g, y, outer, axis, inner, log)
TL_KERNEL(softmax_backward) {
  a.expect_count(7);
  int64_t outer, axis, inner;
  int64_t n = dims_arg(a, 3, outer, axis, inner);
  auto gx = a.f32(0, n);
  auto g = a.f32(1, n);
  auto y = a.f32(2, n);
  bool log = a.boolean(6);
  if (n == 0) return;
  TL_DISPATCH(a.same_device(gx, g, y), softmax_backward(gx.ptr, g.ptr, y.ptr, outer, axis, inner, log));
}

}  // namespace
}  // namespace tl::binding
