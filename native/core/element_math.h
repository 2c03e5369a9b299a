// Per-element formulas of the elementwise, loss, optimizer and pooling kernels, written
// once for the CPU kernels (native/cpu) and their CUDA twins (native/cuda). Each side keeps its own loops,
// threading and reductions and calls these for the arithmetic of one element, so both
// compute the same expressions in the same operation order.
//
// Square roots and divisions go through sqrt_rn/div_rn: on the device they are the
// IEEE-rounded intrinsics, so the fast division and square root the CUDA build allows
// (-prec-div=false -prec-sqrt=false) do not move results away from the CPU's;
// on the host they are the plain operations (__builtin_sqrtf, so that the optimizer loops,
// compiled without math-errno, vectorise).
#pragma once
#include <cmath>
#include <cstdint>

#ifdef __CUDACC__
#define TL_HOST_DEVICE __host__ __device__
#define TL_RESTRICT __restrict__
#else
#define TL_HOST_DEVICE
#define TL_RESTRICT __restrict
#endif

namespace tl::elem {

TL_HOST_DEVICE inline float sqrt_rn(float x) {
#ifdef __CUDA_ARCH__
  return __fsqrt_rn(x);
#else
  return __builtin_sqrtf(x);
#endif
}

TL_HOST_DEVICE inline float div_rn(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}

// ---- elementwise ops ----
// Each op is a functor: forward is the op on one element, backward is g times its
// derivative there, and needs_out says whether backward reads the forward's output (the
// binding then insists on it, and TS passes it). The lists after the functors generate
// the op enums (native/cpu/elementwise.h), both backends' dispatch, and the names the
// addon exports to TS; adding an op is a functor and one line in its list.
//
// NaN follows PyTorch: relu, clamp, maximum and minimum propagate it, and the piecewise
// backwards select (`cond ? g : 0`) rather than multiply by 0, so an inf or NaN gradient
// of an inactive unit gives 0. Unary ops take up to two scalars p0, p1 (slope, bounds,
// exponent).

constexpr float kSqrt2OverPi = 0.7978845608028654f;

TL_HOST_DEVICE inline float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

// tanh-approximated GELU, the form most frameworks default to in fast paths.
TL_HOST_DEVICE inline float gelu(float x) {
  float u = kSqrt2OverPi * (x + 0.044715f * x * x * x);
  return 0.5f * x * (1.0f + tanhf(u));
}
TL_HOST_DEVICE inline float gelu_grad(float x) {
  float u = kSqrt2OverPi * (x + 0.044715f * x * x * x);
  float t = tanhf(u);
  float du = kSqrt2OverPi * (1.0f + 3.0f * 0.044715f * x * x);
  return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
}

// An elementwise op: its functor here (forward, backward, whether the backward reads the
// forward's output) and its line in TL_UNARY_OPS below; then the TS op
// (src/ops/elementwise.ts), the Tensor method (src/ops/tensor-methods.ts) and a row of the
// every-device test table (test/elementwise.test.ts). Both backends and the binding
// follow from the list.
#define TL_UNARY(Name, uses_out, fwd, bwd)                                              \
  struct Name {                                                                         \
    static constexpr bool needs_out = uses_out;                                         \
    TL_HOST_DEVICE static float forward(float x, float p0, float p1) { fwd; }           \
    TL_HOST_DEVICE static float backward(float g, float x, float out, float p0, float p1) { bwd; } \
  };

TL_UNARY(Neg, false, return -x, return -g)
TL_UNARY(Exp, true, return expf(x), return g * out)
TL_UNARY(Log, false, return logf(x), return g / x)
TL_UNARY(Sqrt, true, return sqrtf(x), return g * 0.5f / out)
TL_UNARY(Abs, false, return fabsf(x), return x > 0 ? g : (x < 0 ? -g : 0.0f))
// `x <= 0 ? 0 : x` lets NaN through (`x > 0 ? x : 0` would make it 0); the backward
// passes g for a NaN input, as PyTorch (which selects on the output) does.
TL_UNARY(Relu, false, return x <= 0 ? 0.0f : x, return x <= 0 ? 0.0f : g)
TL_UNARY(LeakyRelu, false, return x > 0 ? x : p0 * x, return x > 0 ? g : p0 * g)
TL_UNARY(Gelu, false, return gelu(x), return g * gelu_grad(x))
TL_UNARY(Sigmoid, true, return sigmoid(x), return g * out * (1.0f - out))
TL_UNARY(Tanh, true, return tanhf(x), return g * (1.0f - out * out))
// std::min(std::max(x, lo), hi) spelled out (`x < lo ? lo : x`, then `hi < y ? hi : y`)
// so that a NaN x is kept, as in PyTorch (fmaxf/fminf would drop it). The gradient
// flows where x was inside [p0, p1].
TL_UNARY(Clamp, false, float y = x < p0 ? p0 : x; return p1 < y ? p1 : y,
         return (x >= p0) & (x <= p1) ? g : 0.0f)
TL_UNARY(PowScalar, false, return powf(x, p0), return g * p0 * powf(x, p0 - 1.0f))
TL_UNARY(Silu, false, return x * sigmoid(x), float s = sigmoid(x); return g * (s * (1.0f + x * (1.0f - s))))
TL_UNARY(Softplus, false, return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x))), return g * sigmoid(x))
#undef TL_UNARY

