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
TL_KERNEL_VALUE(sgd_update) {
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

// Adam's settings at i..i+6: lr, beta1, beta2, eps, weightDecay, decoupled, amsgrad.
cpu::AdamParams adam_params(const Args& a, size_t i) {
  cpu::AdamParams h;
  h.lr = f32_arg(a, i);
  h.beta1 = f32_arg(a, i + 1);
  h.beta2 = f32_arg(a, i + 2);
  h.eps = f32_arg(a, i + 3);
  h.weight_decay = f32_arg(a, i + 4);
  h.decoupled = a.boolean(i + 5);
  h.amsgrad = a.boolean(i + 6);
  return h;
}

// (param, grad, m, v, vMax|null, n, lr, beta1, beta2, eps, weightDecay, decoupled, amsgrad, step)
TL_KERNEL_VALUE(adam_update) {
  a.expect_count(14);
  int64_t n = a.integer(5);
  auto p = a.f32(0, n);
  auto g = a.f32(1, n);
  auto m = a.f32(2, n);
  auto v = a.f32(3, n);
  auto vmax = a.f32_opt(4, n);
  cpu::AdamParams h = adam_params(a, 6);
  h.step = a.integer(13, 1);
  if (h.amsgrad && !vmax.ptr) a.fail("amsgrad needs a max-second-moment buffer");
  int64_t bad = -1;
  TL_DISPATCH_TO(bad, a.same_device(p, g, m, v, vmax), adam_update(p.ptr, g.ptr, m.ptr, v.ptr, vmax.ptr, n, h));
  return first_bad(info, bad);
}

// Argument i as a list of `count` host float32 buffers (count = -1: any length); each
// must hold at least lens[k] elements when lens is given.
std::vector<float*> f32_list(const Args& a, const Napi::CallbackInfo& info, size_t i, int64_t count,
                             const std::vector<int64_t>* lens) {
  if (i >= info.Length() || !info[i].IsArray()) a.fail("argument " + std::to_string(i) + " must be an array of float32 buffers");
  auto arr = info[i].As<Napi::Array>();
  if (count >= 0 && arr.Length() != static_cast<uint32_t>(count))
    a.fail("argument " + std::to_string(i) + " holds " + std::to_string(arr.Length()) + " buffers, expected " + std::to_string(count));
  std::vector<float*> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    Napi::Value v = arr.Get(k);
    std::string where = "argument " + std::to_string(i) + "[" + std::to_string(k) + "]";
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      a.fail(where + " must be a host float32 buffer (the multi-tensor update runs on the CPU)");
    auto ta = v.As<Napi::Float32Array>();
    if (lens && static_cast<int64_t>(ta.ElementLength()) < (*lens)[k])
      a.fail(where + " holds " + std::to_string(ta.ElementLength()) + " elements, the update needs " + std::to_string((*lens)[k]));
    static float empty = 0;
    out[k] = ta.ElementLength() ? ta.Data() : &empty;
  }
  return out;
}

// (params[], grads[], ms[], vs[], vMaxes[]|null, sizes[], steps[], lr, beta1, beta2, eps,
// weightDecay, decoupled, amsgrad) -> -1, or [tensor, element] of the first non-finite
// gradient (tensors before it updated, it and the rest unchanged).
TL_KERNEL_VALUE(adam_update_multi) {
  a.expect_count(14);
  std::vector<int64_t> sizes = a.ints(5, 1 << 20), steps = a.ints(6, 1 << 20);
  const int64_t count = static_cast<int64_t>(sizes.size());
  if (static_cast<int64_t>(steps.size()) != count) a.fail("sizes and steps differ in length");
  for (int64_t k = 0; k < count; ++k) {
    if (sizes[k] < 0) a.fail("sizes[" + std::to_string(k) + "] is negative");
    if (steps[k] < 1) a.fail("steps[" + std::to_string(k) + "] must be >= 1");
  }
  auto p = f32_list(a, info, 0, count, &sizes);
  auto g = f32_list(a, info, 1, count, &sizes);
  auto m = f32_list(a, info, 2, count, &sizes);
  auto v = f32_list(a, info, 3, count, &sizes);
  cpu::AdamParams h = adam_params(a, 7);
  std::vector<float*> vmax;
  if (h.amsgrad) {
    if (info[4].IsNull() || info[4].IsUndefined()) a.fail("amsgrad needs max-second-moment buffers");
    vmax = f32_list(a, info, 4, count, &sizes);
  }
  std::vector<cpu::AdamTensor> ts(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) ts[k] = {p[k], g[k], m[k], v[k], h.amsgrad ? vmax[k] : nullptr, sizes[k], steps[k]};
  int64_t bad_element = -1;
  int64_t bad = a.guard([&] { return cpu::adam_update_multi(ts.data(), count, h, &bad_element); });
  if (bad < 0) return Napi::Number::New(info.Env(), -1);
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), static_cast<double>(bad)));
  out.Set(1u, Napi::Number::New(info.Env(), static_cast<double>(bad_element)));
  return out;
}

// (param, grad, squareAvg, gradAvg|null, momentumBuf|null, n, lr, alpha, eps, weightDecay, momentum, centered)
TL_KERNEL_VALUE(rmsprop_update) {
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
TL_KERNEL_VALUE(adagrad_update) {
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
}  // namespace tl::binding
