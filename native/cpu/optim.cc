#include "optim.h"

#include <cmath>

#include "../core/parallel.h"

namespace tl::cpu {
namespace {

constexpr int64_t kGrain = 1 << 14;  // parameters below this update on the calling thread

template <typename F>
void each(int64_t n, F f) {
  parallel_for(n, kGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) f(i);
  });
}

}  // namespace

void sgd_update(float* param, const float* grad, float* buf, int64_t n, const SgdParams& h) {
  const float lr = h.lr, mom = h.momentum, damp = 1.0f - h.dampening, wd = h.weight_decay;
  if (mom == 0.0f) {
    each(n, [&](int64_t i) { param[i] -= lr * (grad[i] + wd * param[i]); });
  } else if (h.first_step) {
    each(n, [&](int64_t i) {
      float g = grad[i] + wd * param[i];
      buf[i] = g;
      param[i] -= lr * (h.nesterov ? g + mom * g : g);
    });
  } else {
    each(n, [&](int64_t i) {
      float g = grad[i] + wd * param[i];
      float b = mom * buf[i] + damp * g;
      buf[i] = b;
      param[i] -= lr * (h.nesterov ? g + mom * b : b);
    });
  }
}

void adam_update(float* param, const float* grad, float* m, float* v, float* v_max, int64_t n,
                 const AdamParams& h) {
  const double bc1 = 1.0 - std::pow(static_cast<double>(h.beta1), static_cast<double>(h.step));
  const double bc2 = 1.0 - std::pow(static_cast<double>(h.beta2), static_cast<double>(h.step));
  const float step_size = static_cast<float>(h.lr / bc1);
  const float inv_bc2_sqrt = static_cast<float>(1.0 / std::sqrt(bc2));
  const float b1 = h.beta1, b2 = h.beta2, eps = h.eps, wd = h.weight_decay;
  const float decay = h.decoupled ? static_cast<float>(1.0 - static_cast<double>(h.lr) * wd) : 1.0f;
  const float l2 = h.decoupled ? 0.0f : wd;
  const bool ams = h.amsgrad;
  each(n, [&](int64_t i) {
    float p = param[i] * decay;
    float g = grad[i] + l2 * p;
    float mi = b1 * m[i] + (1.0f - b1) * g;
    float vi = b2 * v[i] + (1.0f - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    if (ams) {
      vi = vi > v_max[i] ? vi : v_max[i];
      v_max[i] = vi;
    }
    param[i] = p - step_size * mi / (std::sqrt(vi) * inv_bc2_sqrt + eps);
  });
}

void rmsprop_update(float* param, const float* grad, float* sq, float* ga, float* buf, int64_t n,
                    const RmspropParams& h) {
  const float lr = h.lr, a = h.alpha, eps = h.eps, wd = h.weight_decay, mom = h.momentum;
  const bool centered = h.centered;
  each(n, [&](int64_t i) {
    float g = grad[i] + wd * param[i];
    float s = a * sq[i] + (1.0f - a) * g * g;
    sq[i] = s;
    float avg;
    if (centered) {
      float gi = a * ga[i] + (1.0f - a) * g;
      ga[i] = gi;
      avg = std::sqrt(s - gi * gi) + eps;
    } else {
      avg = std::sqrt(s) + eps;
    }
    if (mom > 0) {
      float b = mom * buf[i] + g / avg;
      buf[i] = b;
      param[i] -= lr * b;
    } else {
      param[i] -= lr * g / avg;
    }
  });
}

void adagrad_update(float* param, const float* grad, float* sum, int64_t n,
                    const AdagradParams& h) {
  const float clr = static_cast<float>(h.lr / (1.0 + static_cast<double>(h.step - 1) * h.lr_decay));
  const float wd = h.weight_decay, eps = h.eps;
  each(n, [&](int64_t i) {
    float g = grad[i] + wd * param[i];
    float s = sum[i] + g * g;
    sum[i] = s;
    param[i] -= clr * g / (std::sqrt(s) + eps);
  });
}

}  // namespace tl::cpu