// X(functor, name in TS): the enum, the dispatch and the exported names, in this order.
#define TL_UNARY_OPS(X) \
  X(Neg, neg)           \
  X(Exp, exp)           \
  X(Log, log)           \
  X(Sqrt, sqrt)         \
  X(Abs, abs)           \
  X(Relu, relu)         \
  X(LeakyRelu, leakyRelu) \
  X(Gelu, gelu)         \
  X(Sigmoid, sigmoid)   \
  X(Tanh, tanh)         \
  X(Clamp, clamp)       \
  X(PowScalar, powScalar) \
  X(Silu, silu)         \
  X(Softplus, softplus)

// Binary ops: forward(a, b), and backward adding g * d out/d a and g * d out/d b into
// ga and gb (out is the forward result, read only when needs_out).
#define TL_BINARY(Name, uses_out, fwd, bwd)                                             \
  struct Name {                                                                         \
    static constexpr bool needs_out = uses_out;                                         \
    TL_HOST_DEVICE static float forward(float a, float b) { fwd; }                      \
    TL_HOST_DEVICE static void backward(float g, float a, float b, float out, float& ga, float& gb) { bwd; } \
  };

TL_BINARY(Add, false, return a + b, ga = g; gb = g)
TL_BINARY(Sub, false, return a - b, ga = g; gb = -g)
TL_BINARY(Mul, false, return a * b, ga = g * b; gb = g * a)
TL_BINARY(Div, false, return a / b, ga = g * (1.0f / b); gb = g * (-a / (b * b)))
TL_BINARY(Pow, true, return powf(a, b), ga = g * (b * powf(a, b - 1.0f)); gb = g * (a > 0 ? out * logf(a) : 0.0f))
// Ties give a (and send it the gradient); a NaN on either side gives NaN and sends the
// gradient to both, as PyTorch's masks (`self < other`, `self > other`) do.
TL_BINARY(Maximum, false, return a >= b || a != a ? a : b, ga = a < b ? 0.0f : g; gb = a >= b ? 0.0f : g)
TL_BINARY(Minimum, false, return a <= b || a != a ? a : b, ga = a > b ? 0.0f : g; gb = a <= b ? 0.0f : g)
#undef TL_BINARY

#define TL_BINARY_OPS(X) \
  X(Add, add)            \
  X(Sub, sub)            \
  X(Mul, mul)            \
  X(Div, div)            \
  X(Pow, pow)            \
  X(Maximum, maximum)    \
  X(Minimum, minimum)

// ---- losses ----

