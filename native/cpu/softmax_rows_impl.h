// The body of the row primitives declared in softmax_rows.h. Included once per
// instruction set, inside namespace TL_ROWS_NS, by softmax_rows{,_avx2,_avx512}.cc; each
// copy is compiled with that set's flags and auto-vectorised. Nothing here may use
// shared inline library code (std::max, std::function...): a copy compiled for AVX2
// could otherwise be linked into the portable path.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "softmax_rows.h"

// GCC keeps float compares in branches (no vectorisation) while FP exceptions are
// observable; nothing here reads them, so the selects in exp_fast may become blends.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "no-math-errno")
#endif

namespace tl::cpu::TL_ROWS_NS {
namespace {

constexpr int kLanes = 16;  // independent accumulators: a vector register or two

inline float bits_to_float(int32_t i) {
  float f;
  std::memcpy(&f, &i, sizeof f);
  return f;
}
inline int32_t float_to_bits(float f) {
  int32_t i;
  std::memcpy(&i, &f, sizeof i);
  return i;
}

// exp(x) without branches, so loops over it vectorise. x = n*ln2 + r with |r| <= ln2/2
// (Cody-Waite split of ln2 so n*ln2_hi is exact), exp(r) by its degree-7 Taylor
// polynomial (truncation < 1e-8 relative), 2^n built in the exponent bits: about 1 ulp.
// The input is not clamped (that costs more than the rest); out-of-range inputs compute
// garbage that the two final selects replace: 0 below kLo (denormal results flush to 0),
// +inf above kHi. NaN stays NaN. Callers pass x <= 0 (values minus their max).
inline float exp_fast(float x) {
  const float kHi = 88.3762626647949f;
  const float kLo = -87.3365447505531f;
  const float kShift = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  float t = x * 1.44269504088896341f + kShift;
  float n = t - kShift;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  // Estrin's scheme: three levels of independent multiply-adds instead of a chain of
  // seven, so the latency of one vector overlaps the next.
  float r2 = r * r;
  float p01 = 1.0f + r;
  float p23 = 0.5f + r * (1.0f / 6.0f);
  float p45 = 1.0f / 24.0f + r * (1.0f / 120.0f);
  float p67 = 1.0f / 720.0f + r * (1.0f / 5040.0f);
  float p03 = p01 + r2 * p23;
  float p47 = p45 + r2 * p67;
  float p = p03 + (r2 * r2) * p47;
  // Unsigned arithmetic: out-of-range n wraps instead of overflowing a signed int.
  uint32_t e = (static_cast<uint32_t>(float_to_bits(t)) - static_cast<uint32_t>(float_to_bits(kShift)) + 127u) << 23;
  float y = p * bits_to_float(static_cast<int32_t>(e));
  y = x < kLo ? 0.0f : y;
  return x > kHi ? INFINITY : y;
}

// Floats mapped to int32 keys that order the same way (negative values have their
// magnitude bits flipped), so the max is an integer reduction: GCC will not vectorise a
// float max without -ffinite-math-only. A NaN with the sign bit clear wins the max,
// which makes the whole slice NaN, as it should.
inline int32_t order_key(float f) {
  int32_t b = float_to_bits(f);
  return b ^ ((b >> 31) & 0x7fffffff);
}
inline float from_order_key(int32_t k) { return bits_to_float(k ^ ((k >> 31) & 0x7fffffff)); }

inline float row_max(const float* x, int64_t n) {  // n >= 1
  int32_t m = INT32_MIN;
  for (int64_t i = 0; i < n; ++i) {
    int32_t k = order_key(x[i]);
    m = k > m ? k : m;
  }
  return from_order_key(m);
}

inline float lane_sum(const float* s) {
  float r = 0;
  for (int j = 0; j < kLanes; ++j) r += s[j];
  return r;
}

// out[i] = exp(x[i] - m): a plain loop, which vectorises best.
inline void exp_shifted(float* out, const float* x, int64_t n, float m) {
  for (int64_t i = 0; i < n; ++i) out[i] = exp_fast(x[i] - m);
}

float dot(const float* x, const float* w, int64_t n) {
  float s[kLanes] = {};
  int64_t i = 0;
  if (w) {
    for (; i + kLanes <= n; i += kLanes)
      for (int j = 0; j < kLanes; ++j) s[j] += x[i + j] * w[i + j];
  } else {
    for (; i + kLanes <= n; i += kLanes)
      for (int j = 0; j < kLanes; ++j) s[j] += x[i + j];
  }
  float r = lane_sum(s);
  for (; i < n; ++i) r += w ? x[i] * w[i] : x[i];
  return r;
}

// sum(exp(x - m)) without storing the exps: blocks through a small stack buffer.
inline float sum_exp(const float* x, int64_t n, float m) {
  constexpr int64_t kBlock = 256;
  float buf[kBlock];
  float s = 0;
  for (int64_t i = 0; i < n; i += kBlock) {
    int64_t len = n - i < kBlock ? n - i : kBlock;
    exp_shifted(buf, x + i, len, m);
    s += dot(buf, nullptr, len);
  }
  return s;
}

float logsumexp(const float* x, int64_t n) {
  float m = row_max(x, n);
  if (m == INFINITY || m == -INFINITY) return m;  // all -inf, or an inf logit
  return m + logf(sum_exp(x, n, m));
}

void softmax_rows(float* out, const float* x, int64_t rows, int64_t n, bool log) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = out + r * n;
    if (r + 1 < rows) prefetch_row(xr + n, n);
    float m = row_max(xr, n);
    exp_shifted(yr, xr, n, m);
    float s = dot(yr, nullptr, n);
    if (log) {
      // (x - m) - log(sum) rather than x - (m + log(sum)): exact for large logits.
      float ls = logf(s);
      for (int64_t i = 0; i < n; ++i) yr[i] = (xr[i] - m) - ls;
    } else {
      float inv = 1.0f / s;
      for (int64_t i = 0; i < n; ++i) yr[i] *= inv;
    }
  }
}

