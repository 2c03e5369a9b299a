// Fused losses on the device. Forward kernels sum loss and weight in float64 (per block
// in shared memory, then one atomic per block), and a one-thread kernel writes the
// reduced loss and norm[0] with the same elem::finish_loss as the CPU. Atomic order varies, so
// the last bits of a reduced loss may differ from run to run.
#include <climits>
#include <stdexcept>
#include <string>

#include "../core/element_math.h"
#include "checks.h"
#include "group.cuh"
#include "launch.cuh"
#include "loss.h"

namespace tl::cuda {
namespace {

// Adds (loss, weight) of this thread into sums[0..1]: block-level first, then global.
__device__ __forceinline__ void add_sums(double* sums, double loss, double weight) {
  __shared__ double block[2];
  if (threadIdx.x == 0) { block[0] = 0; block[1] = 0; }
  __syncthreads();
  if (loss != 0) atomicAdd(&block[0], loss);
  if (weight != 0) atomicAdd(&block[1], weight);
  __syncthreads();
  if (threadIdx.x == 0) {
    atomicAdd(&sums[0], block[0]);
    atomicAdd(&sums[1], block[1]);
  }
}

__global__ void finish_kernel(float* out, float* norm, Reduction r, const double* sums) {
  elem::finish_loss(out, norm, r, sums[0], sums[1]);
}

// Scratch doubles on the device, zeroed, returned to the cache when done (stream order
// keeps later reuse after the kernels that read them).
struct Scratch {
  double* p;
  explicit Scratch(int n) : p(static_cast<double*>(device_alloc(n * sizeof(double)))) {
    try {
      memset_zero(p, n * sizeof(double));
    } catch (...) {
      device_free(p);
      throw;
    }
  }
  ~Scratch() { device_free(p); }
};

// One warp per row: log-sum-exp, the row's loss and weight.
__global__ void ce_forward_kernel(float* out, float* lse, double* sums, const float* logits, const int32_t* labels,
                                  CrossEntropyArgs a) {
  int64_t first, step;
  group_range<32>(first, step);
  double loss_acc = 0, weight_acc = 0;
  const int lane = threadIdx.x % 32;
  const int64_t C = a.classes;
  const float eps = a.label_smoothing;
  // Every warp runs the same trip count so the block-level add_sums below is reached by all.
  int64_t trips = (a.rows + step - 1) / step;
  for (int64_t t = 0; t < trips; ++t) {
    int64_t i = first + t * step;
    if (i >= a.rows) continue;
    const float* z = logits + i * C;
    float m = -INFINITY;
    for (int64_t c = lane; c < C; c += 32) m = fmaxf(m, z[c]);
    m = Group<32>::max(m);
    double s = 0;
    for (int64_t c = lane; c < C; c += 32) s += expf(z[c] - m);
    float l = m + static_cast<float>(::log(Group<32>::sum(s)));
    int32_t y = labels[i];
    double smooth = 0;
    if (eps > 0 && y != a.ignore_index) {
      for (int64_t c = lane; c < C; c += 32) smooth += (a.class_weights ? a.class_weights[c] : 1.0f) * (l - z[c]);
      smooth = Group<32>::sum(smooth);
    }
    if (lane == 0) {
      lse[i] = l;
      float row = 0;
      if (y != a.ignore_index) {
        float sw = a.sample_weights ? a.sample_weights[i] : 1.0f;
        float cwy = a.class_weights ? a.class_weights[y] : 1.0f;
        row = elem::ce_row_loss(l, z[y], cwy, sw, eps, static_cast<float>(smooth), C);
        loss_acc += row;
        weight_acc += static_cast<double>(sw) * cwy;
      }
      if (a.reduction == Reduction::None) out[i] = row;
    }
  }
  add_sums(sums, loss_acc, weight_acc);
}

__global__ void sum_kernel(double* out, const float* v, int64_t n) {
  double acc = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) acc += v[i];
  acc = Group<256>::sum(acc);
  if (threadIdx.x == 0) out[0] = acc;
}

__global__ void ce_backward_kernel(float* glogits, const float* gout, const float* logits, const int32_t* labels,
                                   const float* lse, const float* norm, const double* wsum_p, CrossEntropyArgs a,
                                   int64_t total) {
  const int64_t C = a.classes;
  const float eps = a.label_smoothing;
  const float nrm = norm[0];
  const float wsum = eps > 0 ? (a.class_weights ? static_cast<float>(*wsum_p) : static_cast<float>(C)) : 0.0f;
  TL_GRID_STRIDE(e, total) {
    int64_t i = e / C, k = e % C;
    int32_t y = labels[i];
    if (y == a.ignore_index) continue;
    const elem::CeGrad c = elem::ce_grad(a, i, y, (a.reduction == Reduction::None ? gout[i] : gout[0]) * nrm, wsum);
    if (c.scale == 0) continue;
    float cwk = eps > 0 && a.class_weights ? a.class_weights[k] : 1.0f;
    float d = c.alpha * expf(logits[e] - lse[i]) + c.beta * cwk;
    if (k == y) d -= c.label;
    glogits[e] += d;
  }
}

__global__ void bce_forward_kernel(float* out, double* sums, const float* x, const float* t, BceArgs a, int64_t n) {
  double loss_acc = 0, weight_acc = 0;
  TL_GRID_TRIPS(e, n) {
    float w, pw, v = 0;
    if (elem::bce_weights(a, e, w, pw) && w != 0) {
      v = w * elem::bce_loss(x[e], t[e], pw);
      loss_acc += v;
      weight_acc += w;
    }
    if (a.reduction == Reduction::None) out[e] = v;
  }
  add_sums(sums, loss_acc, weight_acc);
}

__global__ void bce_backward_kernel(float* gx, float* gt, const float* gout, const float* x, const float* t,
                                    const float* norm, BceArgs a, int64_t n) {
  const float nrm = norm[0];
  TL_GRID_STRIDE(e, n) {
    float w, pw;
    if (!elem::bce_weights(a, e, w, pw)) continue;
    float g = (a.reduction == Reduction::None ? gout[e] : gout[0]) * nrm * w;
    if (gx) gx[e] += g * elem::bce_grad_logit(x[e], t[e], pw);
    if (gt) gt[e] += g * elem::bce_grad_target(x[e], pw);
  }
}

__global__ void mse_forward_kernel(float* out, double* sums, const float* p, const float* t, const float* mask,
                                   int64_t n, Reduction r) {
  double loss_acc = 0, weight_acc = 0;
  TL_GRID_TRIPS(e, n) {
    float m = elem::mask_weight(mask, e);
    float v = elem::mse_loss(p[e], t[e], m);
    if (r == Reduction::None) out[e] = v;
    loss_acc += v;
    weight_acc += m;
  }
  add_sums(sums, loss_acc, weight_acc);
}

__global__ void mse_backward_kernel(float* gp, float* gt, const float* gout, const float* p, const float* t,
                                    const float* mask, const float* norm, int64_t n, Reduction r) {
  const float nrm = norm[0];
  TL_GRID_STRIDE(e, n) {
    if (mask && mask[e] == 0) continue;
    float d = elem::mse_grad(r == Reduction::None ? gout[e] : gout[0], nrm, p[e], t[e]);
    if (gp) gp[e] += d;
    if (gt) gt[e] -= d;
  }
}

}  // namespace