// log(1 + exp(-x)), stable for any x. (The select is std::max(-x, 0)'s, NaN-propagating.)
TL_HOST_DEVICE inline float softplus_neg(float x) {
  float neg = -x;
  return (neg < 0.0f ? 0.0f : neg) + log1pf(expf(-fabsf(x)));
}

// 1 / (1 + exp(x)), stable for any x.
TL_HOST_DEVICE inline float sigmoid_neg(float x) {
  float e = expf(-fabsf(x));
  return x >= 0 ? e / (1.0f + e) : 1.0f / (1.0f + e);
}

// BCE with logits, element e of a rows x cols batch (Args: cpu::BceArgs). Sets w to the
// row's sample weight and pw to the column's positive-class weight; false when the mask
// drops the element.
template <typename Args>
TL_HOST_DEVICE inline bool bce_weights(const Args& a, int64_t e, float& w, float& pw) {
  int64_t row = e / a.cols, col = e - row * a.cols;
  w = a.sample_weights ? a.sample_weights[row] : 1.0f;
  pw = a.pos_weights ? a.pos_weights[col] : a.pos_weight;
  return !(a.mask && a.mask[e] == 0);
}

// (1 - t) x + (1 + (pw - 1) t) log(1 + exp(-x)), unweighted.
TL_HOST_DEVICE inline float bce_loss(float x, float t, float pw) {
  return (1.0f - t) * x + (1.0f + (pw - 1.0f) * t) * softplus_neg(x);
}
// d bce_loss / dx and d bce_loss / dt.
TL_HOST_DEVICE inline float bce_grad_logit(float x, float t, float pw) {
  return (1.0f - t) - (1.0f + (pw - 1.0f) * t) * sigmoid_neg(x);
}
TL_HOST_DEVICE inline float bce_grad_target(float x, float pw) { return -x + (pw - 1.0f) * softplus_neg(x); }

// 1 where the element counts (no mask or a nonzero mask entry), else 0.
TL_HOST_DEVICE inline float mask_weight(const float* mask, int64_t e) {
  return mask ? (mask[e] != 0 ? 1.0f : 0.0f) : 1.0f;
}
// m (p - t)^2 and its gradient in p, 2 g nrm (p - t). A masked-out element is 0 whatever
// its target holds (a missing label is NaN), as BCE's and cross-entropy's are.
TL_HOST_DEVICE inline float mse_loss(float p, float t, float m) {
  if (m == 0.0f) return 0.0f;
  float d = p - t;
  return m * d * d;
}
TL_HOST_DEVICE inline float mse_grad(float g, float nrm, float p, float t) { return 2.0f * g * nrm * (p - t); }

// Writes a forward's reduced loss (out[0], except for R::None) and norm[0], the factor
// backward applies to the incoming gradient, from the float64 sums of loss and weight
// (R: cpu::Reduction). Mean over zero weight gives 0 and norm 0, never NaN.
template <typename R>
TL_HOST_DEVICE inline void finish_loss(float* out, float* norm, R r, double loss, double weight) {
  if (r == R::None) {
    norm[0] = 1;
  } else if (r == R::Sum) {
    out[0] = static_cast<float>(loss);
    norm[0] = 1;
  } else {
    bool any = weight != 0;
    out[0] = any ? static_cast<float>(loss / weight) : 0.0f;
    norm[0] = any ? static_cast<float>(1.0 / weight) : 0.0f;
  }
}

// Softmax cross-entropy of one row with label y: lse = log-sum-exp of the row, zy = z[y],
// cwy = class weight of y, sw = sample weight, smooth = sum_k cw_k (lse - z_k) (used
// only when eps > 0).
TL_HOST_DEVICE inline float ce_row_loss(float lse, float zy, float cwy, float sw, float eps, float smooth,
                                        int64_t classes) {
  float row = (1.0f - eps) * cwy * (lse - zy);
  if (eps > 0) row += eps / classes * smooth;
  return row * sw;
}

