#include "../cpu/optim.h"

#include "args.h"
#include "registry.h"
#ifdef TL_WITH_CUDA
#include "../cuda/optim.h"
#endif

namespace tl::binding {
namespace {

// Every update returns the index of the first non-finite gradient element, in which case
// it wrote nothing, or -1.
Napi::Value first_bad(const Napi::CallbackInfo& info, int64_t bad) {
  return Napi::Number::New(info.Env(), static_cast<double>(bad));
}

float f32_arg(const Args& a, size_t i) { return static_cast<float>(a.number(i)); }

// (param, grad, momentumBuf|null, n, lr, momentum, dampening, weightDecay, nesterov, firstStep)
Napi::Value SgdUpdate(const Napi::CallbackInfo& info) {
  Args a(info, "sgd_update");
  a.expect_count(10);
  int64_t n = a.integer(3);
  auto p = a.f32(0, n);
  auto g = a.f32(1, n);
  auto buf = a.f32_opt(2, n);
  cpu::SgdParams h;
  h.lr = f32_arg(a, 4);
  h.momentum = f32_arg(a, 5);
  h.dampening = f32_arg(a, 6);
  h.weight_decay = f32_arg(a, 7);
  h.nesterov = a.boolean(8);
  h.first_step = a.boolean(9);
  if (h.momentum != 0 && !buf.ptr) a.fail("momentum needs a momentum buffer");
  int64_t bad = -1;
  TL_DISPATCH_TO(bad, a.same_device(p, g, buf), sgd_update(p.ptr, g.ptr, buf.ptr, n, h));
  return first_bad(info, bad);
}

// (param, grad, m, v, vMax|null, n, lr, beta1, beta2, eps, weightDecay, decoupled, amsgrad, step)
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  Args a(info, "adam_update");
  a.expect_count(14);
  int64_t n = a.integer(5);
  auto p = a.f32(0, n);
  auto g = a.f32(1, n);
  auto m = a.f32(2, n);
  auto v = a.f32(3, n);
  auto vmax = a.f32_opt(4, n);
  cpu::AdamParams h;
  h.lr = f32_arg(a, 6);
  h.beta1 = f32_arg(a, 7);
  h.beta2 = f32_arg(a, 8);
  h.eps = f32_arg(a, 9);
  h.weight_decay = f32_arg(a, 10);
  h.decoupled = a.boolean(11);
  h.amsgrad = a.boolean(12);
  h.step = a.integer(13, 1);
  if (h.amsgrad && !vmax.ptr) a.fail("amsgrad needs a max-second-moment buffer");
  int64_t bad = -1;
  TL_DISPATCH_TO(bad, a.same_device(p, g, m, v, vmax), adam_update(p.ptr, g.ptr, m.ptr, v.ptr, vmax.ptr, n, h));
  return first_bad(info, bad);
}

// (param, grad, squareAvg, gradAvg|null, momentumBuf|null, n, lr, alpha, eps, weightDecay, momentum, centered)
Napi::Value RmspropUpdate(const Napi::CallbackInfo& info) {
  Args a(info, "rmsprop_update");
  a.expect_count(12);
  int64_t n = a.integer(5);
  auto p = a.f32(0, n);
  auto g = a.f32(1, n);
  auto sq = a.f32(2, n);
  auto ga = a.f32_opt(3, n);
  auto buf = a.f32_opt(4, n);
  cpu::RmspropParams h;
  h.lr = f32_arg(a, 6);
  h.alpha = f32_arg(a, 7);
  h.eps = f32_arg(a, 8);
  h.weight_decay = f32_arg(a, 9);
  h.momentum = f32_arg(a, 10);
  h.centered = a.boolean(11);
  if (h.centered && !ga.ptr) a.fail("centered needs a gradient-average buffer");
  if (h.momentum > 0 && !buf.ptr) a.fail("momentum needs a momentum buffer");
  int64_t bad = -1;
  TL_DISPATCH_TO(bad, a.same_device(p, g, sq, ga, buf), rmsprop_update(p.ptr, g.ptr, sq.ptr, ga.ptr, buf.ptr, n, h));
  return first_bad(info, bad);
}

// (param, grad, sum, n, lr, lrDecay, weightDecay, eps, step)
Napi::Value AdagradUpdate(const Napi::CallbackInfo& info) {
  Args a(info, "adagrad_update");
  a.expect_count(9);
  int64_t n = a.integer(3);
  auto p = a.f32(0, n);
  auto g = a.f32(1, n);
  auto sum = a.f32(2, n);
  cpu::AdagradParams h;
  h.lr = f32_arg(a, 4);
  h.lr_decay = f32_arg(a, 5);
  h.weight_decay = f32_arg(a, 6);
  h.eps = f32_arg(a, 7);
  h.step = a.integer(8, 1);
  int64_t bad = -1;
  TL_DISPATCH_TO(bad, a.same_device(p, g, sum), adagrad_update(p.ptr, g.ptr, sum.ptr, n, h));
  return first_bad(info, bad);
}

}  // namespace

KernelList optim_kernels() {
  return {
      {"sgd_update", SgdUpdate},
      {"adam_update", AdamUpdate},
      {"rmsprop_update", RmspropUpdate},
      {"adagrad_update", AdagradUpdate},
  };
}

}  // namespace tl::binding
