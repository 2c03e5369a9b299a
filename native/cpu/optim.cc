#include "optim.h"

#include <cmath>

#include "../core/parallel.h"

// Float selects stay branches under GCC's default -ftrapping-math, which blocks
// vectorisation; these kernels never read FP exception flags. (Code under this pragma
// does not inline std:: math wrappers compiled without it, hence __builtin_sqrtf.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "no-math-errno")
#endif

namespace tl::cpu {
namespace {

constexpr int64_t kGrain = 1 << 14;  // parameters below this update on the calling thread

// Each update runs as a chunk function taking its scalars by value and its arrays as
// restrict pointers, so GCC sees no aliasing and every variant vectorises.
template <typename F>
void chunks(int64_t n, F f) {
  parallel_for(n, kGrain, [&](int64_t lo, int64_t hi) { f(lo, hi - lo); });
}

void sgd_plain(float* __restrict p, const float* __restrict g, int64_t n, float lr, float wd) {
  for (int64_t i = 0; i < n; ++i) p[i] -= lr * (g[i] + wd * p[i]);
}

void sgd_momentum(float* __restrict p, const float* __restrict g, float* __restrict buf, int64_t n,
                  float lr, float wd, float mom, float damp, bool nesterov, bool first) {
  // first: buf = g (PyTorch clones the gradient into a fresh buffer).
  const float keep = first ? 0.0f : mom, take = first ? 1.0f : damp;
  if (nesterov) {
    for (int64_t i = 0; i < n; ++i) {
      float d = g[i] + wd * p[i];
      float b = keep * buf[i] + take * d;
      buf[i] = b;
      p[i] -= lr * (d + mom * b);
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      float d = g[i] + wd * p[i];
      float b = keep * buf[i] + take * d;
      buf[i] = b;
      p[i] -= lr * b;
    }
  }
}

void adam_chunk(float* __restrict p, const float* __restrict g, float* __restrict m,
                float* __restrict v, float* __restrict vmax, int64_t n, float b1, float b2,
                float eps, float l2, float decay, float step_size, float inv_bc2_sqrt) {
  for (int64_t i = 0; i < n; ++i) {
    float pi = p[i] * decay;
    float gi = g[i] + l2 * pi;
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    if (vmax) {
      vi = vi > vmax[i] ? vi : vmax[i];
      vmax[i] = vi;
    }
    p[i] = pi - step_size * mi / (__builtin_sqrtf(vi) * inv_bc2_sqrt + eps);
  }
}

void rmsprop_chunk(float* __restrict p, const float* __restrict g, float* __restrict sq,
                   float* __restrict ga, float* __restrict buf, int64_t n, float lr, float a,
                   float eps, float wd, float mom) {
  for (int64_t i = 0; i < n; ++i) {
    float gi = g[i] + wd * p[i];
    float s = a * sq[i] + (1.0f - a) * gi * gi;
    sq[i] = s;
    float avg;
    if (ga) {
      float c = a * ga[i] + (1.0f - a) * gi;
      ga[i] = c;
      avg = __builtin_sqrtf(s - c * c) + eps;
    } else {
      avg = __builtin_sqrtf(s) + eps;
    }
    if (buf) {
      float b = mom * buf[i] + gi / avg;
      buf[i] = b;
      p[i] -= lr * b;
    } else {
      p[i] -= lr * gi / avg;
    }
  }
}

void adagrad_chunk(float* __restrict p, const float* __restrict g, float* __restrict sum,
                   int64_t n, float clr, float wd, float eps) {
  for (int64_t i = 0; i < n; ++i) {
    float gi = g[i] + wd * p[i];
    float s = sum[i] + gi * gi;
    sum[i] = s;
    p[i] -= clr * gi / (__builtin_sqrtf(s) + eps);
  }
}

}  // namespace

void sgd_update(float* param, const float* grad, float* buf, int64_t n, const SgdParams& h) {
  const SgdParams c = h;
  chunks(n, [&](int64_t o, int64_t len) {
    if (c.momentum == 0.0f)
      sgd_plain(param + o, grad + o, len, c.lr, c.weight_decay);
    else
      sgd_momentum(param + o, grad + o, buf + o, len, c.lr, c.weight_decay, c.momentum,
                   1.0f - c.dampening, c.nesterov, c.first_step);
  });
}

void adam_update(float* param, const float* grad, float* m, float* v, float* v_max, int64_t n,
                 const AdamParams& h) {
  const double bc1 = 1.0 - std::pow(static_cast<double>(h.beta1), static_cast<double>(h.step));
  const double bc2 = 1.0 - std::pow(static_cast<double>(h.beta2), static_cast<double>(h.step));
  const float step_size = static_cast<float>(h.lr / bc1);
  const float inv_bc2_sqrt = static_cast<float>(1.0 / std::sqrt(bc2));
  // AdamW decays the parameter before the step; Adam adds wd * p to the gradient.
  const float decay = h.decoupled ? static_cast<float>(1.0 - static_cast<double>(h.lr) * h.weight_decay) : 1.0f;
  const float l2 = h.decoupled ? 0.0f : h.weight_decay;
  const AdamParams c = h;
  float* vmax = h.amsgrad ? v_max : nullptr;
  chunks(n, [&](int64_t o, int64_t len) {
    adam_chunk(param + o, grad + o, m + o, v + o, vmax ? vmax + o : nullptr, len, c.beta1, c.beta2,
               c.eps, l2, decay, step_size, inv_bc2_sqrt);
  });
}

void rmsprop_update(float* param, const float* grad, float* sq, float* ga, float* buf, int64_t n,
                    const RmspropParams& h) {
  const RmspropParams c = h;
  float* grad_avg = h.centered ? ga : nullptr;
  float* mbuf = h.momentum > 0 ? buf : nullptr;
  chunks(n, [&](int64_t o, int64_t len) {
    rmsprop_chunk(param + o, grad + o, sq + o, grad_avg ? grad_avg + o : nullptr,
                  mbuf ? mbuf + o : nullptr, len, c.lr, c.alpha, c.eps, c.weight_decay, c.momentum);
  });
}

void adagrad_update(float* param, const float* grad, float* sum, int64_t n,
                    const AdagradParams& h) {
  const float clr = static_cast<float>(h.lr / (1.0 + static_cast<double>(h.step - 1) * h.lr_decay));
  const AdagradParams c = h;
  chunks(n, [&](int64_t o, int64_t len) {
    adagrad_chunk(param + o, grad + o, sum + o, len, clr, c.weight_decay, c.eps);
  });
}

}  // namespace tl::cpu
