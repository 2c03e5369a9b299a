// Fused losses, forward + backward: softmax cross-entropy, sigmoid binary cross-entropy
// on logits, mean squared error. Each forward writes the loss (per element/row for
// Reduction::None, else one value) and `norm[0]`, the factor backward applies to the
// incoming gradient: 1 for None and Sum, 1/total-weight for Mean (0 when nothing counts,
// so an all-ignored batch gives loss 0 and zero gradients, never NaN). Backward kernels
// accumulate (+=). Reductions are summed in float64 over fixed chunks, so the result
// does not depend on the thread count.
#pragma once
#include <cstdint>

namespace tl::cpu {

enum class Reduction : int { None = 0, Mean = 1, Sum = 2 };

struct CrossEntropyArgs {
  int64_t rows = 0, classes = 0;
  int32_t ignore_index = -100;
  float label_smoothing = 0;            // in [0, 1)
  const float* sample_weights = nullptr;  // [rows] or null
  const float* class_weights = nullptr;   // [classes] or null
  Reduction reduction = Reduction::Mean;
};

// Throws std::out_of_range naming the row and value of the first label that is neither
// in [0, classes) nor the ignore index. Both cross-entropy kernels call it first.
void check_labels(const int32_t* labels, const CrossEntropyArgs& a);

// Row i with label y, weight w_i = sample_weights[i] * class_weights[y], eps = smoothing,
// C = classes, lse = log(sum_k exp(z_k)), logp_k = z_k - lse:
//   loss_i = w_i * (1-eps) * -logp_y  +  sample_weights[i] * eps/C * sum_k cw_k * -logp_k
// (PyTorch's formula for class weights and smoothing). Mean divides by sum_i w_i over
// unignored rows. lse [rows] is saved for backward.
void softmax_cross_entropy_forward(float* out, float* lse, float* norm, const float* logits,
                                   const int32_t* labels, const CrossEntropyArgs& a);
// glogits += g_i * norm * (d loss_i / d z), g_i = gout[i] (None) or gout[0].
void softmax_cross_entropy_backward(float* glogits, const float* gout, const float* logits,
                                    const int32_t* labels, const float* lse, const float* norm,
                                    const CrossEntropyArgs& a);

struct BceArgs {
  int64_t rows = 0, cols = 0;             // logits viewed as [rows, cols]
  float pos_weight = 1;                   // used when pos_weights is null
  const float* pos_weights = nullptr;     // [cols] or null
  const float* sample_weights = nullptr;  // [rows] or null
  const float* mask = nullptr;            // [rows*cols] or null; 0 = ignored
  Reduction reduction = Reduction::Mean;
};

// loss = w * ((1 - t) * x + (1 + (pw - 1) * t) * softplus(-x)), softplus(-x) computed as
// max(-x, 0) + log1p(exp(-|x|)); w = sample weight * (mask != 0). Mean divides by sum(w).
void bce_with_logits_forward(float* out, float* norm, const float* x, const float* t,
                             const BceArgs& a);
// gx += g * w * ((1 - t) - (1 + (pw - 1) t) * sigmoid(-x)); gt += g * w * (-x + (pw - 1) * softplus(-x)).
// gx or gt may be null.
void bce_with_logits_backward(float* gx, float* gt, const float* gout, const float* x,
                              const float* t, const float* norm, const BceArgs& a);

// loss = m * (p - t)^2, m = (mask != 0) or 1. Mean divides by sum(m).
void mse_forward(float* out, float* norm, const float* p, const float* t, const float* mask,
                 int64_t n, Reduction r);
// gp += g * m * 2 (p - t); gt -= the same. gp or gt may be null.
void mse_backward(float* gp, float* gt, const float* gout, const float* p, const float* t,
                  const float* mask, const float* norm, int64_t n, Reduction r);

}  // namespace tl::cpu