void softmax_rows_backward(float* gx, const float* g, const float* y, int64_t rows, int64_t n,
                           bool log) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* gr = g + r * n;
    const float* yr = y + r * n;
    float* gxr = gx + r * n;
    if (log) {
      float s = dot(gr, nullptr, n);
      for (int64_t i = 0; i < n; ++i) gxr[i] += gr[i] - exp_fast(yr[i]) * s;
    } else {
      float s = dot(gr, yr, n);
      for (int64_t i = 0; i < n; ++i) gxr[i] += yr[i] * (gr[i] - s);
    }
  }
}

constexpr int64_t kCols = 64;  // inner columns handled together in the strided case

void softmax_strided(float* out, const float* x, int64_t axis, int64_t inner, int64_t i0,
                     int64_t i1, bool log) {
  for (int64_t c0 = i0; c0 < i1; c0 += kCols) {
    int64_t w = i1 - c0 < kCols ? i1 - c0 : kCols;
    float m[kCols], s[kCols];
    for (int64_t j = 0; j < w; ++j) { m[j] = -INFINITY; s[j] = 0; }
    for (int64_t a = 0; a < axis; ++a) {
      const float* xa = x + a * inner + c0;
      for (int64_t j = 0; j < w; ++j) m[j] = xa[j] > m[j] ? xa[j] : m[j];
    }
    for (int64_t a = 0; a < axis; ++a) {
      const float* xa = x + a * inner + c0;
      float* ya = out + a * inner + c0;
      if (log) {
        for (int64_t j = 0; j < w; ++j) s[j] += exp_fast(xa[j] - m[j]);
      } else {
        for (int64_t j = 0; j < w; ++j) {
          float e = exp_fast(xa[j] - m[j]);
          ya[j] = e;
          s[j] += e;
        }
      }
    }
    if (log) {
      for (int64_t j = 0; j < w; ++j) s[j] = logf(s[j]);
    } else {
      for (int64_t j = 0; j < w; ++j) s[j] = 1.0f / s[j];
    }
    for (int64_t a = 0; a < axis; ++a) {
      const float* xa = x + a * inner + c0;
      float* ya = out + a * inner + c0;
      if (log) {
        for (int64_t j = 0; j < w; ++j) ya[j] = (xa[j] - m[j]) - s[j];
      } else {
        for (int64_t j = 0; j < w; ++j) ya[j] *= s[j];
      }
    }
  }
}

void softmax_strided_backward(float* gx, const float* g, const float* y, int64_t axis,
                              int64_t inner, int64_t i0, int64_t i1, bool log) {
  for (int64_t c0 = i0; c0 < i1; c0 += kCols) {
    int64_t w = i1 - c0 < kCols ? i1 - c0 : kCols;
    float s[kCols];
    for (int64_t j = 0; j < w; ++j) s[j] = 0;
    for (int64_t a = 0; a < axis; ++a) {
      const float* ga = g + a * inner + c0;
      const float* ya = y + a * inner + c0;
      if (log) {
        for (int64_t j = 0; j < w; ++j) s[j] += ga[j];
      } else {
        for (int64_t j = 0; j < w; ++j) s[j] += ga[j] * ya[j];
      }
    }
    for (int64_t a = 0; a < axis; ++a) {
      const float* ga = g + a * inner + c0;
      const float* ya = y + a * inner + c0;
      float* gxa = gx + a * inner + c0;
      if (log) {
        for (int64_t j = 0; j < w; ++j) gxa[j] += ga[j] - exp_fast(ya[j]) * s[j];
      } else {
        for (int64_t j = 0; j < w; ++j) gxa[j] += ya[j] * (ga[j] - s[j]);
      }
    }
  }
}

void axpy_exp(float* gx, const float* z, int64_t n, float shift, float alpha, float beta,
              const float* w) {
  if (w) {
    for (int64_t i = 0; i < n; ++i) gx[i] += alpha * exp_fast(z[i] - shift) + beta * w[i];
  } else {
    for (int64_t i = 0; i < n; ++i) gx[i] += alpha * exp_fast(z[i] - shift) + beta;
  }
}

}  // namespace

extern const RowKernels kRowKernels = {
    softmax_rows, softmax_rows_backward, softmax_strided, softmax_strided_backward,
    logsumexp,    dot,                   axpy_exp,
};

}  // namespace tl::cpu::TL_ROWS_NS
