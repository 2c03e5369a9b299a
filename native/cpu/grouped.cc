#include "grouped.h"

#include <algorithm>

#include "../core/parallel.h"
#include "matmul.h"

namespace tl::cpu {
namespace {

// Groups whose products are this small (multiply-adds) run whole on one thread each,
// the groups split across threads, instead of each product split across threads.
constexpr int64_t kGroupWork = int64_t{1} << 21;
// Rows per parallel chunk of the mix (each row reads E*D floats).
constexpr int64_t kMixGrain = 64;

template <typename F>
void for_groups(int64_t groups, int64_t work, F f) {
  if (groups > 1 && num_threads() > 1 && work <= kGroupWork) {
    parallel_for(groups, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t e = lo; e < hi; ++e) f(e, 1);
    });
    return;
  }
  for (int64_t e = 0; e < groups; ++e) f(e, 1 << 20);
}

}  // namespace

void grouped_linear_forward(float* out, const float* x, const float* w, const float* bias, int64_t m,
                            int64_t groups, int64_t n, int64_t k, int act) {
  if (groups == 1) return linear_forward(out, x, w, bias, m, n, k, act);
  const int64_t ldx = groups * k, ldo = groups * n;
  for_groups(groups, m * n * k, [&](int64_t e, int max_threads) {
    GemmEpilogue ep;
    ep.bias = bias ? bias + e * n : nullptr;
    ep.relu = act == 1;
    gemm_ex(false, true, m, n, k, 1.0f, x + e * k, ldx, w + e * n * k, k, 0.0f, out + e * n, ldo, &ep, max_threads);
  });
}

void grouped_linear_backward(float* gx, float* gw, float* gb, float* g, const float* x, const float* w,
                             const float* out, int64_t m, int64_t groups, int64_t n, int64_t k,
                             int overwrite) {
  const int64_t ldx = groups * k, ldg = groups * n, total = m * ldg;
  if (out) {
    // The relu's gradient: zero where the output was clamped (NaN outputs pass no gradient,
    // as the unary relu's backward).
    parallel_for(total, int64_t{1} << 16, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) g[i] = out[i] > 0.0f ? g[i] : 0.0f;
    });
  }
  const float bx = overwrite & 1 ? 0.0f : 1.0f, bw = overwrite & 2 ? 0.0f : 1.0f;
  if (gx && bx == 0.0f && n == 0) std::fill(gx, gx + m * ldx, 0.0f);
  for_groups(groups, m * n * k, [&](int64_t e, int max_threads) {
    if (gx && n > 0)
      gemm_ex(false, false, m, k, n, 1.0f, g + e * n, ldg, w + e * n * k, k, bx, gx + e * k, ldx, nullptr, max_threads);
    if (gw)
      gemm_ex(true, false, n, k, m, 1.0f, g + e * n, ldg, x + e * k, ldx, bw, gw + e * n * k, k, nullptr, max_threads);
  });
  if (gb) {
    if (overwrite & 4) std::fill(gb, gb + ldg, 0.0f);
    for (int64_t i = 0; i < m; ++i) {
      const float* row = g + i * ldg;
      for (int64_t j = 0; j < ldg; ++j) gb[j] += row[j];
    }
  }
}

void mix_experts_forward(float* out, const float* experts, const float* gate, int64_t b, int64_t e,
                         int64_t d) {
  parallel_for(b, std::max<int64_t>(kMixGrain, (int64_t{1} << 15) / std::max<int64_t>(1, e * d)), [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      float* o = out + i * d;
      const float* x = experts + i * e * d;
      const float* gi = gate + i * e;
      const float g0 = gi[0];
      for (int64_t j = 0; j < d; ++j) o[j] = g0 * x[j];
      for (int64_t q = 1; q < e; ++q) {
        const float gq = gi[q];
        const float* xq = x + q * d;
        for (int64_t j = 0; j < d; ++j) o[j] += gq * xq[j];
      }
    }
  });
}

void mix_experts_backward(float* gexperts, float* ggate, const float* g, const float* experts,
                          const float* gate, int64_t b, int64_t e, int64_t d, int overwrite) {
  const bool set_x = overwrite & 1, set_g = overwrite & 2;
  parallel_for(b, std::max<int64_t>(kMixGrain, (int64_t{1} << 15) / std::max<int64_t>(1, e * d)), [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      const float* gi = g + i * d;
      for (int64_t q = 0; q < e; ++q) {
        if (gexperts) {
          float* gx = gexperts + (i * e + q) * d;
          const float w = gate[i * e + q];
          if (set_x)
            for (int64_t j = 0; j < d; ++j) gx[j] = w * gi[j];
          else
            for (int64_t j = 0; j < d; ++j) gx[j] += w * gi[j];
        }
        if (ggate) {
          // 16 partial sums: independent chains the compiler keeps in one vector register.
          const float* x = experts + (i * e + q) * d;
          float acc[16] = {};
          int64_t j = 0;
          for (; j + 16 <= d; j += 16)
            for (int l = 0; l < 16; ++l) acc[l] += x[j + l] * gi[j + l];
          float s = 0.0f;
          for (; j < d; ++j) s += x[j] * gi[j];
          for (int l = 0; l < 16; ++l) s += acc[l];
          ggate[i * e + q] = set_g ? s : ggate[i * e + q] + s;
        }
      }
    }
  });
}

}  // namespace tl::cpu
