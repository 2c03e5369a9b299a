#include "elementwise.h"

#include <algorithm>
#include <cmath>

#include "../core/parallel.h"

namespace tl::cpu {
namespace {

constexpr int64_t kGrain = 1 << 15;  // below ~32K elements one thread beats a wake-up
constexpr float kSqrt2OverPi = 0.7978845608028654f;

inline float sigmoidf(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// tanh-approximated GELU, the form most frameworks default to in fast paths.
inline float gelu(float x) {
  float u = kSqrt2OverPi * (x + 0.044715f * x * x * x);
  return 0.5f * x * (1.0f + std::tanh(u));
}
inline float gelu_grad(float x) {
  float u = kSqrt2OverPi * (x + 0.044715f * x * x * x);
  float t = std::tanh(u);
  float du = kSqrt2OverPi * (1.0f + 3.0f * 0.044715f * x * x);
  return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
}

// f must capture its pointers by value: a local copy of it then keeps them in registers,
// where captured references would be reloaded after every store (the stores might alias
// them), which stops the loop from being vectorised.
template <typename F>
void map_parallel(int64_t n, F f) {
  parallel_for(n, kGrain, [&f](int64_t lo, int64_t hi) {
    F local = f;
    for (int64_t i = lo; i < hi; ++i) local(i);
  });
}

}  // namespace

void unary_forward(UnaryOp op, float* out, const float* x, int64_t n, float p0, float p1) {
  switch (op) {
    case UnaryOp::Neg: map_parallel(n, [=](int64_t i) { out[i] = -x[i]; }); break;
    case UnaryOp::Exp: map_parallel(n, [=](int64_t i) { out[i] = std::exp(x[i]); }); break;
    case UnaryOp::Log: map_parallel(n, [=](int64_t i) { out[i] = std::log(x[i]); }); break;
    case UnaryOp::Sqrt: map_parallel(n, [=](int64_t i) { out[i] = std::sqrt(x[i]); }); break;
    case UnaryOp::Abs: map_parallel(n, [=](int64_t i) { out[i] = std::fabs(x[i]); }); break;
    // NaN fails `x <= 0` and passes through, as in PyTorch (`x > 0 ? x : 0` would make it 0).
    case UnaryOp::Relu: map_parallel(n, [=](int64_t i) { out[i] = x[i] <= 0 ? 0.0f : x[i]; }); break;
    case UnaryOp::LeakyRelu:
      map_parallel(n, [=](int64_t i) { out[i] = x[i] > 0 ? x[i] : p0 * x[i]; });
      break;
    case UnaryOp::Gelu: map_parallel(n, [=](int64_t i) { out[i] = gelu(x[i]); }); break;
    case UnaryOp::Sigmoid: map_parallel(n, [=](int64_t i) { out[i] = sigmoidf(x[i]); }); break;
    case UnaryOp::Tanh: map_parallel(n, [=](int64_t i) { out[i] = std::tanh(x[i]); }); break;
    case UnaryOp::Clamp:
      // std::max(x, lo) is `x < lo ? lo : x` and std::min(y, hi) is `hi < y ? hi : y`: both
      // keep a NaN x, as PyTorch does. The operand order matters.
      map_parallel(n, [=](int64_t i) { out[i] = std::min(std::max(x[i], p0), p1); });
      break;
    case UnaryOp::PowScalar:
      map_parallel(n, [=](int64_t i) { out[i] = std::pow(x[i], p0); });
      break;
    default: break;
  }
}

void unary_backward(UnaryOp op, float* gx, const float* g, const float* x, const float* out,
                    int64_t n, float p0, float p1) {
  switch (op) {
    case UnaryOp::Neg: map_parallel(n, [=](int64_t i) { gx[i] -= g[i]; }); break;
    case UnaryOp::Exp: map_parallel(n, [=](int64_t i) { gx[i] += g[i] * out[i]; }); break;
    case UnaryOp::Log: map_parallel(n, [=](int64_t i) { gx[i] += g[i] / x[i]; }); break;
    case UnaryOp::Sqrt: map_parallel(n, [=](int64_t i) { gx[i] += g[i] * 0.5f / out[i]; }); break;
    case UnaryOp::Abs:
      map_parallel(n, [=](int64_t i) {
        float gi = g[i], xi = x[i];
        gx[i] += xi > 0 ? gi : (xi < 0 ? -gi : 0.0f);
      });
      break;
    case UnaryOp::Relu:
      // Both loads happen unconditionally so the select compiles to a blend, not a
      // branch that mispredicts on random signs. A select, not g * 0: an inf or NaN
      // gradient of an inactive unit gives 0. PyTorch selects on the output, so a NaN
      // input (NaN output) passes its gradient.
      map_parallel(n, [=](int64_t i) {
        float gi = g[i];
        gx[i] += x[i] <= 0 ? 0.0f : gi;
      });
      break;
    case UnaryOp::LeakyRelu:
      map_parallel(n, [=](int64_t i) {
        float gi = g[i];
        gx[i] += x[i] > 0 ? gi : p0 * gi;
      });
      break;
    case UnaryOp::Gelu: map_parallel(n, [=](int64_t i) { gx[i] += g[i] * gelu_grad(x[i]); }); break;
    case UnaryOp::Sigmoid:
      map_parallel(n, [=](int64_t i) { gx[i] += g[i] * out[i] * (1.0f - out[i]); });
      break;
    case UnaryOp::Tanh:
      map_parallel(n, [=](int64_t i) { gx[i] += g[i] * (1.0f - out[i] * out[i]); });
      break;
    case UnaryOp::Clamp:
      // Gradient flows where the input was inside [p0, p1].
      map_parallel(n, [=](int64_t i) {
        float gi = g[i], xi = x[i];
        gx[i] += (xi >= p0) & (xi <= p1) ? gi : 0.0f;
      });
      break;
    case UnaryOp::PowScalar:
      map_parallel(n, [=](int64_t i) { gx[i] += g[i] * p0 * std::pow(x[i], p0 - 1.0f); });
      break;
    default: break;
  }
}

namespace {

template <BinaryOp Op>
inline float apply(float a, float b) {
  if constexpr (Op == BinaryOp::Add) return a + b;
  if constexpr (Op == BinaryOp::Sub) return a - b;
  if constexpr (Op == BinaryOp::Mul) return a * b;
  if constexpr (Op == BinaryOp::Div) return a / b;
  if constexpr (Op == BinaryOp::Pow) return std::pow(a, b);
  // Ties give a; a NaN on either side gives NaN, as in PyTorch.
  if constexpr (Op == BinaryOp::Maximum) return a >= b || a != a ? a : b;
  if constexpr (Op == BinaryOp::Minimum) return a <= b || a != a ? a : b;
  return 0.0f;
}

// d out / d a and d out / d b at one element.
template <BinaryOp Op>
inline void partials(float a, float b, float out, float& da, float& db) {
  if constexpr (Op == BinaryOp::Add) { da = 1; db = 1; }
  if constexpr (Op == BinaryOp::Sub) { da = 1; db = -1; }
  if constexpr (Op == BinaryOp::Mul) { da = b; db = a; }
  if constexpr (Op == BinaryOp::Div) { da = 1.0f / b; db = -a / (b * b); }
  if constexpr (Op == BinaryOp::Pow) {
    da = b * std::pow(a, b - 1.0f);
    db = a > 0 ? out * std::log(a) : 0.0f;
  }
  // Ties send the gradient to a; a NaN on either side sends it to both, as PyTorch's
  // masks (`self < other`, `self > other`) do. backward_impl selects on these.
  if constexpr (Op == BinaryOp::Maximum) { da = a < b ? 0.0f : 1.0f; db = a >= b ? 0.0f : 1.0f; }
  if constexpr (Op == BinaryOp::Minimum) { da = a > b ? 0.0f : 1.0f; db = a <= b ? 0.0f : 1.0f; }
}

// g * d, except that maximum and minimum select (an inf or NaN g of the losing side
// gives 0, not NaN).
template <BinaryOp Op>
inline float chain(float g, float d) {
  if constexpr (Op == BinaryOp::Maximum || Op == BinaryOp::Minimum) return d != 0.0f ? g : 0.0f;
  return g * d;
}

// Merges adjacent dims that are contiguous for the output and both inputs, so the
// common cases (same shape, row bias, scalar) become one or two flat loops.
Broadcast coalesce(const Broadcast& in) {
  Broadcast out;
  for (int d = 0; d < in.ndim; ++d) {
    if (in.shape[d] == 1) continue;  // size-1 dims never move an index
    if (out.ndim > 0) {
      int k = out.ndim - 1;
      if (out.a_stride[k] == in.a_stride[d] * in.shape[d] &&
          out.b_stride[k] == in.b_stride[d] * in.shape[d]) {
        out.shape[k] *= in.shape[d];
        out.a_stride[k] = in.a_stride[d];
        out.b_stride[k] = in.b_stride[d];
        continue;
      }
    }
    out.shape[out.ndim] = in.shape[d];
    out.a_stride[out.ndim] = in.a_stride[d];
    out.b_stride[out.ndim] = in.b_stride[d];
    ++out.ndim;
  }
  if (out.ndim == 0) {  // a scalar result
    out.ndim = 1;
    out.shape[0] = 1;
  }
  return out;
}

// Visits output rows (all dims but the last) in [row_lo, row_hi) and calls
// f(out_offset, a_offset, b_offset, inner_len, a_inner_stride, b_inner_stride).
template <typename F>
void for_rows(const Broadcast& bc, int64_t row_lo, int64_t row_hi, F f) {
  int last = bc.ndim - 1;
  int64_t inner = bc.shape[last];
  int64_t idx[kMaxDims] = {};
  int64_t rem = row_lo;
  for (int d = last - 1; d >= 0; --d) {
    idx[d] = rem % bc.shape[d];
    rem /= bc.shape[d];
  }
  for (int64_t row = row_lo; row < row_hi; ++row) {
    int64_t ao = 0, bo = 0;
    for (int d = 0; d < last; ++d) {
      ao += idx[d] * bc.a_stride[d];
      bo += idx[d] * bc.b_stride[d];
    }
    f(row * inner, ao, bo, inner, bc.a_stride[last], bc.b_stride[last]);
    for (int d = last - 1; d >= 0; --d) {
      if (++idx[d] < bc.shape[d]) break;
      idx[d] = 0;
    }
  }
}

template <BinaryOp Op>
void forward_impl(float* out, const float* a, const float* b, const Broadcast& raw) {
  Broadcast bc = coalesce(raw);
  int64_t inner = bc.shape[bc.ndim - 1];
  int64_t rows = bc.size() / inner;
  int64_t grain_rows = std::max<int64_t>(1, kGrain / std::max<int64_t>(inner, 1));
  parallel_for(rows, grain_rows, [&](int64_t lo, int64_t hi) {
    for_rows(bc, lo, hi, [&](int64_t o, int64_t ao, int64_t bo, int64_t len, int64_t sa, int64_t sb) {
      float* po = out + o;
      const float* pa = a + ao;
      const float* pb = b + bo;
      if (sa == 1 && sb == 1) {
        for (int64_t i = 0; i < len; ++i) po[i] = apply<Op>(pa[i], pb[i]);
      } else if (sa == 1 && sb == 0) {
        float bv = *pb;
        for (int64_t i = 0; i < len; ++i) po[i] = apply<Op>(pa[i], bv);
      } else if (sa == 0 && sb == 1) {
        float av = *pa;
        for (int64_t i = 0; i < len; ++i) po[i] = apply<Op>(av, pb[i]);
      } else {
        for (int64_t i = 0; i < len; ++i) po[i] = apply<Op>(pa[i * sa], pb[i * sb]);
      }
    });
  });
}

bool is_dense(const Broadcast& bc, const int64_t* stride) {
  int64_t expect = 1;
  for (int d = bc.ndim - 1; d >= 0; --d) {
    if (bc.shape[d] != 1 && stride[d] != expect) return false;
    expect *= bc.shape[d];
  }
  return true;
}

template <BinaryOp Op>
void backward_impl(float* ga, float* gb, const float* g, const float* a, const float* b,
                   const float* out, const Broadcast& raw) {
  Broadcast bc = coalesce(raw);
  int64_t inner = bc.shape[bc.ndim - 1];
  int64_t rows = bc.size() / inner;
  // A broadcast input receives contributions from many output rows, so its
  // accumulation must not be split across threads. Dense inputs can be.
  bool parallel_ok = (!ga || is_dense(bc, bc.a_stride)) && (!gb || is_dense(bc, bc.b_stride));
  auto body = [&](int64_t lo, int64_t hi) {
    for_rows(bc, lo, hi, [&](int64_t o, int64_t ao, int64_t bo, int64_t len, int64_t sa, int64_t sb) {
      for (int64_t i = 0; i < len; ++i) {
        float av = a[ao + i * sa], bv = b[bo + i * sb];
        float da, db;
        partials<Op>(av, bv, out ? out[o + i] : 0.0f, da, db);
        float gi = g[o + i];
        if (ga) ga[ao + i * sa] += chain<Op>(gi, da);
        if (gb) gb[bo + i * sb] += chain<Op>(gi, db);
      }
    });
  };
  if (parallel_ok) {
    int64_t grain_rows = std::max<int64_t>(1, kGrain / std::max<int64_t>(inner, 1));
    parallel_for(rows, grain_rows, body);
  } else {
    body(0, rows);
  }
}


template <BinaryOp Op>
struct Forward {
  static void run(float* out, const float* a, const float* b, const Broadcast& bc) {
    forward_impl<Op>(out, a, b, bc);
  }
};
template <BinaryOp Op>
struct Backward {
  static void run(float* ga, float* gb, const float* g, const float* a, const float* b,
                  const float* out, const Broadcast& bc) {
    backward_impl<Op>(ga, gb, g, a, b, out, bc);
  }
};

}  // namespace

void binary_forward(BinaryOp op, float* out, const float* a, const float* b, const Broadcast& bc) {
  dispatch_binary<Forward>(op, out, a, b, bc);
}

void binary_backward(BinaryOp op, float* ga, float* gb, const float* gout, const float* a,
                     const float* b, const float* out, const Broadcast& bc) {
  dispatch_binary<Backward>(op, ga, gb, gout, a, b, out, bc);
}

void axpy(float* y, const float* x, float alpha, int64_t n) {
  map_parallel(n, [=](int64_t i) { y[i] += alpha * x[i]; });
}

void fill(float* out, float value, int64_t n) {
  map_parallel(n, [=](int64_t i) { out[i] = value; });
}

}  // namespace tl::cpu
