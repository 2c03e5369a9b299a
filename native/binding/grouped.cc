// Banks of parallel layers (native/cpu/grouped.h): grouped linear layers and the gated
// mix of expert outputs. CPU kernels: src/ops composes the same from other ops on a device.
#include "../cpu/grouped.h"

#include "args.h"
#include "registry.h"

namespace tl::binding {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 31;

int64_t product(const Args& a, int64_t x, int64_t y) {
  if (x != 0 && y > INT64_MAX / x) a.fail("sizes are too large");
  return x * y;
}

void cpu_only(const Args& a, bool on_device) {
  if (on_device) a.fail("runs on the CPU only (compose it from other ops on a device)");
}

// (out, x, w, bias|null, m, groups, n, k, act)
TL_KERNEL(grouped_linear_forward) {
  a.expect_count(9);
  int64_t m = a.integer(4, 0, kMaxDim), gr = a.integer(5, 1, kMaxDim), n = a.integer(6, 0, kMaxDim), k = a.integer(7, 0, kMaxDim);
  int act = static_cast<int>(a.integer(8, 0, 1));
  auto out = a.f32(0, product(a, m, product(a, gr, n)));
  auto x = a.f32(1, product(a, m, product(a, gr, k)));
  auto w = a.f32(2, product(a, gr, product(a, n, k)));
  auto bias = a.f32_opt(3, product(a, gr, n));
  cpu_only(a, a.same_device(out, x, w, bias));
  a.guard([&] { cpu::grouped_linear_forward(out.ptr, x.ptr, w.ptr, bias.ptr, m, gr, n, k, act); });
}

// (gx|null, gw|null, gb|null, g, x, w, out|null, m, groups, n, k, overwrite); with out, g
// is masked in place; overwrite bits 0/1/2: gx/gw/gb are written, not accumulated.
TL_KERNEL(grouped_linear_backward) {
  a.expect_count(12);
  int overwrite = static_cast<int>(a.integer(11, 0, 7));
  int64_t m = a.integer(7, 0, kMaxDim), gr = a.integer(8, 1, kMaxDim), n = a.integer(9, 0, kMaxDim), k = a.integer(10, 0, kMaxDim);
  int64_t lx = product(a, m, product(a, gr, k)), lg = product(a, m, product(a, gr, n)), lw = product(a, gr, product(a, n, k));
  auto gx = a.f32_opt(0, lx);
  auto gw = a.f32_opt(1, lw);
  auto gb = a.f32_opt(2, product(a, gr, n));
  auto g = a.f32(3, lg);
  auto x = a.f32(4, lx);
  auto w = a.f32(5, lw);
  auto out = a.f32_opt(6, lg);
  cpu_only(a, a.same_device(gx, gw, gb, g, x, w, out));
  a.guard([&] { cpu::grouped_linear_backward(gx.ptr, gw.ptr, gb.ptr, g.ptr, x.ptr, w.ptr, out.ptr, m, gr, n, k, overwrite); });
}

// (out, experts, gate, b, e, d)
TL_KERNEL(mix_experts_forward) {
  a.expect_count(6);
  int64_t b = a.integer(3, 0, kMaxDim), e = a.integer(4, 1, kMaxDim), d = a.integer(5, 0, kMaxDim);
  auto out = a.f32(0, product(a, b, d));
  auto ex = a.f32(1, product(a, b, product(a, e, d)));
  auto gate = a.f32(2, product(a, b, e));
  cpu_only(a, a.same_device(out, ex, gate));
  cpu::mix_experts_forward(out.ptr, ex.ptr, gate.ptr, b, e, d);
}

// (gexperts|null, ggate|null, g, experts, gate, b, e, d, overwrite); overwrite bits 0/1:
// gexperts/ggate are written, not accumulated.
TL_KERNEL(mix_experts_backward) {
  a.expect_count(9);
  int overwrite = static_cast<int>(a.integer(8, 0, 3));
  int64_t b = a.integer(5, 0, kMaxDim), e = a.integer(6, 1, kMaxDim), d = a.integer(7, 0, kMaxDim);
  int64_t lx = product(a, b, product(a, e, d));
  auto gx = a.f32_opt(0, lx);
  auto gg = a.f32_opt(1, product(a, b, e));
  auto g = a.f32(2, product(a, b, d));
  auto ex = a.f32(3, lx);
  auto gate = a.f32(4, product(a, b, e));
  cpu_only(a, a.same_device(gx, gg, g, ex, gate));
  cpu::mix_experts_backward(gx.ptr, gg.ptr, g.ptr, ex.ptr, gate.ptr, b, e, d, overwrite);
}

}  // namespace
}  // namespace tl::binding
