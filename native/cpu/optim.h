// Fused optimizer updates: each reads the gradient and updates the parameter and its
// state in one pass, in place. They follow PyTorch's update formulas (torch.optim,
// single-tensor "foreach=False" path) operation by operation; scalars that depend only
// on the step (bias corrections, decayed learning rate) are computed in float64.
//
// A non-finite gradient (NaN or +-inf) is never written into a parameter: each update
// returns the index of the first non-finite gradient element, or -1 when all are finite,
// and writes nothing (parameter and state unchanged) when it finds one.
#pragma once
#include <cstdint>

namespace tl::cpu {

// Index of the first non-finite element of x[0, n), or -1.
int64_t first_nonfinite(const float* x, int64_t n);

struct SgdParams {
  float lr = 0, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false;
  bool first_step = false;  // the momentum buffer is initialised to g on the first step
};
// g = grad + wd * p
// if momentum != 0: buf = first_step ? g : momentum * buf + (1 - dampening) * g
//                   g = nesterov ? g + momentum * buf : buf
// p -= lr * g
// momentum_buf may be null when momentum == 0.
int64_t sgd_update(float* param, const float* grad, float* momentum_buf, int64_t n,
                const SgdParams& h);

struct AdamParams {
  float lr = 0, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0;
  bool decoupled = false;  // AdamW
  bool amsgrad = false;
  int64_t step = 1;        // 1 on the first update
};
// Adam:  g = grad + wd * p            AdamW: p *= 1 - lr * wd
// m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g
// bc1 = 1 - beta1^step, bc2 = 1 - beta2^step
// amsgrad: v_max = max(v_max, v), and v_max replaces v below
// p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)
int64_t adam_update(float* param, const float* grad, float* m, float* v, float* v_max, int64_t n,
                 const AdamParams& h);

// One tensor of a multi-tensor Adam update: its parameter, gradient and state, its size
// and its own step count (1 on its first update).
struct AdamTensor {
  float* param;
  const float* grad;
  float* m;
  float* v;
  float* v_max;  // amsgrad only, else null
  int64_t n;
  int64_t step;
};
// adam_update over tensors[0, count) in one call, every element of every tensor split
// over the threads at once (many small parameters cost one parallel dispatch, not one
// each). All gradients are checked first: returns -1 when all are finite, else the index
// of the first tensor holding a non-finite element (its index in *bad_element); the
// tensors before it are updated, it and those after it are left unchanged. h.step is
// ignored (each tensor has its own).
int64_t adam_update_multi(const AdamTensor* tensors, int64_t count, const AdamParams& h,
                          int64_t* bad_element);

struct RmspropParams {
  float lr = 0, alpha = 0.99f, eps = 1e-8f, weight_decay = 0, momentum = 0;
  bool centered = false;
};
// g = grad + wd * p
// sq = alpha * sq + (1 - alpha) * g * g
// centered: ga = alpha * ga + (1 - alpha) * g; avg = sqrt(sq - ga * ga) + eps
// else:     avg = sqrt(sq) + eps
// momentum > 0: buf = momentum * buf + g / avg; p -= lr * buf
// else:         p -= lr * g / avg
// grad_avg is needed when centered, momentum_buf when momentum > 0 (else they may be null).
int64_t rmsprop_update(float* param, const float* grad, float* square_avg, float* grad_avg,
                    float* momentum_buf, int64_t n, const RmspropParams& h);

struct AdagradParams {
  float lr = 0, lr_decay = 0, weight_decay = 0, eps = 1e-10f;
  int64_t step = 1;
};
// g = grad + wd * p;  clr = lr / (1 + (step - 1) * lr_decay)
// sum += g * g;  p -= clr * g / (sqrt(sum) + eps)
int64_t adagrad_update(float* param, const float* grad, float* sum, int64_t n,
                    const AdagradParams& h);

}  // namespace tl::cpu
