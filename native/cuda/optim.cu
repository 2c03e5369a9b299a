// Optimizer updates on the device, one thread per parameter. The per-element updates and
// their scalars come from native/core/element_math.h, shared with native/cpu/optim.cc;
// its square roots and divisions are the IEEE-rounded intrinsics on the device, so
// --use_fast_math does not move the result away from the CPU's.
//
// As on the CPU, a non-finite gradient leaves the parameter and its state unchanged: a
// check kernel records the first non-finite gradient index on the device, the update
// kernel, queued right behind it, returns at once when one was found, and the host reads
// the index back (one 8-byte copy, which waits for the stream, per parameter and step).
#include <climits>

#include "../core/element_math.h"
#include "launch.cuh"
#include "optim.h"

namespace tl::cuda {
namespace {

constexpr unsigned long long kClean = ULLONG_MAX;

__global__ void first_nonfinite_kernel(unsigned long long* first, const float* g, int64_t n) {
  TL_GRID_STRIDE(i, n) {
    if (!isfinite(g[i])) atomicMin(first, static_cast<unsigned long long>(i));
  }
}

// Every update kernel starts with this: nothing is written once the check found a
// non-finite gradient element.
#define TL_UNLESS_NONFINITE(first) \
  if (*(first) != kClean) return

// Runs the check, then launch(first) (the update kernel, given the device flag), then
// reads the flag back: the first non-finite index, or -1.
template <typename Launch>
int64_t checked(const char* what, const float* grad, int64_t n, Launch launch) {
  if (n <= 0) return -1;
  auto* first = static_cast<unsigned long long*>(device_alloc(sizeof(unsigned long long)));
  unsigned long long pos = kClean;
  try {
    copy_to_device(first, &pos, sizeof pos);
    first_nonfinite_kernel<<<blocks_for(n), 256, 0, stream()>>>(first, grad, n);
    check_launch(what);
    launch(first);
    check_launch(what);
    copy_to_host(&pos, first, sizeof pos);
  } catch (...) {
    device_free(first);
    throw;
  }
  device_free(first);
  return pos == kClean ? -1 : static_cast<int64_t>(pos);
}

// Optional state arrays are null where the variant does not use them.
__global__ void sgd_kernel(const unsigned long long* first, float* param, const float* grad, float* buf, int64_t n, elem::SgdScalars s) {
  TL_UNLESS_NONFINITE(first);
  TL_GRID_STRIDE(i, n) elem::sgd_element(param, grad, buf, i, s);
}

__global__ void adam_kernel(const unsigned long long* first, float* param, const float* grad, float* m, float* v, float* v_max, int64_t n,
                            elem::AdamScalars s) {
  TL_UNLESS_NONFINITE(first);
  TL_GRID_STRIDE(i, n) elem::adam_element(param, grad, m, v, v_max, i, s);
}

__global__ void rmsprop_kernel(const unsigned long long* first, float* param, const float* grad, float* sq, float* ga, float* buf, int64_t n,
                               elem::RmspropScalars s) {
  TL_UNLESS_NONFINITE(first);
  TL_GRID_STRIDE(i, n) elem::rmsprop_element(param, grad, sq, ga, buf, i, s);
}

__global__ void adagrad_kernel(const unsigned long long* first, float* param, const float* grad, float* sum, int64_t n, float clr, float wd,
                               float eps) {
  TL_UNLESS_NONFINITE(first);
  TL_GRID_STRIDE(i, n) elem::adagrad_element(param, grad, sum, i, clr, wd, eps);
}

}  // namespace

int64_t sgd_update(float* param, const float* grad, float* buf, int64_t n, const SgdParams& h) {
  return checked("sgd_update", grad, n, [&](const unsigned long long* first) {
    sgd_kernel<<<blocks_for(n), 256, 0, stream()>>>(first, param, grad, h.momentum != 0.0f ? buf : nullptr, n,
                                                     elem::sgd_scalars(h));
  });
}

int64_t adam_update(float* param, const float* grad, float* m, float* v, float* v_max, int64_t n,
                    const AdamParams& h) {
  return checked("adam_update", grad, n, [&](const unsigned long long* first) {
    adam_kernel<<<blocks_for(n), 256, 0, stream()>>>(first, param, grad, m, v, h.amsgrad ? v_max : nullptr, n,
                                                      elem::adam_scalars(h));
  });
}

int64_t rmsprop_update(float* param, const float* grad, float* sq, float* ga, float* buf, int64_t n,
                       const RmspropParams& h) {
  return checked("rmsprop_update", grad, n, [&](const unsigned long long* first) {
    rmsprop_kernel<<<blocks_for(n), 256, 0, stream()>>>(first, param, grad, sq, h.centered ? ga : nullptr,
                                                         h.momentum > 0 ? buf : nullptr, n, elem::rmsprop_scalars(h));
  });
}

int64_t adagrad_update(float* param, const float* grad, float* sum, int64_t n, const AdagradParams& h) {
  return checked("adagrad_update", grad, n, [&](const unsigned long long* first) {
    adagrad_kernel<<<blocks_for(n), 256, 0, stream()>>>(first, param, grad, sum, n, elem::adagrad_lr(h),
                                                         h.weight_decay, h.eps);
  });
}

}  // namespace tl::cuda
