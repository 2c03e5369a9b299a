#include "../cpu/elementwise.h"

#include <initializer_list>
#include <utility>

#include "args.h"
#include "registry.h"
#ifdef TL_WITH_CUDA
#include "../cuda/elementwise.h"
#endif

namespace tl::binding {
namespace {

template <typename Op>
Op op_arg(const Args& a, size_t i, Op count) {
  return static_cast<Op>(a.integer(i, 0, static_cast<int64_t>(count) - 1));
}

// (op, out, x, n, p0, p1)
TL_KERNEL(unary_forward) {
  a.expect_count(6);
  auto op = op_arg(a, 0, cpu::UnaryOp::Count);
  int64_t n = a.integer(3);
  auto out = a.f32(1, n);
  auto x = a.f32(2, n);
  float p0 = static_cast<float>(a.number(4)), p1 = static_cast<float>(a.number(5));
  TL_DISPATCH(a.same_device(out, x), unary_forward(op, out.ptr, x.ptr, n, p0, p1));
}

// (op, gx, gout, x, out, n, p0, p1); out may be null for ops that do not use it.
TL_KERNEL(unary_backward) {
  a.expect_count(8);
  auto op = op_arg(a, 0, cpu::UnaryOp::Count);
  int64_t n = a.integer(5);
  auto gx = a.f32(1, n);
  auto g = a.f32(2, n);
  auto x = a.f32(3, n);
  auto out = a.f32_opt(4, n);
  if (cpu::needs_out(op) && !out.ptr) a.fail("this op's backward needs the forward output");
  float p0 = static_cast<float>(a.number(6)), p1 = static_cast<float>(a.number(7));
  TL_DISPATCH(a.same_device(gx, g, x, out), unary_backward(op, gx.ptr, g.ptr, x.ptr, out.ptr, n, p0, p1));
}

// The broadcast description: output shape plus each input's strides (0 = broadcast).
cpu::Broadcast broadcast_arg(const Args& a, size_t i, int64_t& a_len, int64_t& b_len) {
  auto shape = a.ints(i, cpu::kMaxDims);
  auto sa = a.ints(i + 1, cpu::kMaxDims);
  auto sb = a.ints(i + 2, cpu::kMaxDims);
  if (sa.size() != shape.size() || sb.size() != shape.size())
    a.fail("shape and stride arrays differ in length");
  cpu::Broadcast bc;
  bc.ndim = static_cast<int>(shape.size());
  a_len = 1;
  b_len = 1;
  checked_numel(a, shape);
  for (int d = 0; d < bc.ndim; ++d) {
    if (sa[d] < 0 || sb[d] < 0) a.fail("negative stride");
    bc.shape[d] = shape[d];
    bc.a_stride[d] = sa[d];
    bc.b_stride[d] = sb[d];
    if (shape[d] == 0) { a_len = 0; b_len = 0; }
  }
  // The largest element offset each input is read at, so buffer lengths can be checked.
  if (a_len != 0) {
    int64_t ma = 0, mb = 0;
    for (int d = 0; d < bc.ndim; ++d) {
      ma += (shape[d] - 1) * sa[d];
      mb += (shape[d] - 1) * sb[d];
    }
    a_len = ma + 1;
    b_len = mb + 1;
  }
  return bc;
}

// (op, out, a, b, outShape, aStrides, bStrides)
TL_KERNEL(binary_forward) {
  a.expect_count(7);
  auto op = op_arg(a, 0, cpu::BinaryOp::Count);
  int64_t a_len, b_len;
  cpu::Broadcast bc = broadcast_arg(a, 4, a_len, b_len);
  int64_t n = bc.size();
  auto out = a.f32(1, n);
  auto x = a.f32(2, a_len);
  auto y = a.f32(3, b_len);
  if (n == 0) return;
  TL_DISPATCH(a.same_device(out, x, y), binary_forward(op, out.ptr, x.ptr, y.ptr, bc));
}

// (op, ga|null, gb|null, gout, a, b, out|null, outShape, aStrides, bStrides)
TL_KERNEL(binary_backward) {
  a.expect_count(10);
  auto op = op_arg(a, 0, cpu::BinaryOp::Count);
  int64_t a_len, b_len;
  cpu::Broadcast bc = broadcast_arg(a, 7, a_len, b_len);
  int64_t n = bc.size();
  auto ga = a.f32_opt(1, a_len);
  auto gb = a.f32_opt(2, b_len);
  auto g = a.f32(3, n);
  auto x = a.f32(4, a_len);
  auto y = a.f32(5, b_len);
  auto out = a.f32_opt(6, n);
  if (cpu::needs_out(op) && (ga.ptr || gb.ptr) && !out.ptr) a.fail("this op's backward needs the forward output");
  if (n == 0) return;
  TL_DISPATCH(a.same_device(ga, gb, g, x, y, out), binary_backward(op, ga.ptr, gb.ptr, g.ptr, x.ptr, y.ptr, out.ptr, bc));
}

// (y, x, alpha, n): y += alpha * x
TL_KERNEL(axpy) {
  a.expect_count(4);
  int64_t n = a.integer(3);
  auto y = a.f32(0, n);
  auto x = a.f32(1, n);
  float alpha = static_cast<float>(a.number(2));
  TL_DISPATCH(a.same_device(y, x), axpy(y.ptr, x.ptr, alpha, n));
}

// (out, value, n)
TL_KERNEL(fill) {
  a.expect_count(3);
  int64_t n = a.integer(2);
  auto out = a.f32(0, n);
  float v = static_cast<float>(a.number(1));
  TL_DISPATCH(a.same_device(out), fill(out.ptr, v, n));
}

// () -> { unary: [{ name, needsOutput }], binary: [...] }: the ops in code order, from
// the lists in native/core/element_math.h, so TS looks codes up by name.
TL_KERNEL_VALUE(elementwise_ops) {
  Napi::Env env = info.Env();
  auto list = [&](std::initializer_list<std::pair<const char*, bool>> ops) {
    Napi::Array arr = Napi::Array::New(env, ops.size());
    uint32_t i = 0;
    for (const auto& [name, needs_out] : ops) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", name);
      o.Set("needsOutput", needs_out);
      arr.Set(i++, o);
    }
    return arr;
  };
#define TL_ENTRY(Op, name) {#name, elem::Op::needs_out},
  Napi::Object r = Napi::Object::New(env);
  r.Set("unary", list({TL_UNARY_OPS(TL_ENTRY)}));
  r.Set("binary", list({TL_BINARY_OPS(TL_ENTRY)}));
#undef TL_ENTRY
  return r;
}

}  // namespace
}  // namespace tl::binding