// Gradient of softmax cross-entropy row i with label y (not ignored), given g = incoming
// gradient * norm (Args: cpu::CrossEntropyArgs, wsum = sum of the class weights):
//   d/dz_k = alpha p_k + beta cw_k - label [k == y]
// with p = softmax(z), cw_k = 1 without class weights (or when eps == 0). scale (g times
// the sample weight) is 0 when the row adds nothing.
struct CeGrad {
  float scale, alpha, beta, label;
};
template <typename Args>
TL_HOST_DEVICE inline CeGrad ce_grad(const Args& a, int64_t i, int32_t y, float g, float wsum) {
  const float eps = a.label_smoothing;
  const int64_t classes = a.classes;
  float scale = g * (a.sample_weights ? a.sample_weights[i] : 1.0f);
  float cwy = a.class_weights ? a.class_weights[y] : 1.0f;
  return {scale, scale * ((1.0f - eps) * cwy + eps * wsum / classes), -scale * eps / classes,
          scale * (1.0f - eps) * cwy};
}

// ---- optimizers (formulas: native/cpu/optim.h) ----
// Each updates element i of the parameter and its state in place. Optional state arrays
// are null when the variant does not use them.

// The scalars each update needs are derived once per call on the host (P: the family's
// cpu::*Params); those that depend only on the step are computed in float64.

struct SgdScalars {
  float lr, wd, mom;
  float keep, take;  // buf = keep * buf + take * g: (0, 1) on the first step, else (mom, 1 - dampening)
  bool nesterov;
};
template <typename P>
inline SgdScalars sgd_scalars(const P& h) {
  // The first step seeds the buffer with g, as PyTorch clones the gradient.
  return {h.lr, h.weight_decay, h.momentum, h.first_step ? 0.0f : h.momentum, h.first_step ? 1.0f : 1.0f - h.dampening,
          h.nesterov};
}
TL_HOST_DEVICE inline void sgd_element(float* TL_RESTRICT p, const float* TL_RESTRICT g, float* TL_RESTRICT buf,
                                       int64_t i, SgdScalars s) {
  float d = g[i] + s.wd * p[i];
  if (buf) {
    float b = s.keep * buf[i] + s.take * d;
    buf[i] = b;
    d = s.nesterov ? d + s.mom * b : b;
  }
  p[i] -= s.lr * d;
}

struct AdamScalars {
  float b1, b2, eps;
  float l2;     // Adam: g += l2 * p
  float decay;  // AdamW: p *= decay before the step
  float step_size, inv_bc2_sqrt;  // lr / bc1, 1 / sqrt(bc2)
};
template <typename P>
inline AdamScalars adam_scalars(const P& h) {
  const double bc1 = 1.0 - std::pow(static_cast<double>(h.beta1), static_cast<double>(h.step));
  const double bc2 = 1.0 - std::pow(static_cast<double>(h.beta2), static_cast<double>(h.step));
  // AdamW decays the parameter before the step; Adam adds wd * p to the gradient.
  const float decay = h.decoupled ? static_cast<float>(1.0 - static_cast<double>(h.lr) * h.weight_decay) : 1.0f;
  const float l2 = h.decoupled ? 0.0f : h.weight_decay;
  return {h.beta1, h.beta2, h.eps, l2, decay, static_cast<float>(h.lr / bc1), static_cast<float>(1.0 / std::sqrt(bc2))};
}
// vmax: amsgrad's running maximum of v.
TL_HOST_DEVICE inline void adam_element(float* TL_RESTRICT p, const float* TL_RESTRICT g, float* TL_RESTRICT m,
                                        float* TL_RESTRICT v, float* TL_RESTRICT vmax, int64_t i,
                                        AdamScalars s) {
  float pi = p[i] * s.decay;
  float gi = g[i] + s.l2 * pi;
  float mi = s.b1 * m[i] + (1.0f - s.b1) * gi;
  float vi = s.b2 * v[i] + (1.0f - s.b2) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  if (vmax) {
    vi = vi > vmax[i] ? vi : vmax[i];
    vmax[i] = vi;
  }
  p[i] = pi - div_rn(s.step_size * mi, sqrt_rn(vi) * s.inv_bc2_sqrt + s.eps);
}

