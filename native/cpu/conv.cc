#include "conv.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../core/element_math.h"
#include "../core/parallel.h"
#include "conv_direct.h"
#include "matmul.h"

namespace tl::cpu {
namespace {

// Per-thread scratch that lives across calls (no page faults after warm-up): im2col
// columns, weight-gradient partials, a transposed weight gradient, a padded image.
thread_local std::vector<float> tls_col, tls_gw, tls_gw_t, tls_pad;

float* scratch(std::vector<float>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(n);
  return v.data();
}

bool is_pointwise(const Conv2dShape& s) {
  return s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1 && s.ph == 0 && s.pw == 0;
}

// The output rows oy whose input row oy*sh + y0 lies inside [0, h): [lo, hi).
inline std::pair<int64_t, int64_t> valid_rows(int64_t y0, const Conv2dShape& s) {
  const int64_t lo = std::min(s.oh, y0 >= 0 ? 0 : (-y0 + s.sh - 1) / s.sh);
  const int64_t hi = std::max(lo, std::min(s.oh, s.h - y0 > 0 ? (s.h - y0 - 1) / s.sh + 1 : 0));
  return {lo, hi};
}

// col[((ci*kh + ki)*kw + kj) * ld + oy*ow + ox] = x[ci][oy*sh - ph + ki*dh][ox*sw - pw + kj*dw],
// 0 outside; ld >= oh*ow lets several images sit side by side in one matrix.
// Rows are short (5..28), so per-row work matters: the valid range of oy depends only
// on ki and that of ox only on kj, and both are computed once per (ki, kj).
void im2col(float* __restrict col, int64_t ld, const float* __restrict x, int64_t cg, const Conv2dShape& s) {
  const int64_t h = s.h, w = s.w, oh = s.oh, ow = s.ow, sh = s.sh, sw = s.sw, ohw = oh * ow;
  for (int64_t ci = 0; ci < cg; ++ci)
    for (int64_t ki = 0; ki < s.kh; ++ki) {
      const int64_t y0 = ki * s.dh - s.ph;
      const auto [oy_lo, oy_hi] = valid_rows(y0, s);
      for (int64_t kj = 0; kj < s.kw; ++kj) {
        float* dst = col + ((ci * s.kh + ki) * s.kw + kj) * ld;
        const float* plane = x + ci * h * w;
        const int64_t x0 = kj * s.dw - s.pw;
        std::fill(dst, dst + oy_lo * ow, 0.0f);
        std::fill(dst + oy_hi * ow, dst + ohw, 0.0f);
        if (sw == 1) {
          // A contiguous run of valid columns with zeros either side.
          const int64_t lo = std::clamp<int64_t>(-x0, 0, ow), hi = std::clamp<int64_t>(w - x0, lo, ow);
          for (int64_t oy = oy_lo; oy < oy_hi; ++oy) {
            float* d = dst + oy * ow;
            const float* r = plane + (oy * sh + y0) * w + x0;
            for (int64_t ox = 0; ox < lo; ++ox) d[ox] = 0.0f;
            for (int64_t ox = lo; ox < hi; ++ox) d[ox] = r[ox];
            for (int64_t ox = hi; ox < ow; ++ox) d[ox] = 0.0f;
          }
        } else {
          for (int64_t oy = oy_lo; oy < oy_hi; ++oy) {
            float* d = dst + oy * ow;
            const float* row = plane + (oy * sh + y0) * w;
            for (int64_t ox = 0; ox < ow; ++ox) {
              int64_t ix = ox * sw + x0;
              d[ox] = (ix >= 0 && ix < w) ? row[ix] : 0.0f;
            }
          }
        }
      }
    }
}

// The adjoint of im2col: gx[ci][iy][ix] += col[...]; valid ranges hoisted as there.
void col2im(float* __restrict gx, const float* __restrict col, int64_t ld, int64_t cg, const Conv2dShape& s) {
  const int64_t h = s.h, w = s.w, ow = s.ow, sh = s.sh, sw = s.sw;
  for (int64_t ci = 0; ci < cg; ++ci)
    for (int64_t ki = 0; ki < s.kh; ++ki) {
      const int64_t y0 = ki * s.dh - s.ph;
      const auto [oy_lo, oy_hi] = valid_rows(y0, s);
      for (int64_t kj = 0; kj < s.kw; ++kj) {
        const float* src = col + ((ci * s.kh + ki) * s.kw + kj) * ld;
        float* plane = gx + ci * h * w;
        const int64_t x0 = kj * s.dw - s.pw;
        if (sw == 1) {
          const int64_t lo = std::clamp<int64_t>(-x0, 0, ow), hi = std::clamp<int64_t>(w - x0, lo, ow);
          for (int64_t oy = oy_lo; oy < oy_hi; ++oy) {
            float* r = plane + (oy * sh + y0) * w + x0;
            const float* c = src + oy * ow;
            for (int64_t ox = lo; ox < hi; ++ox) r[ox] += c[ox];
          }
        } else {
          for (int64_t oy = oy_lo; oy < oy_hi; ++oy) {
            float* row = plane + (oy * sh + y0) * w;
            const float* c = src + oy * ow;
            for (int64_t ox = 0; ox < ow; ++ox) {
              int64_t ix = ox * sw + x0;
              if (ix >= 0 && ix < w) row[ix] += c[ox];
            }
          }
        }
      }
    }
}

constexpr int64_t kWorkPerThread = int64_t{1} << 19;

// Images go to threads when there are enough of them; each image's gemm then runs on
// its own thread. With few images the gemm itself is threaded.
int image_threads(const Conv2dShape& s) {
  int64_t work = s.n * s.o * (s.c / s.groups) * s.kh * s.kw * s.oh * s.ow;
  return static_cast<int>(std::min<int64_t>({num_threads(), s.n, std::max<int64_t>(1, work / kWorkPerThread)}));
}

// Up to this many taps per output (cg*kh*kw) the direct kernels measured faster than
// im2col + gemm, alternating both on the same data (2-core Zen 3, AVX2; 1 to 3 input
// channels, 3x3 and 5x5 taps, 6 to 64 output channels): forward 1.1-1.8x, weight
// gradient 1.0-4x. At 36 and 54 taps the two were within noise.
constexpr int64_t kDirectMaxTaps = 32;

bool use_direct(const Conv2dShape& s) {
  const int64_t taps = (s.c / s.groups) * s.kh * s.kw;
  return s.sh == 1 && s.sw == 1 && s.dh == 1 && s.dw == 1 && taps <= kDirectMaxTaps &&
         taps <= kDirectConvMaxTaps && !is_pointwise(s);
}

DirectConvPlane direct_plane(const Conv2dShape& s) {
  return {s.c / s.groups, s.h + 2 * s.ph, s.w + 2 * s.pw, s.o / s.groups, s.kh, s.kw, s.oh, s.ow};
}

// One image's cg channels zero-padded by (ph, pw), with the zeros the direct kernels
// may read past the end, in per-thread scratch.
const float* padded_planes(const float* x, const Conv2dShape& s) {
  const DirectConvPlane p = direct_plane(s);
  const int64_t n = p.cg * p.hp * p.wp + direct_conv_slack(p);
  float* dst = scratch(tls_pad, n);
  std::fill(dst, dst + n, 0.0f);
  for (int64_t ci = 0; ci < p.cg; ++ci)
    for (int64_t y = 0; y < s.h; ++y)
      std::copy(x + (ci * s.h + y) * s.w, x + (ci * s.h + y + 1) * s.w, dst + (ci * p.hp + y + s.ph) * p.wp + s.pw);
  return dst;
}

// sums[c] += the sum of row c of g[channels][len].
void add_channel_sums(float* sums, const float* g, int64_t channels, int64_t len) {
  for (int64_t c = 0; c < channels; ++c) {
    const float* row = g + c * len;
    // Eight partial sums: one running sum is a chain of dependent adds the compiler
    // may not reorder (no -ffast-math), at a quarter of the add throughput.
    float acc[8] = {};
    int64_t p = 0;
    for (; p + 8 <= len; p += 8)
      for (int j = 0; j < 8; ++j) acc[j] += row[p + j];
    float total = 0.0f;
    for (; p < len; ++p) total += row[p];
    sums[c] += total + ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  }
}

// fn(first image, end, gemm thread cap, thread index).
void for_images(int nt, const Conv2dShape& s, const std::function<void(int64_t, int64_t, int, int)>& fn) {
  if (nt <= 1) return fn(0, s.n, 1 << 20, 0);
  parallel_run(nt, [&](int t, int total) {
    int64_t lo = s.n * t / total, hi = s.n * (t + 1) / total;
    if (lo < hi) fn(lo, hi, 1, t);
  });
}

}  // namespace

void conv2d_forward(float* out, const float* x, const float* w, const float* bias, const Conv2dShape& s) {
  const int64_t cg = s.c / s.groups, og = s.o / s.groups, ckk = cg * s.kh * s.kw, ohw = s.oh * s.ow;
  const bool pointwise = is_pointwise(s);
  int nt = image_threads(s);
  if (use_direct(s)) {
    const DirectConvKernels& k = direct_conv_kernels();
    const DirectConvPlane plane = direct_plane(s);
    for_images(nt, s, [&](int64_t lo, int64_t hi, int, int) {
      for (int64_t i = lo; i < hi; ++i)
        for (int64_t g = 0; g < s.groups; ++g)
          k.forward(out + (i * s.o + g * og) * ohw, padded_planes(x + (i * s.c + g * cg) * s.h * s.w, s),
                    w + g * og * ckk, bias ? bias + g * og : nullptr, plane);
    });
    return;
  }
  // One image at a time, written straight into the output with the bias added while
  // each block of it is still in cache: the output is the largest array a first layer
  // touches, and a second pass over it (or staging several images) costs as much as
  // the product.
  for_images(nt, s, [&](int64_t lo, int64_t hi, int gemm_threads, int) {
    float* col = pointwise ? nullptr : scratch(tls_col, ckk * ohw);
    for (int64_t i = lo; i < hi; ++i)
      for (int64_t g = 0; g < s.groups; ++g) {
        const float* src = x + (i * s.c + g * cg) * s.h * s.w;
        if (!pointwise) {
          im2col(col, ohw, src, cg, s);
          src = col;
        }
        GemmEpilogue ep;
        ep.row_bias = bias ? bias + g * og : nullptr;
        gemm_ex(false, false, og, ohw, ckk, 1.0f, w + g * og * ckk, ckk, src, ohw, 0.0f,
                out + (i * s.o + g * og) * ohw, ohw, &ep, gemm_threads);
      }
  });
}

void conv2d_backward(float* gx, float* gw, float* gb, const float* g, const float* x, const float* w,
                     const Conv2dShape& s) {
  const int64_t cg = s.c / s.groups, og = s.o / s.groups, ckk = cg * s.kh * s.kw, ohw = s.oh * s.ow;
  const int64_t wsize = s.o * ckk;
  const bool pointwise = is_pointwise(s);
  if (!gx && !gw && !gb) return;
  int nt = image_threads(s);
  // Weight and bias gradients of each thread's images go to a private slice of one
  // buffer the caller owns, summed afterwards in thread order (so a given thread count
  // always gives the same result, even where the pool runs the slices inline on one
  // thread). The bias sums are taken image by image while its gradient is in cache from
  // the products: the output gradient is often the largest array here, and a separate
  // pass over it cost as much as the weight gradient of a first layer.
  const int64_t slice = wsize + s.o;
  float* partials = ((gw || gb) && nt > 1) ? scratch(tls_gw, slice * nt) : nullptr;
  for_images(nt, s, [&](int64_t lo, int64_t hi, int gemm_threads, int t) {
    float* my_gw = gw;
    float* my_gb = gb;
    if (partials) {
      std::fill(partials + t * slice, partials + (t + 1) * slice, 0.0f);
      my_gw = gw ? partials + t * slice : nullptr;
      my_gb = gb ? partials + t * slice + wsize : nullptr;
    }
    // Few kernel taps and more output channels (a first layer: ckk = 9, og = 32): the
    // rows of gw would fill a fraction of each register tile's width; its transpose,
    // accumulated here and added back at the end, fills them.
    const bool gw_direct = my_gw && use_direct(s);
    const DirectConvPlane plane = direct_plane(s);
    const bool swap = my_gw && !gw_direct && ckk < og;
    float* gw_t = swap ? scratch(tls_gw_t, wsize) : nullptr;
    if (swap) std::fill(gw_t, gw_t + wsize, 0.0f);
    float* col = pointwise ? nullptr : scratch(tls_col, ckk * ohw);
    for (int64_t i = lo; i < hi; ++i) {
      if (my_gb) add_channel_sums(my_gb, g + i * s.o * ohw, s.o, ohw);
      if (!gx && !my_gw) continue;
      for (int64_t gr = 0; gr < s.groups; ++gr) {
        const float* xg = x + (i * s.c + gr * cg) * s.h * s.w;
        const float* gg = g + (i * s.o + gr * og) * ohw;
        const float* wg = w + gr * og * ckk;
        if (gw_direct) {
          direct_conv_kernels().backward_weight(my_gw + gr * og * ckk, gg, padded_planes(xg, s), plane);
        } else if (my_gw) {
          const float* src = xg;
          if (!pointwise) {
            im2col(col, ohw, xg, cg, s);
            src = col;
          }
          if (swap)  // gw_g^T[ckk, og] += col[ckk, ohw] @ g[og, ohw]^T
            gemm_ex(false, true, ckk, og, ohw, 1.0f, src, ohw, gg, ohw, 1.0f, gw_t + gr * og * ckk, og,
                    nullptr, gemm_threads);
          else  // gw_g[og, ckk] += g[og, ohw] @ col[ckk, ohw]^T
            gemm_ex(false, true, og, ckk, ohw, 1.0f, gg, ohw, src, ohw, 1.0f, my_gw + gr * og * ckk, ckk,
                    nullptr, gemm_threads);
        }
        if (gx) {
          float* gxg = gx + (i * s.c + gr * cg) * s.h * s.w;
          if (pointwise) {
            gemm_ex(true, false, ckk, ohw, og, 1.0f, wg, ckk, gg, ohw, 1.0f, gxg, ohw, nullptr, gemm_threads);
          } else {
            // col = w_g^T @ g, then scattered back onto the image.
            gemm_ex(true, false, ckk, ohw, og, 1.0f, wg, ckk, gg, ohw, 0.0f, col, ohw, nullptr, gemm_threads);
            col2im(gxg, col, ohw, cg, s);
          }
        }
      }
    }
    if (swap)
      for (int64_t gr = 0; gr < s.groups; ++gr)
        for (int64_t oc = 0; oc < og; ++oc)
          for (int64_t j = 0; j < ckk; ++j) my_gw[(gr * og + oc) * ckk + j] += gw_t[gr * og * ckk + j * og + oc];
  });
  if (partials) {
    // Threads that got no images left their slice untouched: clear-before-use covers
    // only the ones that ran, so sum only those.
    for (int t = 0; t < nt; ++t) {
      if (s.n * t / nt >= s.n * (t + 1) / nt) continue;
      const float* p = partials + t * slice;
      if (gw)
        for (int64_t j = 0; j < wsize; ++j) gw[j] += p[j];
      if (gb)
        for (int64_t j = 0; j < s.o; ++j) gb[j] += p[wsize + j];
    }
  }
}

namespace {

// One output of a max pool whose window may stick out of the plane (padding never wins).
inline void maxpool_edge(float* out, int32_t* argmax, const float* xp, const Pool2dShape& s,
                         int64_t oy, int64_t ox) {
  int64_t at;
  *out = elem::maxpool_window(xp, s, oy, ox, at);
  *argmax = static_cast<int32_t>(at);
}

}  // namespace

void maxpool2d_forward(float* out, int32_t* argmax, const float* x, const Pool2dShape& s) {
  const int64_t planes = s.n * s.c, hw = s.h * s.w, ohw = s.oh * s.ow;
  // Outputs ox in [ox_lo, ox_hi) have windows inside the plane horizontally.
  const int64_t ox_lo = std::min(s.ow, (s.pw + s.sw - 1) / s.sw);
  const int64_t ox_hi = std::max(ox_lo, std::min(s.ow, s.w - s.kw + s.pw >= 0 ? (s.w - s.kw + s.pw) / s.sw + 1 : 0));
  parallel_for(planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, ohw * s.kh * s.kw)), [&](int64_t lo, int64_t hi) {
    const int64_t w = s.w, kh = s.kh, kw = s.kw, sw = s.sw;
    for (int64_t pl = lo; pl < hi; ++pl) {
      const float* xp = x + pl * hw;
      for (int64_t oy = 0; oy < s.oh; ++oy) {
        float* orow = out + pl * ohw + oy * s.ow;
        int32_t* arow = argmax + pl * ohw + oy * s.ow;
        const int64_t y0 = oy * s.sh - s.ph;
        if (y0 < 0 || y0 + kh > s.h) {
          for (int64_t ox = 0; ox < s.ow; ++ox) maxpool_edge(orow + ox, arow + ox, xp, s, oy, ox);
          continue;
        }
        for (int64_t ox = 0; ox < ox_lo; ++ox) maxpool_edge(orow + ox, arow + ox, xp, s, oy, ox);
        for (int64_t ox = ox_hi; ox < s.ow; ++ox) maxpool_edge(orow + ox, arow + ox, xp, s, oy, ox);
        const int64_t base = y0 * w - s.pw;
        if (kh == 2 && kw == 2 && sw == 2) {
          // The common 2x2 / stride-2 window: its four taps compared in registers, in the
          // order and by the rule of the loops below, one pass over the row instead of
          // four (stride-2 reads do not vectorise there anyway).
          for (int64_t ox = ox_lo; ox < ox_hi; ++ox) {
            const int64_t at0 = base + 2 * ox;
            float best = xp[at0];
            int64_t at = at0;
            for (int64_t off : {int64_t{1}, w, w + 1}) {
              const float v = xp[at0 + off];
              const bool take = (v > best) | ((v != v) & (best == best));  // NaN propagates
              best = take ? v : best;
              at = take ? at0 + off : at;
            }
            orow[ox] = best;
            arow[ox] = static_cast<int32_t>(at);
          }
          continue;
        }
        // Interior windows, a row of outputs at a time, tap by tap: the loops over ox are
        // selects the compiler vectorises, where a per-window branch would mispredict
        // about half the time on real data.
        for (int64_t ox = ox_lo; ox < ox_hi; ++ox) {
          orow[ox] = xp[base + ox * sw];
          arow[ox] = static_cast<int32_t>(base + ox * sw);
        }
        for (int64_t ki = 0; ki < kh; ++ki)
          for (int64_t kj = 0; kj < kw; ++kj) {
            if (ki == 0 && kj == 0) continue;
            const int64_t off = base + ki * w + kj;
            for (int64_t ox = ox_lo; ox < ox_hi; ++ox) {
              float v = xp[off + ox * sw], best = orow[ox];
              bool take = (v > best) | ((v != v) & (best == best));  // NaN propagates
              orow[ox] = take ? v : best;
              arow[ox] = take ? static_cast<int32_t>(off + ox * sw) : arow[ox];
            }
          }
      }
    }
  });
}

