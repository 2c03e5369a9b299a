// Optimizer updates on the device, one thread per parameter. The per-element updates and
// their scalars come from native/core/element_math.h, shared with native/cpu/optim.cc;
// its square roots and divisions are the IEEE-rounded intrinsics on the device, so
// --use_fast_math does not move the result away from the CPU's.
#include "../core/element_math.h"
#include "launch.cuh"
#include "optim.h"

namespace tl::cuda {
namespace {

// Optional state arrays are null where the variant does not use them.
__global__ void sgd_kernel(float* param, const float* grad, float* buf, int64_t n, elem::SgdScalars s) {
  TL_GRID_STRIDE(i, n) elem::sgd_element(param, grad, buf, i, s);
}

__global__ void adam_kernel(float* param, const float* grad, float* m, float* v, float* v_max, int64_t n,
                            elem::AdamScalars s) {
  TL_GRID_STRIDE(i, n) elem::adam_element(param, grad, m, v, v_max, i, s);
}

__global__ void rmsprop_kernel(float* param, const float* grad, float* sq, float* ga, float* buf, int64_t n,
                               elem::RmspropScalars s) {
  TL_GRID_STRIDE(i, n) elem::rmsprop_element(param, grad, sq, ga, buf, i, s);
}

__global__ void adagrad_kernel(float* param, const float* grad, float* sum, int64_t n, float clr, float wd,
                               float eps) {
  TL_GRID_STRIDE(i, n) elem::adagrad_element(param, grad, sum, i, clr, wd, eps);
}

}  // namespace

void sgd_update(float* param, const float* grad, float* buf, int64_t n, const SgdParams& h) {
  if (n <= 0) return;
  sgd_kernel<<<blocks_for(n), 256, 0, stream()>>>(param, grad, h.momentum != 0.0f ? buf : nullptr, n,
                                                   elem::sgd_scalars(h));
  check_launch("sgd_update");
}

void adam_update(float* param, const float* grad, float* m, float* v, float* v_max, int64_t n, const AdamParams& h) {
  if (n <= 0) return;
  adam_kernel<<<blocks_for(n), 256, 0, stream()>>>(param, grad, m, v, h.amsgrad ? v_max : nullptr, n,
                                                    elem::adam_scalars(h));
  check_launch("adam_update");
}

void rmsprop_update(float* param, const float* grad, float* sq, float* ga, float* buf, int64_t n,
                    const RmspropParams& h) {
  if (n <= 0) return;
  rmsprop_kernel<<<blocks_for(n), 256, 0, stream()>>>(param, grad, sq, h.centered ? ga : nullptr,
                                                       h.momentum > 0 ? buf : nullptr, n, elem::rmsprop_scalars(h));
  check_launch("rmsprop_update");
}

void adagrad_update(float* param, const float* grad, float* sum, int64_t n, const AdagradParams& h) {
  if (n <= 0) return;
  adagrad_kernel<<<blocks_for(n), 256, 0, stream()>>>(param, grad, sum, n, elem::adagrad_lr(h), h.weight_decay, h.eps);
  check_launch("adagrad_update");
}

}  // namespace tl::cuda
