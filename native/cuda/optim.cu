// Optimizer updates on the device, one thread per parameter. Same operation order as
// native/cpu/optim.cc; square roots and divisions use the IEEE-rounded intrinsics so
// --use_fast_math does not move the result away from the CPU's.
#include <cmath>

#include "launch.cuh"
#include "optim.h"

namespace tl::cuda {
namespace {

__device__ __forceinline__ float div_rn(float a, float b) { return __fdiv_rn(a, b); }
__device__ __forceinline__ float sqrt_rn(float a) { return __fsqrt_rn(a); }

__global__ void sgd_kernel(float* param, const float* grad, float* buf, int64_t n, float lr, float mom, float damp,
                           float wd, bool nesterov, bool first) {
  TL_GRID_STRIDE(i, n) {
    float g = grad[i] + wd * param[i];
    if (mom == 0.0f) {
      param[i] -= lr * g;
    } else {
      float b = first ? g : mom * buf[i] + damp * g;
      buf[i] = b;
      param[i] -= lr * (nesterov ? g + mom * b : b);
    }
  }
}

__global__ void adam_kernel(float* param, const float* grad, float* m, float* v, float* v_max, int64_t n,
                            float step_size, float inv_bc2_sqrt, float b1, float b2, float eps, float decay, float l2,
                            bool ams) {
  TL_GRID_STRIDE(i, n) {
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
    param[i] = p - div_rn(step_size * mi, sqrt_rn(vi) * inv_bc2_sqrt + eps);
  }
}

__global__ void rmsprop_kernel(float* param, const float* grad, float* sq, float* ga, float* buf, int64_t n, float lr,
                               float a, float eps, float wd, float mom, bool centered) {
  TL_GRID_STRIDE(i, n) {
    float g = grad[i] + wd * param[i];
    float s = a * sq[i] + (1.0f - a) * g * g;
    sq[i] = s;
    float avg;
    if (centered) {
      float gi = a * ga[i] + (1.0f - a) * g;
      ga[i] = gi;
      avg = sqrt_rn(s - gi * gi) + eps;
    } else {
      avg = sqrt_rn(s) + eps;
    }
    if (mom > 0) {
      float b = mom * buf[i] + div_rn(g, avg);
      buf[i] = b;
      param[i] -= lr * b;
    } else {
      param[i] -= div_rn(lr * g, avg);
    }
  }
}

__global__ void adagrad_kernel(float* param, const float* grad, float* sum, int64_t n, float clr, float wd,
                               float eps) {
  TL_GRID_STRIDE(i, n) {
    float g = grad[i] + wd * param[i];
    float s = sum[i] + g * g;
    sum[i] = s;
    param[i] -= div_rn(clr * g, sqrt_rn(s) + eps);
  }
}

}  // namespace

void sgd_update(float* param, const float* grad, float* buf, int64_t n, const SgdParams& h) {
  if (n <= 0) return;
  sgd_kernel<<<blocks_for(n), 256, 0, stream()>>>(param, grad, buf, n, h.lr, h.momentum, 1.0f - h.dampening,
                                                   h.weight_decay, h.nesterov, h.first_step);
  check_launch("sgd_update");
}

void adam_update(float* param, const float* grad, float* m, float* v, float* v_max, int64_t n, const AdamParams& h) {
  if (n <= 0) return;
  // Step-only scalars in float64, as on the CPU.
  const double bc1 = 1.0 - std::pow(static_cast<double>(h.beta1), static_cast<double>(h.step));
  const double bc2 = 1.0 - std::pow(static_cast<double>(h.beta2), static_cast<double>(h.step));
  const float step_size = static_cast<float>(h.lr / bc1);
  const float inv_bc2_sqrt = static_cast<float>(1.0 / std::sqrt(bc2));
  const float decay = h.decoupled ? static_cast<float>(1.0 - static_cast<double>(h.lr) * h.weight_decay) : 1.0f;
  const float l2 = h.decoupled ? 0.0f : h.weight_decay;
  adam_kernel<<<blocks_for(n), 256, 0, stream()>>>(param, grad, m, v, v_max, n, step_size, inv_bc2_sqrt, h.beta1,
                                                    h.beta2, h.eps, decay, l2, h.amsgrad);
  check_launch("adam_update");
}

void rmsprop_update(float* param, const float* grad, float* sq, float* ga, float* buf, int64_t n,
                    const RmspropParams& h) {
  if (n <= 0) return;
  rmsprop_kernel<<<blocks_for(n), 256, 0, stream()>>>(param, grad, sq, ga, buf, n, h.lr, h.alpha, h.eps,
                                                       h.weight_decay, h.momentum, h.centered);
  check_launch("rmsprop_update");
}

void adagrad_update(float* param, const float* grad, float* sum, int64_t n, const AdagradParams& h) {
  if (n <= 0) return;
  const float clr = static_cast<float>(h.lr / (1.0 + static_cast<double>(h.step - 1) * h.lr_decay));
  adagrad_kernel<<<blocks_for(n), 256, 0, stream()>>>(param, grad, sum, n, clr, h.weight_decay, h.eps);
  check_launch("adagrad_update");
}

}  // namespace tl::cuda