void maxpool2d_backward(float* gx, const float* g, const int32_t* argmax, const Pool2dShape& s) {
  const int64_t planes = s.n * s.c, hw = s.h * s.w, ohw = s.oh * s.ow;
  for (int64_t j = 0; j < planes * ohw; ++j)
    if (argmax[j] < 0 || argmax[j] >= hw)
      throw std::out_of_range("argmax " + std::to_string(argmax[j]) +
                              " is outside the " + std::to_string(s.h) + "x" + std::to_string(s.w) + " plane");
  parallel_for(planes, std::max<int64_t>(1, 65536 / std::max<int64_t>(1, ohw)), [&](int64_t lo, int64_t hi) {
    for (int64_t pl = lo; pl < hi; ++pl)
      for (int64_t j = 0; j < ohw; ++j) gx[pl * hw + argmax[pl * ohw + j]] += g[pl * ohw + j];
  });
}

void avgpool2d_forward(float* out, const float* x, const Pool2dShape& s) {
  const int64_t planes = s.n * s.c, hw = s.h * s.w, ohw = s.oh * s.ow;
  const float scale = 1.0f / static_cast<float>(s.kh * s.kw);
  parallel_for(planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, ohw * s.kh * s.kw)), [&](int64_t lo, int64_t hi) {
    for (int64_t pl = lo; pl < hi; ++pl) {
      const float* xp = x + pl * hw;
      for (int64_t oy = 0; oy < s.oh; ++oy)
        for (int64_t ox = 0; ox < s.ow; ++ox)
          out[pl * ohw + oy * s.ow + ox] = elem::avgpool_window_sum(xp, s, oy, ox) * scale;
    }
  });
}

void avgpool2d_backward(float* gx, const float* g, const Pool2dShape& s) {
  const int64_t planes = s.n * s.c, hw = s.h * s.w, ohw = s.oh * s.ow;
  const float scale = 1.0f / static_cast<float>(s.kh * s.kw);
  parallel_for(planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, ohw * s.kh * s.kw)), [&](int64_t lo, int64_t hi) {
    for (int64_t pl = lo; pl < hi; ++pl) {
      float* gp = gx + pl * hw;
      for (int64_t oy = 0; oy < s.oh; ++oy)
        for (int64_t ox = 0; ox < s.ow; ++ox) {
          float v = g[pl * ohw + oy * s.ow + ox] * scale;
          for (int64_t ki = 0; ki < s.kh; ++ki) {
            int64_t iy = oy * s.sh - s.ph + ki;
            if (iy < 0 || iy >= s.h) continue;
            for (int64_t kj = 0; kj < s.kw; ++kj) {
              int64_t ix = ox * s.sw - s.pw + kj;
              if (ix >= 0 && ix < s.w) gp[iy * s.w + ix] += v;
            }
          }
        }
    }
  });
}

}  // namespace tl::cpu
