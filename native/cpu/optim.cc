#include "optim.h"

#include <cmath>

#include "../core/parallel.h"

// Float selects stay branches under GCC's default -ftrapping-math, which blocks
// vectorisation; these kernels never read FP exception flags. (Code under this pragma
// does not inline functions compiled without it: element_math.h is included below it so
// its per-element updates are compiled with it, and uses __builtin_sqrtf.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "no-math-errno")
#endif

#include "../core/element_math.h"

namespace tl::cpu {
namespace {

constexpr int64_t kGrain = 1 << 14;  // parameters below this update on the calling thread

// Each update runs as a chunk function taking its scalars by value and its arrays as
// restrict pointers, so GCC sees no aliasing and every variant vectorises. The chunk
// functions stay out of line: inlined into the parallel_for lambda, the restrict
// guarantee is lost through the nested element call and GCC adds runtime alias checks.
template <typename F>
void chunks(int64_t n, F f) {
  parallel_for(n, kGrain, [&](int64_t lo, int64_t hi) { f(lo, hi - lo); });
}

[[gnu::noinline]] void sgd_chunk(float* __restrict p, const float* __restrict g, float* __restrict buf, int64_t n,
               elem::SgdScalars s) {
  for (int64_t i = 0; i < n; ++i) elem::sgd_element(p, g, buf, i, s);
}

[[gnu::noinline]] void adam_chunk(float* __restrict p, const float* __restrict g, float* __restrict m,
                float* __restrict v, float* __restrict vmax, int64_t n, elem::AdamScalars s) {
  for (int64_t i = 0; i < n; ++i) elem::adam_element(p, g, m, v, vmax, i, s);
}

[[gnu::noinline]] void rmsprop_chunk(float* __restrict p, const float* __restrict g, float* __restrict sq,
                   float* __restrict ga, float* __restrict buf, int64_t n, elem::RmspropScalars s) {
  for (int64_t i = 0; i < n; ++i) elem::rmsprop_element(p, g, sq, ga, buf, i, s);
}

[[gnu::noinline]] void adagrad_chunk(float* __restrict p, const float* __restrict g, float* __restrict sum,
                   int64_t n, float clr, float wd, float eps) {
  for (int64_t i = 0; i < n; ++i) elem::adagrad_element(p, g, sum, i, clr, wd, eps);
}

}  // namespace

// Optional state arrays are passed as null where the variant does not use them, so the
// element updates skip them (and GCC splits each loop on that test).
void sgd_update(float* param, const float* grad, float* buf, int64_t n, const SgdParams& h) {
  const elem::SgdScalars s = elem::sgd_scalars(h);
  float* mbuf = h.momentum != 0.0f ? buf : nullptr;
  chunks(n, [&](int64_t o, int64_t len) { sgd_chunk(param + o, grad + o, mbuf ? mbuf + o : nullptr, len, s); });
}

void adam_update(float* param, const float* grad, float* m, float* v, float* v_max, int64_t n,
                 const AdamParams& h) {
  const elem::AdamScalars s = elem::adam_scalars(h);
  float* vmax = h.amsgrad ? v_max : nullptr;
  chunks(n, [&](int64_t o, int64_t len) {
    adam_chunk(param + o, grad + o, m + o, v + o, vmax ? vmax + o : nullptr, len, s);
  });
}

void rmsprop_update(float* param, const float* grad, float* sq, float* ga, float* buf, int64_t n,
                    const RmspropParams& h) {
  const elem::RmspropScalars s = elem::rmsprop_scalars(h);
  float* grad_avg = h.centered ? ga : nullptr;
  float* mbuf = h.momentum > 0 ? buf : nullptr;
  chunks(n, [&](int64_t o, int64_t len) {
    rmsprop_chunk(param + o, grad + o, sq + o, grad_avg ? grad_avg + o : nullptr,
                  mbuf ? mbuf + o : nullptr, len, s);
  });
}

void adagrad_update(float* param, const float* grad, float* sum, int64_t n,
                    const AdagradParams& h) {
  const float clr = elem::adagrad_lr(h);
  const AdagradParams c = h;
  chunks(n, [&](int64_t o, int64_t len) {
    adagrad_chunk(param + o, grad + o, sum + o, len, clr, c.weight_decay, c.eps);
  });
}

}  // namespace tl::cpu
