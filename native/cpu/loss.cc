#include "loss.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "../core/element_math.h"
#include "../core/parallel.h"
#include "softmax_rows.h"

namespace tl::cpu {
namespace {

constexpr int64_t kChunkElems = 1 << 14;  // elements per reduction chunk (fixed: determinism)

// Runs f(lo, hi, loss_sum, weight_sum) over fixed chunks of `unit`-element items in
// parallel and adds the per-chunk float64 sums in chunk order.
template <typename F>
void chunked_sum(int64_t items, int64_t unit, F f, double& loss, double& weight) {
  int64_t per_chunk = std::max<int64_t>(1, kChunkElems / std::max<int64_t>(unit, 1));
  int64_t chunks = (items + per_chunk - 1) / per_chunk;
  std::vector<double> ls(chunks, 0.0), ws(chunks, 0.0);
  parallel_for(chunks, 2, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      int64_t lo = c * per_chunk, hi = std::min(items, lo + per_chunk);
      f(lo, hi, ls[c], ws[c]);
    }
  });
  loss = 0;
  weight = 0;
  for (int64_t c = 0; c < chunks; ++c) {
    loss += ls[c];
    weight += ws[c];
  }
}

// Backward over items in parallel, grain sized for `unit` elements per item.
template <typename F>
void for_items(int64_t items, int64_t unit, F f) {
  int64_t grain = std::max<int64_t>(1, kChunkElems / std::max<int64_t>(unit, 1));
  parallel_for(items, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) f(i);
  });
}

}  // namespace

void check_labels(const int32_t* labels, const CrossEntropyArgs& a) {
  for (int64_t i = 0; i < a.rows; ++i) {
    int32_t y = labels[i];
    if (y != a.ignore_index && (y < 0 || y >= a.classes))
      throw std::out_of_range("label " + std::to_string(y) + " at row " + std::to_string(i) +
                              " is out of range [0, " + std::to_string(a.classes) +
                              ") and is not the ignore index " + std::to_string(a.ignore_index));
  }
}

void softmax_cross_entropy_forward(float* out, float* lse, float* norm, const float* logits,
                                   const int32_t* labels, const CrossEntropyArgs& a) {
  check_labels(labels, a);
  const RowKernels& k = row_kernels();
  const int64_t C = a.classes;
  const float eps = a.label_smoothing;
  double loss = 0, weight = 0;
  chunked_sum(
      a.rows, C,
      [&](int64_t lo, int64_t hi, double& ls, double& ws) {
        for (int64_t i = lo; i < hi; ++i) {
          const float* z = logits + i * C;
          if (i + 1 < a.rows) prefetch_row(z + C, C);
          float l = k.logsumexp(z, C);
          lse[i] = l;
          int32_t y = labels[i];
          float row = 0;
          if (y != a.ignore_index) {
            float s = a.sample_weights ? a.sample_weights[i] : 1.0f;
            float cwy = a.class_weights ? a.class_weights[y] : 1.0f;
            // sum_k cw_k (lse - z_k), summed directly: lse*sum(cw) - sum(cw*z) would
            // cancel badly for large logits.
            float smooth = 0;
            if (eps > 0) {
              if (a.class_weights)
                for (int64_t c = 0; c < C; ++c) smooth += a.class_weights[c] * (l - z[c]);
              else
                for (int64_t c = 0; c < C; ++c) smooth += l - z[c];
            }
            row = elem::ce_row_loss(l, z[y], cwy, s, eps, smooth, C);
            ls += row;
            ws += static_cast<double>(s) * cwy;
          }
          if (a.reduction == Reduction::None) out[i] = row;
        }
      },
      loss, weight);
  elem::finish_loss(out, norm, a.reduction, loss, weight);
}

void softmax_cross_entropy_backward(float* glogits, const float* gout, const float* logits,
                                    const int32_t* labels, const float* lse, const float* norm,
                                    const CrossEntropyArgs& a) {
  check_labels(labels, a);
  const RowKernels& k = row_kernels();
  const int64_t C = a.classes;
  const float eps = a.label_smoothing;
  const float wsum = eps > 0 ? (a.class_weights ? k.dot(a.class_weights, nullptr, C) : static_cast<float>(C)) : 0.0f;
  const float nrm = norm[0];
  for_items(a.rows, C, [&](int64_t i) {
    int32_t y = labels[i];
    if (y == a.ignore_index) return;
    const elem::CeGrad d = elem::ce_grad(a, i, y, (a.reduction == Reduction::None ? gout[i] : gout[0]) * nrm, wsum);
    if (d.scale == 0) return;
    float* gz = glogits + i * C;
    k.axpy_exp(gz, logits + i * C, C, lse[i], d.alpha, d.beta, eps > 0 ? a.class_weights : nullptr);
    gz[y] -= d.label;
  });
}

void bce_with_logits_forward(float* out, float* norm, const float* x, const float* t,
                             const BceArgs& a) {
  double loss = 0, weight = 0;
  chunked_sum(
      a.rows * a.cols, 1,
      [&](int64_t lo, int64_t hi, double& ls, double& ws) {
        for (int64_t e = lo; e < hi; ++e) {
          float w, pw, v = 0;
          if (elem::bce_weights(a, e, w, pw) && w != 0) {
            v = w * elem::bce_loss(x[e], t[e], pw);
            ls += v;
            ws += w;
          }
          if (a.reduction == Reduction::None) out[e] = v;
        }
      },
      loss, weight);
  elem::finish_loss(out, norm, a.reduction, loss, weight);
}

void bce_with_logits_backward(float* gx, float* gt, const float* gout, const float* x,
                              const float* t, const float* norm, const BceArgs& a) {
  const float nrm = norm[0];
  for_items(a.rows * a.cols, 1, [&](int64_t e) {
    float w, pw;
    if (!elem::bce_weights(a, e, w, pw)) return;
    float g = (a.reduction == Reduction::None ? gout[e] : gout[0]) * nrm * w;
    if (gx) gx[e] += g * elem::bce_grad_logit(x[e], t[e], pw);
    if (gt) gt[e] += g * elem::bce_grad_target(x[e], pw);
  });
}

void mse_forward(float* out, float* norm, const float* p, const float* t, const float* mask,
                 int64_t n, Reduction r) {
  double loss = 0, weight = 0;
  chunked_sum(
      n, 1,
      [&](int64_t lo, int64_t hi, double& ls, double& ws) {
        double acc = 0, cnt = 0;
        for (int64_t e = lo; e < hi; ++e) {
          float m = elem::mask_weight(mask, e);
          float v = elem::mse_loss(p[e], t[e], m);
          if (r == Reduction::None) out[e] = v;
          acc += v;
          cnt += m;
        }
        ls += acc;
        ws += cnt;
      },
      loss, weight);
  elem::finish_loss(out, norm, r, loss, weight);
}

void mse_backward(float* gp, float* gt, const float* gout, const float* p, const float* t,
                  const float* mask, const float* norm, int64_t n, Reduction r) {
  const float nrm = norm[0];
  for_items(n, 1, [&](int64_t e) {
    if (mask && mask[e] == 0) return;
    float d = elem::mse_grad(r == Reduction::None ? gout[e] : gout[0], nrm, p[e], t[e]);
    if (gp) gp[e] += d;
    if (gt) gt[e] -= d;
  });
}

}  // namespace tl::cpu
