#include "optim.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "../core/parallel.h"
#include "finite_check.h"

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

// Runs f(offset, length) over [0, n) in parallel once the gradient g is known to be
// finite; else returns the first non-finite index and writes nothing.
//
// The whole gradient is checked before the first write, so a bad gradient leaves the
// parameter and its state as they were. The price is a second read of g (the check runs
// at cache bandwidth, AVX-512/AVX2 where available: finite_check.h). Both sweeps split
// [0, n) the same way (parallel_for's static split), so each thread re-reads the range
// it has just checked from its own L2 while that range fits there (~1 MB of gradient per
// thread), from L3 or memory beyond. Checking each block just before updating it would
// read g once but could leave a parameter half-updated, which is worse than the extra
// read for the sizes this library trains.
template <typename F>
int64_t chunks(const float* g, int64_t n, F f) {
  if (int64_t bad = first_nonfinite(g, n); bad >= 0) return bad;
  // Each update runs as a chunk function taking its scalars by value and its arrays as
  // restrict pointers, so GCC sees no aliasing and every variant vectorises. The chunk
  // functions stay out of line: inlined into the parallel_for lambda, the restrict
  // guarantee is lost through the nested element call and GCC adds runtime alias checks.
  parallel_for(n, kGrain, [&](int64_t lo, int64_t hi) { f(lo, hi - lo); });
  return -1;
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

int64_t first_nonfinite(const float* x, int64_t n) {
  std::atomic<int64_t> first{n};
  parallel_for(n, kGrain, [&](int64_t lo, int64_t hi) {
    int64_t bad = first_nonfinite_serial(x + lo, hi - lo);
    int64_t at = lo + bad, cur = first.load();
    while (bad >= 0 && at < cur && !first.compare_exchange_weak(cur, at)) {
    }
  });
  return first.load() < n ? first.load() : -1;
}

// Optional state arrays are passed as null where the variant does not use them, so the
// element updates skip them (and GCC splits each loop on that test).
int64_t sgd_update(float* param, const float* grad, float* buf, int64_t n, const SgdParams& h) {
  const elem::SgdScalars s = elem::sgd_scalars(h);
  float* mbuf = h.momentum != 0.0f ? buf : nullptr;
  return chunks(grad, n, [&](int64_t o, int64_t len) { sgd_chunk(param + o, grad + o, mbuf ? mbuf + o : nullptr, len, s); });
}

int64_t adam_update(float* param, const float* grad, float* m, float* v, float* v_max, int64_t n,
                    const AdamParams& h) {
  const elem::AdamScalars s = elem::adam_scalars(h);
  float* vmax = h.amsgrad ? v_max : nullptr;
  return chunks(grad, n, [&](int64_t o, int64_t len) {
    adam_chunk(param + o, grad + o, m + o, v + o, vmax ? vmax + o : nullptr, len, s);
  });
}

int64_t adam_update_multi(const AdamTensor* ts, int64_t count, const AdamParams& h, int64_t* bad_element) {
  *bad_element = -1;
  int64_t ok = count, bad_tensor = -1;
  for (int64_t i = 0; i < count; ++i)
    if (int64_t bad = first_nonfinite(ts[i].grad, ts[i].n); bad >= 0) {
      ok = i;
      bad_tensor = i;
      *bad_element = bad;
      break;
    }
  if (ok == 0) return bad_tensor;
  std::vector<elem::AdamScalars> sc(static_cast<size_t>(ok));
  std::vector<int64_t> start(static_cast<size_t>(ok) + 1, 0);
  for (int64_t i = 0; i < ok; ++i) {
    AdamParams hi = h;
    hi.step = ts[i].step;
    sc[i] = elem::adam_scalars(hi);
    start[i + 1] = start[i] + ts[i].n;
  }
  // Elements [lo, hi) of the tensors laid end to end.
  auto run = [&](int64_t lo, int64_t hi) {
    int64_t i = std::upper_bound(start.begin(), start.end(), lo) - start.begin() - 1;
    for (; i < ok && start[i] < hi; ++i) {
      const AdamTensor& t = ts[i];
      int64_t a = std::max(lo, start[i]) - start[i], b = std::min(hi, start[i + 1]) - start[i];
      if (b <= a) continue;
      float* vmax = h.amsgrad ? t.v_max : nullptr;
      adam_chunk(t.param + a, t.grad + a, t.m + a, t.v + a, vmax ? vmax + a : nullptr, b - a, sc[i]);
    }
  };
  parallel_for(start[ok], kGrain, run);
  return bad_tensor;
}

int64_t rmsprop_update(float* param, const float* grad, float* sq, float* ga, float* buf, int64_t n,
                       const RmspropParams& h) {
  const elem::RmspropScalars s = elem::rmsprop_scalars(h);
  float* grad_avg = h.centered ? ga : nullptr;
  float* mbuf = h.momentum > 0 ? buf : nullptr;
  return chunks(grad, n, [&](int64_t o, int64_t len) {
    rmsprop_chunk(param + o, grad + o, sq + o, grad_avg ? grad_avg + o : nullptr,
                  mbuf ? mbuf + o : nullptr, len, s);
  });
}

int64_t adagrad_update(float* param, const float* grad, float* sum, int64_t n,
                       const AdagradParams& h) {
  const float clr = elem::adagrad_lr(h);
  const AdagradParams c = h;
  return chunks(grad, n, [&](int64_t o, int64_t len) {
    adagrad_chunk(param + o, grad + o, sum + o, len, clr, c.weight_decay, c.eps);
  });
}

}  // namespace tl::cpu