void check_labels(const int32_t* labels, const CrossEntropyArgs& a) {
  int32_t bad = 0;
  int64_t at = find_bad_index(labels, a.rows, 0, a.classes, a.ignore_index, &bad);
  if (at >= 0)
    throw std::out_of_range("label " + std::to_string(bad) + " at row " + std::to_string(at) + " is out of range [0, " +
                            std::to_string(a.classes) + ") and is not the ignore index " +
                            std::to_string(a.ignore_index));
}

void softmax_cross_entropy_forward(float* out, float* lse, float* norm, const float* logits, const int32_t* labels,
                                   const CrossEntropyArgs& a) {
  cuda::check_labels(labels, a);
  Scratch sums(2);
  if (a.rows > 0 && a.classes > 0)
    ce_forward_kernel<<<blocks_for(a.rows * 32), 256, 0, stream()>>>(out, lse, sums.p, logits, labels, a);
  finish_kernel<<<1, 1, 0, stream()>>>(out, norm, a.reduction, sums.p);
  check_launch("softmax_cross_entropy_forward");
}

void softmax_cross_entropy_backward(float* glogits, const float* gout, const float* logits, const int32_t* labels,
                                    const float* lse, const float* norm, const CrossEntropyArgs& a) {
  cuda::check_labels(labels, a);
  int64_t total = a.rows * a.classes;
  if (total <= 0) return;
  Scratch wsum(1);
  if (a.label_smoothing > 0 && a.class_weights) sum_kernel<<<1, 256, 0, stream()>>>(wsum.p, a.class_weights, a.classes);
  ce_backward_kernel<<<blocks_for(total), 256, 0, stream()>>>(glogits, gout, logits, labels, lse, norm, wsum.p, a, total);
  check_launch("softmax_cross_entropy_backward");
}

void bce_with_logits_forward(float* out, float* norm, const float* x, const float* t, const BceArgs& a) {
  int64_t n = a.rows * a.cols;
  Scratch sums(2);
  if (n > 0) bce_forward_kernel<<<blocks_for(n), 256, 0, stream()>>>(out, sums.p, x, t, a, n);
  finish_kernel<<<1, 1, 0, stream()>>>(out, norm, a.reduction, sums.p);
  check_launch("bce_with_logits_forward");
}

void bce_with_logits_backward(float* gx, float* gt, const float* gout, const float* x, const float* t,
                              const float* norm, const BceArgs& a) {
  int64_t n = a.rows * a.cols;
  if (n <= 0 || (!gx && !gt)) return;
  bce_backward_kernel<<<blocks_for(n), 256, 0, stream()>>>(gx, gt, gout, x, t, norm, a, n);
  check_launch("bce_with_logits_backward");
}

void mse_forward(float* out, float* norm, const float* p, const float* t, const float* mask, int64_t n, Reduction r) {
  Scratch sums(2);
  if (n > 0) mse_forward_kernel<<<blocks_for(n), 256, 0, stream()>>>(out, sums.p, p, t, mask, n, r);
  finish_kernel<<<1, 1, 0, stream()>>>(out, norm, r, sums.p);
  check_launch("mse_forward");
}

void mse_backward(float* gp, float* gt, const float* gout, const float* p, const float* t, const float* mask,
                  const float* norm, int64_t n, Reduction r) {
  if (n <= 0 || (!gp && !gt)) return;
  mse_backward_kernel<<<blocks_for(n), 256, 0, stream()>>>(gp, gt, gout, p, t, mask, norm, n, r);
  check_launch("mse_backward");
}

}  // namespace tl::cuda
