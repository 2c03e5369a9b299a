// Convolution and pooling: shape checks (channels, groups, output sizes) and dispatch.
#include "../cpu/conv.h"

#include <stdexcept>

#include "args.h"
#include "registry.h"
#ifdef TL_WITH_CUDA
#include "../cuda/conv.h"
#endif

namespace tl::binding {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 31;

int64_t mul(const Args& a, std::initializer_list<int64_t> xs) {
  int64_t n = 1;
  for (int64_t x : xs) {
    if (x != 0 && n > INT64_MAX / x) a.fail("sizes are too large");
    n *= x;
  }
  return n;
}

int64_t out_size(const Args& a, const char* dim, int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dil) {
  int64_t span = dil * (k - 1) + 1;
  if (in + 2 * pad < span)
    a.fail(std::string("kernel ") + dim + " extent " + std::to_string(span) + " is larger than the padded input " +
           std::to_string(in + 2 * pad));
  return (in + 2 * pad - span) / stride + 1;
}

// dims = [n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups]
cpu::Conv2dShape conv_shape(const Args& a, size_t i) {
  auto d = a.ints(i, 14);
  if (d.size() != 14) a.fail("conv dims must have 14 entries");
  for (size_t j = 0; j < d.size(); ++j)
    if (d[j] < 0 || d[j] > kMaxDim) a.fail("conv dim " + std::to_string(j) + " = " + std::to_string(d[j]) + " is out of range");
  cpu::Conv2dShape s{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], 0, 0};
  if (s.kh < 1 || s.kw < 1 || s.sh < 1 || s.sw < 1 || s.dh < 1 || s.dw < 1 || s.groups < 1)
    a.fail("kernel size, stride, dilation and groups must be at least 1");
  if (s.c % s.groups || s.o % s.groups)
    a.fail("groups " + std::to_string(s.groups) + " must divide in channels " + std::to_string(s.c) +
           " and out channels " + std::to_string(s.o));
  s.oh = out_size(a, "height", s.h, s.kh, s.sh, s.ph, s.dh);
  s.ow = out_size(a, "width", s.w, s.kw, s.sw, s.pw, s.dw);
  return s;
}

int64_t weight_len(const Args& a, const cpu::Conv2dShape& s) {
  return mul(a, {s.o, s.groups ? s.c / s.groups : 0, s.kh, s.kw});
}

// (out, x, w, bias|null, dims)
TL_KERNEL(conv2d_forward) {
  a.expect_count(5);
  auto s = conv_shape(a, 4);
  auto out = a.f32(0, mul(a, {s.n, s.o, s.oh, s.ow}));
  auto x = a.f32(1, mul(a, {s.n, s.c, s.h, s.w}));
  auto w = a.f32(2, weight_len(a, s));
  auto bias = a.f32_opt(3, s.o);
  TL_DISPATCH(a.same_device(out, x, w, bias), conv2d_forward(out.ptr, x.ptr, w.ptr, bias.ptr, s));
}

// (gx|null, gw|null, gb|null, g, x, w, dims)
TL_KERNEL(conv2d_backward) {
  a.expect_count(7);
  auto s = conv_shape(a, 6);
  int64_t xl = mul(a, {s.n, s.c, s.h, s.w}), wl = weight_len(a, s);
  auto gx = a.f32_opt(0, xl);
  auto gw = a.f32_opt(1, wl);
  auto gb = a.f32_opt(2, s.o);
  auto g = a.f32(3, mul(a, {s.n, s.o, s.oh, s.ow}));
  auto x = a.f32(4, xl);
  auto w = a.f32(5, wl);
  TL_DISPATCH(a.same_device(gx, gw, gb, g, x, w), conv2d_backward(gx.ptr, gw.ptr, gb.ptr, g.ptr, x.ptr, w.ptr, s));
}

// dims = [n, c, h, w, kh, kw, sh, sw, ph, pw]
cpu::Pool2dShape pool_shape(const Args& a, size_t i) {
  auto d = a.ints(i, 10);
  if (d.size() != 10) a.fail("pool dims must have 10 entries");
  for (size_t j = 0; j < d.size(); ++j)
    if (d[j] < 0 || d[j] > kMaxDim) a.fail("pool dim " + std::to_string(j) + " = " + std::to_string(d[j]) + " is out of range");
  cpu::Pool2dShape s{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], 0, 0};
  if (s.kh < 1 || s.kw < 1 || s.sh < 1 || s.sw < 1) a.fail("kernel size and stride must be at least 1");
  if (2 * s.ph > s.kh || 2 * s.pw > s.kw)
    a.fail("padding " + std::to_string(s.ph) + "x" + std::to_string(s.pw) + " must be at most half the kernel " +
           std::to_string(s.kh) + "x" + std::to_string(s.kw));
  s.oh = out_size(a, "height", s.h, s.kh, s.sh, s.ph, 1);
  s.ow = out_size(a, "width", s.w, s.kw, s.sw, s.pw, 1);
  return s;
}

// (out, argmax(int32), x, dims)
TL_KERNEL(maxpool2d_forward) {
  a.expect_count(4);
  auto s = pool_shape(a, 3);
  int64_t ol = mul(a, {s.n, s.c, s.oh, s.ow});
  auto out = a.f32(0, ol);
  auto idx = a.i32(1, ol);
  auto x = a.f32(2, mul(a, {s.n, s.c, s.h, s.w}));
  TL_DISPATCH(a.same_device(out, idx, x), maxpool2d_forward(out.ptr, idx.ptr, x.ptr, s));
}

// (gx, g, argmax, dims)
TL_KERNEL(maxpool2d_backward) {
  a.expect_count(4);
  auto s = pool_shape(a, 3);
  int64_t ol = mul(a, {s.n, s.c, s.oh, s.ow});
  auto gx = a.f32(0, mul(a, {s.n, s.c, s.h, s.w}));
  auto g = a.f32(1, ol);
  auto idx = a.i32(2, ol);
  TL_DISPATCH(a.same_device(gx, g, idx), maxpool2d_backward(gx.ptr, g.ptr, idx.ptr, s));
}

// (out, x, dims)
TL_KERNEL(avgpool2d_forward) {
  a.expect_count(3);
  auto s = pool_shape(a, 2);
  auto out = a.f32(0, mul(a, {s.n, s.c, s.oh, s.ow}));
  auto x = a.f32(1, mul(a, {s.n, s.c, s.h, s.w}));
  TL_DISPATCH(a.same_device(out, x), avgpool2d_forward(out.ptr, x.ptr, s));
}

// (gx, g, dims)
TL_KERNEL(avgpool2d_backward) {
  a.expect_count(3);
  auto s = pool_shape(a, 2);
  auto gx = a.f32(0, mul(a, {s.n, s.c, s.h, s.w}));
  auto g = a.f32(1, mul(a, {s.n, s.c, s.oh, s.ow}));
  TL_DISPATCH(a.same_device(gx, g), avgpool2d_backward(gx.ptr, g.ptr, s));
}

}  // namespace
}  // namespace tl::binding
