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

struct BceArgs {
  int64_t rows = 0, cols = 0;             // logits viewed as [rows, cols]
  float pos_weight = 1;                   // used when pos_weights is null
  const float* pos_weights = nullptr;     // [cols] or null
  const float* sample_weights = nullptr;  // [rows] or null
  const float* mask = nullptr;            // [rows*cols] or null; 0 = ignored
  Reduction reduction = Reduction::Mean;
};

#include "../core/kernels/loss.inc"

}  // namespace tl::cpu