struct RmspropScalars {
  float lr, alpha, eps, wd, mom;
};
template <typename P>
inline RmspropScalars rmsprop_scalars(const P& h) {
  return {h.lr, h.alpha, h.eps, h.weight_decay, h.momentum};
}
// ga: centered variant's gradient average; buf: momentum buffer.
TL_HOST_DEVICE inline void rmsprop_element(float* TL_RESTRICT p, const float* TL_RESTRICT g,
                                           float* TL_RESTRICT sq, float* TL_RESTRICT ga, float* TL_RESTRICT buf,
                                           int64_t i, RmspropScalars s) {
  float gi = g[i] + s.wd * p[i];
  float sqi = s.alpha * sq[i] + (1.0f - s.alpha) * gi * gi;
  sq[i] = sqi;
  float avg;
  if (ga) {
    float c = s.alpha * ga[i] + (1.0f - s.alpha) * gi;
    ga[i] = c;
    avg = sqrt_rn(sqi - c * c) + s.eps;
  } else {
    avg = sqrt_rn(sqi) + s.eps;
  }
  if (buf) {
    float b = s.mom * buf[i] + div_rn(gi, avg);
    buf[i] = b;
    p[i] -= s.lr * b;
  } else {
    p[i] -= div_rn(s.lr * gi, avg);
  }
}

// The decayed learning rate, lr / (1 + (step - 1) * lr_decay).
template <typename P>
inline float adagrad_lr(const P& h) {
  return static_cast<float>(h.lr / (1.0 + static_cast<double>(h.step - 1) * h.lr_decay));
}
TL_HOST_DEVICE inline void adagrad_element(float* TL_RESTRICT p, const float* TL_RESTRICT g, float* TL_RESTRICT sum,
                                           int64_t i, float clr, float wd, float eps) {
  float gi = g[i] + wd * p[i];
  float s = sum[i] + gi * gi;
  sum[i] = s;
  p[i] -= div_rn(clr * gi, sqrt_rn(s) + eps);
}

// --- pooling ----------------------------------------------------------------------------

// The max over one pooling window that may stick out of the plane `xp` (padding never
// wins; NaN propagates, as in PyTorch). `at` gets the winner's offset in the plane, or 0
// when the window holds no pixel. Shape is the pool's shape struct (h, w, kh, kw, sh, sw, ph, pw).
template <typename Shape>
TL_HOST_DEVICE inline float maxpool_window(const float* xp, const Shape& s, int64_t oy, int64_t ox, int64_t& at) {
  float best = -INFINITY;
  at = -1;
  for (int64_t ki = 0; ki < s.kh; ++ki) {
    int64_t iy = oy * s.sh - s.ph + ki;
    if (iy < 0 || iy >= s.h) continue;
    for (int64_t kj = 0; kj < s.kw; ++kj) {
      int64_t ix = ox * s.sw - s.pw + kj;
      if (ix < 0 || ix >= s.w) continue;
      float v = xp[iy * s.w + ix];
      if (at < 0 || v > best || (v != v && best == best)) {
        best = v;
        at = iy * s.w + ix;
      }
    }
  }
  if (at < 0) at = 0;
  return best;
}

// The sum over one pooling window that may stick out of the plane `xp` (padding counts
// as zero); average pooling scales it by 1 / (kh * kw).
template <typename Shape>
TL_HOST_DEVICE inline float avgpool_window_sum(const float* xp, const Shape& s, int64_t oy, int64_t ox) {
  float acc = 0.0f;
  for (int64_t ki = 0; ki < s.kh; ++ki) {
    int64_t iy = oy * s.sh - s.ph + ki;
    if (iy < 0 || iy >= s.h) continue;
    for (int64_t kj = 0; kj < s.kw; ++kj) {
      int64_t ix = ox * s.sw - s.pw + kj;
      if (ix >= 0 && ix < s.w) acc += xp[iy * s.w + ix];
    }
  }
  return acc;
}

}  // namespace tl::elem
