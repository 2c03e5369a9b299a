// The body of the direct convolution kernels declared in conv_direct.h. Included once per
// instruction set, inside namespace TL_DIRECT_NS, by conv_direct{,_avx2}.cc; each copy is
// compiled with that set's flags. Written with GCC vector types of 8 floats: one ymm
// register with AVX2, a pair of xmm registers in the portable copy.
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__FMA__)
#include <immintrin.h>
#endif

#include "conv_direct.h"

namespace tl::cpu::TL_DIRECT_NS {
namespace {

typedef float vf __attribute__((vector_size(32)));
constexpr int kW = 8;  // lanes

inline vf load(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, vf v) { std::memcpy(p, &v, sizeof v); }
inline vf splat(float s) { return vf{s, s, s, s, s, s, s, s}; }
inline vf fma(vf a, vf b, vf c) {
#if defined(__FMA__)
  return (vf)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
#else
  return a * b + c;
#endif
}
inline float hsum(vf v) {
  return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

// Offsets of each tap (ci, ki, kj) from an output position's top-left input element.
int64_t tap_offsets(int64_t* off, const DirectConvPlane& p) {
  int64_t t = 0;
  for (int64_t ci = 0; ci < p.cg; ++ci)
    for (int64_t ki = 0; ki < p.kh; ++ki)
      for (int64_t kj = 0; kj < p.kw; ++kj) off[t++] = (ci * p.hp + ki) * p.wp + kj;
  return t;
}

// Both kernels walk each image as one long row. With stride 1, output (oy, ox) reads
// input oy*wp + ox + off[t]: numbering outputs q = oy*wp + ox over the padded width makes
// every tap a constant shift of q, so a whole plane is one loop with no per-row setup
// (rows of 26 spent as long on setup and a scalar tail as on the vector work). The
// columns ow..wp-1 of each virtual row are not outputs: forward drops them when it
// copies rows out, backward multiplies them by zeros.
inline int64_t virtual_span(const DirectConvPlane& p) { return (p.oh * p.wp + kW - 1) / kW * kW; }

thread_local std::vector<float> tls_rows;

float* rows_scratch(int64_t n) {
  if (static_cast<int64_t>(tls_rows.size()) < n) tls_rows.resize(n);
  return tls_rows.data();
}

// OC output channels from o0: OC accumulators, one input load per tap shared by all.
template <int OC>
void forward_channels(float* out, const float* xp, const float* w, const float* bias,
                      const DirectConvPlane& p, const int64_t* off, int64_t taps, int64_t o0, float* rows) {
  const int64_t span = virtual_span(p);
  const float* wo = w + o0 * taps;
  for (int64_t q = 0; q < span; q += kW) {
    vf acc[OC];
#pragma GCC unroll 8
    for (int c = 0; c < OC; ++c) acc[c] = splat(bias ? bias[o0 + c] : 0.0f);
    for (int64_t t = 0; t < taps; ++t) {
      const vf xv = load(xp + off[t] + q);
#pragma GCC unroll 8
      for (int c = 0; c < OC; ++c) acc[c] = fma(xv, splat(wo[c * taps + t]), acc[c]);
    }
#pragma GCC unroll 8
    for (int c = 0; c < OC; ++c) store(rows + c * span + q, acc[c]);
  }
  const int64_t ohw = p.oh * p.ow;
  for (int c = 0; c < OC; ++c)
    for (int64_t oy = 0; oy < p.oh; ++oy)
      std::memcpy(out + (o0 + c) * ohw + oy * p.ow, rows + c * span + oy * p.wp, p.ow * sizeof(float));
}

void forward(float* out, const float* xp, const float* w, const float* bias, const DirectConvPlane& p) {
  int64_t off[kDirectConvMaxTaps];
  const int64_t taps = tap_offsets(off, p);
  float* rows = rows_scratch(8 * virtual_span(p));
  int64_t o0 = 0;
  for (; o0 + 8 <= p.og; o0 += 8) forward_channels<8>(out, xp, w, bias, p, off, taps, o0, rows);
  if (o0 + 4 <= p.og) forward_channels<4>(out, xp, w, bias, p, off, taps, o0, rows), o0 += 4;
  if (o0 + 2 <= p.og) forward_channels<2>(out, xp, w, bias, p, off, taps, o0, rows), o0 += 2;
  if (o0 < p.og) forward_channels<1>(out, xp, w, bias, p, off, taps, o0, rows);
}

// Taps t0 .. t0+tn of one output channel's weight gradient from its gradient gq laid out
// as virtual rows (zeros in the columns that are not outputs), TN >= tn accumulators:
// each gradient vector is loaded once and multiplied into every tap's shifted input.
// Accumulators past tn repeat tap t0 and are dropped. Sums are reduced in a fixed order.
template <int TN>
void weight_taps(float* gw_o, const float* gq, const float* xp, const DirectConvPlane& p,
                 const int64_t* off, int64_t t0, int64_t tn) {
  const float* x_t[TN];
  for (int j = 0; j < TN; ++j) x_t[j] = xp + off[t0 + (j < tn ? j : 0)];
  const int64_t span = virtual_span(p);
  vf acc[TN];
#pragma GCC unroll 12
  for (int j = 0; j < TN; ++j) acc[j] = splat(0.0f);
  for (int64_t q = 0; q < span; q += kW) {
    const vf gv = load(gq + q);
#pragma GCC unroll 12
    for (int j = 0; j < TN; ++j) acc[j] = fma(gv, load(x_t[j] + q), acc[j]);
  }
  for (int64_t j = 0; j < tn; ++j) gw_o[t0 + j] += hsum(acc[j]);
}

void backward_weight(float* gw, const float* g, const float* xp, const DirectConvPlane& p) {
  int64_t off[kDirectConvMaxTaps];
  const int64_t taps = tap_offsets(off, p);
  const int64_t span = virtual_span(p), ohw = p.oh * p.ow;
  float* gq = rows_scratch(span);
  std::memset(gq, 0, span * sizeof(float));
  for (int64_t o = 0; o < p.og; ++o) {
    for (int64_t oy = 0; oy < p.oh; ++oy)
      std::memcpy(gq + oy * p.wp, g + o * ohw + oy * p.ow, p.ow * sizeof(float));
    for (int64_t t0 = 0; t0 < taps; t0 += 12) {
      const int64_t tn = taps - t0 < 12 ? taps - t0 : 12;
      float* gw_o = gw + o * taps;
      if (tn <= 4) weight_taps<4>(gw_o, gq, xp, p, off, t0, tn);
      else if (tn <= 6) weight_taps<6>(gw_o, gq, xp, p, off, t0, tn);
      else if (tn <= 9) weight_taps<9>(gw_o, gq, xp, p, off, t0, tn);
      else weight_taps<12>(gw_o, gq, xp, p, off, t0, tn);
    }
  }
}

}  // namespace

extern const DirectConvKernels kDirectConv = {forward, backward_weight};

}  // namespace tl::cpu::TL_DIRECT_NS
