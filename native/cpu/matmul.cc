// The blocked gemm driver. Loops (outer to inner): NC columns of C, KC of the inner
// dimension (pack a KC x NC panel of op(B)), MC rows (pack an MC x KC block of op(A),
// alpha folded in), then NR x MR register tiles computed by the ISA's micro-kernel.
// Packing reads any transpose layout, so the kernels see one format only. Threads take
// disjoint rectangles of C, each packing its own panels into thread-local buffers that
// live across calls.
#include "matmul.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

#include "../core/cpu_features.h"
#include "../core/parallel.h"
#include "gemm_kernels.h"

namespace tl::cpu {
namespace gemm_detail {
namespace {

constexpr int PMR = 4, PNR = 8;

// Plain C++ the compiler vectorises over j (SSE on baseline x86-64, NEON on arm64).
void kernel_portable(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc, float beta) {
  float acc[PMR][PNR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    for (int i = 0; i < PMR; ++i) {
      float a = pa[i];
      for (int j = 0; j < PNR; ++j) acc[i][j] += a * pb[j];
    }
    pa += PMR;
    pb += PNR;
  }
  for (int i = 0; i < PMR; ++i)
    for (int j = 0; j < PNR; ++j)
      c[i * ldc + j] = beta == 0.0f ? acc[i][j] : beta * c[i * ldc + j] + acc[i][j];
}

const GemmArch kPortable{PMR, PNR, 128, 256, 2048, kernel_portable, "portable 4x8"};

}  // namespace

const GemmArch& portable_arch() { return kPortable; }

}  // namespace gemm_detail

namespace {

using gemm_detail::GemmArch;

// The kernels this CPU can run: AVX-512, then AVX2, then the portable one.
struct KernelTable {
  std::vector<const GemmArch*> all;
  std::vector<Isa> isa;  // of each entry
  KernelTable() {
    Isa best = best_supported_isa();
    auto add = [&](gemm_detail::ArchList list, Isa of) {
      if (static_cast<int>(of) > static_cast<int>(best)) return;
      for (int i = 0; i < list.count; ++i) {
        all.push_back(&list.archs[i]);
        isa.push_back(of);
      }
    };
    add(gemm_detail::avx512_archs(), Isa::Avx512);
    add(gemm_detail::avx2_archs(), Isa::Avx2);
    all.push_back(&gemm_detail::portable_arch());
    isa.push_back(Isa::Portable);
  }
};

const KernelTable& kernel_table() {
  static const KernelTable table;
  return table;
}

int find_kernel(const char* name) {
  const KernelTable& t = kernel_table();
  for (size_t i = 0; i < t.all.size(); ++i)
    if (!std::strcmp(t.all[i]->name, name)) return static_cast<int>(i);
  return -1;
}

// A kernel forced by set_gemm_kernel() or TL_GEMM_KERNEL (tests and benchmarks); -1: none.
std::atomic<int> forced_kernel{-2};  // -2: TL_GEMM_KERNEL not read yet

int forced() {
  int f = forced_kernel.load(std::memory_order_relaxed);
  if (f == -2) {
    const char* env = std::getenv("TL_GEMM_KERNEL");
    f = env ? find_kernel(env) : -1;
    forced_kernel.store(f, std::memory_order_relaxed);
  }
  return f;
}

const GemmArch& chosen_arch(Isa isa);  // the run-time choice, below gemm_region

const GemmArch& base_arch() {
  Isa isa = active_isa();
  int f = forced();
  // A forced kernel applies while the active instruction set allows it.
  if (f >= 0 && static_cast<int>(kernel_table().isa[f]) <= static_cast<int>(isa)) return *kernel_table().all[f];
  return chosen_arch(isa);
}

// TL_GEMM_TUNE=mc,kc,nc overrides the cache blocks (for tuning experiments only).
const GemmArch& active_arch() {
  static thread_local GemmArch tuned;
  const GemmArch& base = base_arch();
  static const char* env = std::getenv("TL_GEMM_TUNE");  // read once: getenv scans environ
  if (!env) return base;
  long mc = 0, kc = 0, nc = 0;
  if (std::sscanf(env, "%ld,%ld,%ld", &mc, &kc, &nc) != 3 || mc < 1 || kc < 1 || nc < 1) return base;
  tuned = base;
  tuned.mc = (mc + base.mr - 1) / base.mr * base.mr;
  tuned.kc = kc;
  tuned.nc = (nc + base.nr - 1) / base.nr * base.nr;
  return tuned;
}

// A 64-byte aligned scratch buffer that only grows; one per thread and role, so packed
// panels cost no allocation (and no first-touch page faults) after the first call.
class PackBuffer {
 public:
  ~PackBuffer() { std::free(ptr_); }
  float* get(int64_t n) {
    if (n > cap_) {
      std::free(ptr_);
      size_t bytes = (static_cast<size_t>(n) * sizeof(float) + 63) / 64 * 64;
      ptr_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!ptr_) {
        cap_ = 0;
        throw std::bad_alloc();
      }
      cap_ = n;
    }
    return ptr_;
  }

 private:
  float* ptr_ = nullptr;
  int64_t cap_ = 0;
};

thread_local PackBuffer tls_pack_a, tls_pack_b;

// Copies n floats. Panel rows are 8 to 64 floats: a constant-size memcpy compiles to
// a few vector moves, where GCC turns a copy loop of unknown length into a library call.
inline void copy_floats(float* dst, const float* src, int n) {
  switch (n) {
    case 8: std::memcpy(dst, src, 8 * sizeof(float)); return;
    case 16: std::memcpy(dst, src, 16 * sizeof(float)); return;
    case 32: std::memcpy(dst, src, 32 * sizeof(float)); return;
    case 48: std::memcpy(dst, src, 48 * sizeof(float)); return;
    case 64: std::memcpy(dst, src, 64 * sizeof(float)); return;
    default: for (int j = 0; j < n; ++j) dst[j] = src[j];
  }
}

// One full MR-row panel of A (not transposed): for each p, MR consecutive rows. The
// rows are read 4 p at a time and transposed in registers (4 x 4 blocks, then a pair),
// so every load and store moves several floats instead of one strided float.
template <int MR>
void pack_a_rows(const float* a, int64_t lda, int64_t row0, int64_t p0, int64_t kc, float alpha,
                 float* d) {
  const float* r[MR];
  for (int i = 0; i < MR; ++i) r[i] = a + (row0 + i) * lda + p0;
  int64_t p = 0;
#if defined(__SSE2__)
  if constexpr (MR % 2 == 0) {
    const __m128 va = _mm_set1_ps(alpha);
    for (; p + 4 <= kc; p += 4) {
      float* dp = d + p * MR;
      int i = 0;
      for (; i + 4 <= MR; i += 4) {
        __m128 x0 = _mm_mul_ps(va, _mm_loadu_ps(r[i] + p)), x1 = _mm_mul_ps(va, _mm_loadu_ps(r[i + 1] + p));
        __m128 x2 = _mm_mul_ps(va, _mm_loadu_ps(r[i + 2] + p)), x3 = _mm_mul_ps(va, _mm_loadu_ps(r[i + 3] + p));
        _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
        _mm_storeu_ps(dp + i, x0);
        _mm_storeu_ps(dp + MR + i, x1);
        _mm_storeu_ps(dp + 2 * MR + i, x2);
        _mm_storeu_ps(dp + 3 * MR + i, x3);
      }
      if (i < MR) {  // the last pair of rows
        __m128 y0 = _mm_mul_ps(va, _mm_loadu_ps(r[i] + p)), y1 = _mm_mul_ps(va, _mm_loadu_ps(r[i + 1] + p));
        __m128 lo = _mm_unpacklo_ps(y0, y1), hi = _mm_unpackhi_ps(y0, y1);
        _mm_storel_pi(reinterpret_cast<__m64*>(dp + i), lo);
        _mm_storeh_pi(reinterpret_cast<__m64*>(dp + MR + i), lo);
        _mm_storel_pi(reinterpret_cast<__m64*>(dp + 2 * MR + i), hi);
        _mm_storeh_pi(reinterpret_cast<__m64*>(dp + 3 * MR + i), hi);
      }
    }
  }
#endif
  for (; p < kc; ++p)
    for (int i = 0; i < MR; ++i) d[p * MR + i] = alpha * r[i][p];
}

// op(A)[i0:i0+mc, p0:p0+kc] * alpha into mr-row panels: panel r holds, for each p, mr
// consecutive rows. Rows past the edge are zero so the kernel can run a full tile.
// MR > 0 is the register tile height known at compile time (fixed-width copies); 0
// reads it from mr.
template <int MR>
void pack_a_impl(const float* a, int64_t lda, bool ta, int64_t i0, int64_t mc, int64_t p0,
                 int64_t kc, float alpha, int mr_rt, float* dst) {
  const int mr = MR > 0 ? MR : mr_rt;
  if (!ta) {
    for (int64_t ir = 0; ir < mc; ir += mr) {
      int rows = static_cast<int>(std::min<int64_t>(mr, mc - ir));
      float* d = dst + ir * kc;
      if constexpr (MR > 0) {
        if (rows == MR) {
          pack_a_rows<MR>(a, lda, i0 + ir, p0, kc, alpha, d);
          continue;
        }
      }
      for (int i = 0; i < rows; ++i) {
        const float* src = a + (i0 + ir + i) * lda + p0;
        for (int64_t p = 0; p < kc; ++p) d[p * mr + i] = alpha * src[p];
      }
      for (int i = rows; i < mr; ++i)
        for (int64_t p = 0; p < kc; ++p) d[p * mr + i] = 0.0f;
    }
    return;
  }
  // Transposed A is read row by row across all panels: walking one panel down kc rows
  // (lda apart) instead touches a new cache line and often a new page on every load.
  int64_t full = mc / mr * mr;
  for (int64_t p = 0; p < kc; ++p) {
    const float* src = a + (p0 + p) * lda + i0;
    for (int64_t ir = 0; ir < full; ir += mr) {
      float* dp = dst + ir * kc + p * mr;
      for (int i = 0; i < mr; ++i) dp[i] = alpha * src[ir + i];  // fixed width when MR > 0
    }
    if (full < mc) {
      int rows = static_cast<int>(mc - full);
      float* dp = dst + full * kc + p * mr;
      for (int i = 0; i < rows; ++i) dp[i] = alpha * src[full + i];
      for (int i = rows; i < mr; ++i) dp[i] = 0.0f;
    }
  }
}

void pack_a(const float* a, int64_t lda, bool ta, int64_t i0, int64_t mc, int64_t p0, int64_t kc,
            float alpha, int mr, float* dst) {
  switch (mr) {
    case 4: return pack_a_impl<4>(a, lda, ta, i0, mc, p0, kc, alpha, mr, dst);
    case 6: return pack_a_impl<6>(a, lda, ta, i0, mc, p0, kc, alpha, mr, dst);
    case 8: return pack_a_impl<8>(a, lda, ta, i0, mc, p0, kc, alpha, mr, dst);
    case 12: return pack_a_impl<12>(a, lda, ta, i0, mc, p0, kc, alpha, mr, dst);
    case 14: return pack_a_impl<14>(a, lda, ta, i0, mc, p0, kc, alpha, mr, dst);
    default: return pack_a_impl<0>(a, lda, ta, i0, mc, p0, kc, alpha, mr, dst);
  }
}

// op(B)[p0:p0+kc, j0:j0+nc] into nr-column panels: panel r holds, for each p, nr
// consecutive columns, zero past the edge.
void pack_b(const float* b, int64_t ldb, bool tb, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
            int nr, float* dst) {
  if (!tb) {
    // Row by row across all panels (see pack_a): each row of B is read contiguously.
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = b + (p0 + p) * ldb + j0;
      for (int64_t jr = 0; jr < nc; jr += nr) {
        int cols = static_cast<int>(std::min<int64_t>(nr, nc - jr));
        float* dp = dst + jr * kc + p * nr;
        copy_floats(dp, src + jr, cols);
        for (int j = cols; j < nr; ++j) dp[j] = 0.0f;
      }
    }
    return;
  }
  for (int64_t jr = 0; jr < nc; jr += nr) {
    int cols = static_cast<int>(std::min<int64_t>(nr, nc - jr));
    float* d = dst + jr * kc;
    // A transpose in blocks of 8 p: a column store per element straight into the panel
    // hits a new cache line each time; through a small hot tile the panel is written a
    // whole row (nr floats) at a time.
    constexpr int PB = 8;
    int64_t p = 0;
#if defined(__SSE2__)
    // A full panel goes straight in, 4 columns x 4 p per register transpose.
    if (cols == nr && nr % 4 == 0) {
      for (; p + 4 <= kc; p += 4) {
        float* dp = d + p * nr;
        for (int j = 0; j < nr; j += 4) {
          const float* src = b + (j0 + jr + j) * ldb + p0 + p;
          __m128 x0 = _mm_loadu_ps(src), x1 = _mm_loadu_ps(src + ldb);
          __m128 x2 = _mm_loadu_ps(src + 2 * ldb), x3 = _mm_loadu_ps(src + 3 * ldb);
          _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
          _mm_storeu_ps(dp + j, x0);
          _mm_storeu_ps(dp + nr + j, x1);
          _mm_storeu_ps(dp + 2 * nr + j, x2);
          _mm_storeu_ps(dp + 3 * nr + j, x3);
        }
      }
    }
#endif
    if (nr <= 64) {
      alignas(64) float tile[PB][64];
      for (; p + PB <= kc; p += PB) {
        for (int j = 0; j < cols; ++j) {
          const float* src = b + (j0 + jr + j) * ldb + p0 + p;
          for (int q = 0; q < PB; ++q) tile[q][j] = src[q];
        }
        for (int q = 0; q < PB; ++q) copy_floats(d + (p + q) * nr, tile[q], cols);
      }
    }
    for (int j = 0; j < cols; ++j) {
      const float* src = b + (j0 + jr + j) * ldb + p0;
      for (int64_t pp = p; pp < kc; ++pp) d[pp * nr + j] = src[pp];
    }
    for (int j = cols; j < nr; ++j)
      for (int64_t p = 0; p < kc; ++p) d[p * nr + j] = 0.0f;
  }
}

void apply_epilogue(const GemmEpilogue& ep, float* c, int64_t ldc, int64_t i0, int64_t rows,
                    int64_t j0, int64_t cols) {
  for (int64_t i = 0; i < rows; ++i) {
    float* row = c + (i0 + i) * ldc + j0;
    if (ep.row_bias) {
      const float b = ep.row_bias[i0 + i];
      for (int64_t j = 0; j < cols; ++j) row[j] += b;
    }
    if (ep.bias) {
      const float* bias = ep.bias + j0;
      for (int64_t j = 0; j < cols; ++j) row[j] += bias[j];
    }
    if (ep.relu)  // NaN passes, as in the unary relu
      for (int64_t j = 0; j < cols; ++j) row[j] = row[j] <= 0.0f ? 0.0f : row[j];
  }
}

struct Problem {
  bool ta, tb;
  int64_t m, n, k;
  float alpha;
  const float* a;
  int64_t lda;
  const float* b;
  int64_t ldb;
  float beta;
  float* c;
  int64_t ldc;
  const GemmEpilogue* ep;
};

// C[m0:m1, n0:n1] on the calling thread.
void gemm_region(const GemmArch& ar, const Problem& pr, int64_t m0, int64_t m1, int64_t n0,
                 int64_t n1) {
  const int mr = ar.mr, nr = ar.nr;
  // K is cut into equal blocks near ar.kc, and a K up to 1.25 kc is one block: a short
  // last block (288 = 256 + 32, a 3x3 conv over 32 channels) would load and store the
  // C tile again for a handful of multiply-adds.
  const int64_t kblocks = pr.k <= ar.kc + ar.kc / 4 ? 1 : (pr.k + ar.kc - 1) / ar.kc;
  const int64_t kc = (pr.k + kblocks - 1) / kblocks;
  int64_t nc_max = std::min<int64_t>(ar.nc, (n1 - n0 + nr - 1) / nr * nr);
  int64_t mc_max = std::min<int64_t>(ar.mc, (m1 - m0 + mr - 1) / mr * mr);
  float* bufb = tls_pack_b.get(kc * nc_max);
  float* bufa = tls_pack_a.get(kc * mc_max);
  alignas(64) float tile[16 * 64];  // edge tiles: room for any mr x nr up to 16 x 64
  for (int64_t jc = n0; jc < n1; jc += ar.nc) {
    int64_t nb = std::min(ar.nc, n1 - jc);
    for (int64_t pc = 0; pc < pr.k; pc += kc) {
      int64_t kb = std::min(kc, pr.k - pc);
      pack_b(pr.b, pr.ldb, pr.tb, pc, kb, jc, nb, nr, bufb);
      float beta = pc == 0 ? pr.beta : 1.0f;
      bool last = pc + kb == pr.k;
      for (int64_t ic = m0; ic < m1; ic += ar.mc) {
        int64_t mb = std::min(ar.mc, m1 - ic);
        pack_a(pr.a, pr.lda, pr.ta, ic, mb, pc, kb, pr.alpha, mr, bufa);
        for (int64_t jr = 0; jr < nb; jr += nr) {
          int cols = static_cast<int>(std::min<int64_t>(nr, nb - jr));
          const float* pb = bufb + jr * kb;
          for (int64_t ir = 0; ir < mb; ir += mr) {
            int rows = static_cast<int>(std::min<int64_t>(mr, mb - ir));
            const float* pa = bufa + ir * kb;
            float* cp = pr.c + (ic + ir) * pr.ldc + jc + jr;
            if (rows == mr && cols == nr) {
              ar.kernel(kb, pa, pb, cp, pr.ldc, beta);
            } else {
              ar.kernel(kb, pa, pb, tile, nr, 0.0f);
              for (int i = 0; i < rows; ++i)
                for (int j = 0; j < cols; ++j) {
                  float v = tile[i * nr + j];
                  cp[i * pr.ldc + j] = beta == 0.0f ? v : beta * cp[i * pr.ldc + j] + v;
                }
            }
          }
        }
        if (last && pr.ep) apply_epilogue(*pr.ep, pr.c, pr.ldc, ic, mb, jc, nb);
      }
    }
  }
}

// ---- the kernel chosen on the CPU at hand ----------------------------------------------
// Which kernel is fastest depends on the core, not only on its instruction set: on a
// Zen 4 core AVX-512 FMAs run as two 256-bit halves, so its AVX-512 and AVX2 peaks are
// equal and the tile shape and blocking decide. So the first product that reaches the
// blocked path takes the choice from the tuning cache (gemm_tune.cc), or else times each
// candidate on the calling thread (a few ms, once per process and instruction set),
// keeps the fastest and records it there; TRUNKLINE_TUNE=off keeps the instruction
// set's default instead.

// Candidates under `isa`: the kernels of every SIMD set at or below it, the default
// (the widest set's first) first; the portable kernel only where there is no SIMD one.
std::vector<int> candidates(Isa isa) {
  const KernelTable& t = kernel_table();
  std::vector<int> out;
  for (size_t i = 0; i < t.all.size(); ++i)
    if (static_cast<int>(t.isa[i]) <= static_cast<int>(isa) && (t.isa[i] != Isa::Portable || out.empty()))
      out.push_back(static_cast<int>(i));
  return out;
}

// TRUNKLINE_TUNE: "off" keeps the default, "force" probes even when the cache has an
// answer (and rewrites it); anything else uses the cache, probing where it has none.
enum class TuneMode { On, Off, Force };

TuneMode tune_mode() {
  const char* env = std::getenv("TRUNKLINE_TUNE");
  if (!env) return TuneMode::On;
  if (!std::strcmp(env, "off") || !std::strcmp(env, "0") || !std::strcmp(env, "false")) return TuneMode::Off;
  if (!std::strcmp(env, "force")) return TuneMode::Force;
  return TuneMode::On;
}

// The cache key: the CPU, the instruction set, trunkline's version, and every
// candidate with its blocking (a build whose kernels differ never reads another's answer).
std::string cache_key(Isa isa, const std::vector<int>& cand) {
  std::string key = gemm_detail::cpu_model() + "|" + isa_name(isa) + "|" + gemm_detail::tune_version();
  for (int i : cand) {
    const GemmArch& ar = *kernel_table().all[i];
    char buf[160];
    std::snprintf(buf, sizeof(buf), "|%s %d %d %lld %lld %lld", ar.name, ar.mr, ar.nr, static_cast<long long>(ar.mc),
                  static_cast<long long>(ar.kc), static_cast<long long>(ar.nc));
    key += buf;
  }
  return key;
}

// Times each candidate on one fixed product (the same inputs every run) and returns the
// fastest. The product is 96 x 256 x 768: every tile height and width here divides it,
// so no kernel pays for edge tiles, and K spans two or three K blocks as large
// products do. Each candidate runs once to warm up, then four timed rounds, the order
// rotating; a kernel's time is its best round in thread CPU time, so a neighbour
// taking the core for a moment does not count against it. The default stays unless
// another is at least 2% faster.
int probe_kernels(const std::vector<int>& cand, double* seconds) {
  constexpr int64_t M = 96, N = 256, K = 768;
  std::vector<float> a(M * K), b(K * N), c(M * N);
  uint32_t state = 12345;
  auto next = [&state] {
    state = state * 1664525u + 1013904223u;
    return static_cast<float>(state >> 8) * (1.0f / 16777216.0f) - 0.5f;
  };
  for (float& v : a) v = next();
  for (float& v : b) v = next();
  Problem pr{false, false, M, N, K, 1.0f, a.data(), K, b.data(), N, 0.0f, c.data(), N, nullptr};
  const size_t n = cand.size();
  std::vector<double> best(n, 1e300);
  for (size_t i = 0; i < n; ++i) gemm_region(*kernel_table().all[cand[i]], pr, 0, M, 0, N);
  for (size_t r = 0; r < 4; ++r)
    for (size_t q = 0; q < n; ++q) {
      size_t i = (q + r) % n;
      double t0 = gemm_detail::thread_seconds();
      gemm_region(*kernel_table().all[cand[i]], pr, 0, M, 0, N);
      best[i] = std::min(best[i], gemm_detail::thread_seconds() - t0);
    }
  size_t win = 0;
  for (size_t i = 1; i < n; ++i)
    if (best[i] < best[win] && best[i] < 0.98 * best[0]) win = i;
  for (size_t i = 0; i < n; ++i) seconds[i] = best[i];
  return cand[win];
}

struct Choice {
  std::atomic<int> kernel{-1};  // index into kernel_table(); -1: not chosen yet
  const char* how = "default";  // "probe", "cache" or "default"
  std::vector<double> seconds;  // the probe's time per candidate, when it ran
};
Choice choices[3];  // per instruction set
std::mutex choice_mutex;

// Under choice_mutex.
void choose(Isa isa, Choice& ch, TuneMode mode) {
  std::vector<int> cand = candidates(isa);
  int k = cand.front();
  ch.how = "default";
  ch.seconds.clear();
  if (cand.size() > 1 && mode != TuneMode::Off) {
    std::string key = cache_key(isa, cand), name;
    int cached = mode != TuneMode::Force && gemm_detail::tune_cache_read(key, name) ? find_kernel(name.c_str()) : -1;
    if (cached >= 0 && std::find(cand.begin(), cand.end(), cached) != cand.end()) {
      k = cached;
      ch.how = "cache";
    } else {
      ch.seconds.assign(cand.size(), 0.0);
      k = probe_kernels(cand, ch.seconds.data());
      ch.how = "probe";
      gemm_detail::tune_cache_write(key, kernel_table().all[k]->name);
    }
  }
  ch.kernel.store(k, std::memory_order_release);
}

Choice& choice_for(Isa isa) {
  Choice& ch = choices[static_cast<int>(isa)];
  if (ch.kernel.load(std::memory_order_acquire) >= 0) return ch;
  std::lock_guard<std::mutex> lock(choice_mutex);
  if (ch.kernel.load(std::memory_order_relaxed) < 0) choose(isa, ch, tune_mode());
  return ch;
}

const GemmArch& chosen_arch(Isa isa) { return *kernel_table().all[choice_for(isa).kernel.load(std::memory_order_acquire)]; }

// The chosen kernel is the fastest on full tiles; a product with few columns (a narrow
// output layer, a conv with few channels) or few rows spends most of a wide tile on
// padding at the edge: at 4096x32x128 the 6x64 tile ran at 49 GFLOP/s where AVX2's 6x16
// ran at 90 on a Zen 4 core, at 512x10x256 15 against 48. So among the candidates the
// product takes the one with the least padded work, where another kernel must do at
// least 5% less than the chosen one (which is faster on full tiles). Depends only on m
// and n, so results do not change with the thread count.
double tile_use(const GemmArch& ar, int64_t m, int64_t n) {
  auto use = [](int64_t x, int t) { return static_cast<double>(x) / static_cast<double>((x + t - 1) / t * t); };
  return use(m, ar.mr) * use(n, ar.nr);
}

const GemmArch& arch_for(int64_t m, int64_t n) {
  const GemmArch& main = active_arch();
  Isa isa = active_isa();
  int f = forced();
  if ((f >= 0 && static_cast<int>(kernel_table().isa[f]) <= static_cast<int>(isa)) || &main != &base_arch())
    return main;  // a forced kernel or TL_GEMM_TUNE's blocks apply to every product
  static const std::vector<int> cands[3] = {candidates(Isa::Portable), candidates(Isa::Avx2), candidates(Isa::Avx512)};
  const GemmArch* pick = &main;
  double best = tile_use(main, m, n);
  if (best >= 0.95) return main;
  for (int i : cands[static_cast<int>(isa)]) {
    const GemmArch* ar = kernel_table().all[i];
    double u = 0.95 * tile_use(*ar, m, n);
    if (ar != &main && u > best) {
      best = u;
      pick = ar;
    }
  }
  return *pick;
}

// Tiny products: packing would cost more than the arithmetic.
void gemm_small(const Problem& pr) {
  for (int64_t i = 0; i < pr.m; ++i) {
    float* crow = pr.c + i * pr.ldc;
    for (int64_t j = 0; j < pr.n; ++j) {
      float s = 0.0f;
      for (int64_t p = 0; p < pr.k; ++p) {
        float av = pr.ta ? pr.a[p * pr.lda + i] : pr.a[i * pr.lda + p];
        float bv = pr.tb ? pr.b[j * pr.ldb + p] : pr.b[p * pr.ldb + j];
        s += av * bv;
      }
      s *= pr.alpha;
      crow[j] = pr.beta == 0.0f ? s : pr.beta * crow[j] + s;
    }
  }
  if (pr.ep) apply_epilogue(*pr.ep, pr.c, pr.ldc, 0, pr.m, 0, pr.n);
}

// Below this many multiply-adds per thread a thread costs more than it saves.
constexpr int64_t kWorkPerThread = int64_t{1} << 19;
constexpr int64_t kSmallWork = 2048;

// Splits C into tm x tn rectangles for nt threads, minimising what each thread packs
// (its rows of A plus its columns of B), in whole register tiles. A thread packs all of
// the operand the split does not divide, so that one should be the cheap one to pack:
// a panel row copied straight from a contiguous source (op(A) transposed, op(B) not)
// costs about half of one gathered across rows. On a square product this splits M.
void choose_grid(int64_t m, int64_t n, bool ta, bool tb, int nt, const GemmArch& ar, int& tm,
                 int& tn) {
  const double wa = ta ? 1.0 : 2.0, wb = tb ? 2.0 : 1.0;
  int64_t mt = (m + ar.mr - 1) / ar.mr, ntiles = (n + ar.nr - 1) / ar.nr;
  double best = 1e300;
  tm = 1;
  tn = nt;
  for (int cand = 1; cand <= nt; ++cand) {
    if (nt % cand) continue;
    int other = nt / cand;
    if (cand > mt || other > ntiles) continue;
    double cost = wa * static_cast<double>(m) / cand + wb * static_cast<double>(n) / other;
    if (cost <= best) {  // ties split M
      best = cost;
      tm = cand;
      tn = other;
    }
  }
}

}  // namespace

const char* gemm_kernel_name() { return active_arch().name; }

const char* gemm_kernel_for(int64_t m, int64_t n) { return arch_for(m, n).name; }

int gemm_kernel_count() { return static_cast<int>(kernel_table().all.size()); }

const char* gemm_kernel_at(int i) {
  const KernelTable& t = kernel_table();
  return i >= 0 && i < static_cast<int>(t.all.size()) ? t.all[i]->name : nullptr;
}

GemmChoice gemm_kernel_choice() {
  GemmChoice out;
  Isa isa = active_isa();
  const Choice& ch = choice_for(isa);
  int f = forced();
  bool is_forced = f >= 0 && static_cast<int>(kernel_table().isa[f]) <= static_cast<int>(isa);
  out.kernel = active_arch().name;
  std::lock_guard<std::mutex> lock(choice_mutex);  // gemm_retune may be rewriting how and seconds
  out.how = is_forced ? "forced" : ch.how;
  std::vector<int> cand = candidates(isa);
  for (size_t i = 0; i < cand.size(); ++i)
    out.candidates.push_back({kernel_table().all[cand[i]]->name, i < ch.seconds.size() ? ch.seconds[i] : 0.0});
  return out;
}

GemmChoice gemm_retune() {
  Isa isa = active_isa();
  {
    std::lock_guard<std::mutex> lock(choice_mutex);
    choose(isa, choices[static_cast<int>(isa)], TuneMode::Force);
  }
  return gemm_kernel_choice();
}

void set_gemm_tune_version(const char* version) { gemm_detail::set_tune_version(version ? version : ""); }

std::string gemm_tune_cache_path() { return gemm_detail::tune_cache_path(); }

std::string gemm_cpu_model() { return gemm_detail::cpu_model(); }

bool set_gemm_kernel(const char* name) {
  if (!name || !*name) {
    forced_kernel.store(-1, std::memory_order_relaxed);
    return true;
  }
  int f = find_kernel(name);
  if (f < 0) return false;
  forced_kernel.store(f, std::memory_order_relaxed);
  return true;
}

void gemm_ex(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
             int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
             const GemmEpilogue* ep, int max_threads) {
  if (m <= 0 || n <= 0) return;
  if (ep && !ep->bias && !ep->row_bias && !ep->relu) ep = nullptr;
  Problem pr{ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep};
  if (k <= 0 || alpha == 0.0f) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    if (ep) apply_epilogue(*ep, c, ldc, 0, m, 0, n);
    return;
  }
  if (m * n * k <= kSmallWork) return gemm_small(pr);
  const GemmArch& ar = arch_for(m, n);
  int64_t work = m * n * k;
  int nt = static_cast<int>(std::min<int64_t>({max_threads, num_threads(), std::max<int64_t>(1, work / kWorkPerThread)}));
  int tm = 1, tn = 1;
  if (nt > 1) choose_grid(m, n, ta, tb, nt, ar, tm, tn);
  nt = tm * tn;
  if (nt <= 1) return gemm_region(ar, pr, 0, m, 0, n);
  int64_t mt = (m + ar.mr - 1) / ar.mr, ntl = (n + ar.nr - 1) / ar.nr;
  parallel_run(nt, [&](int t, int) {
    int ti = t / tn, tj = t % tn;
    int64_t m0 = std::min(m, mt * ti / tm * ar.mr), m1 = std::min(m, mt * (ti + 1) / tm * ar.mr);
    int64_t n0 = std::min(n, ntl * tj / tn * ar.nr), n1 = std::min(n, ntl * (tj + 1) / tn * ar.nr);
    if (m0 < m1 && n0 < n1) gemm_region(ar, pr, m0, m1, n0, n1);
  });
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  gemm_ex(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nullptr, 1 << 20);
}

void gemm_batched(bool ta, bool tb, int64_t batch, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, int64_t sa, const float* b, int64_t ldb, int64_t sb,
                  float beta, float* c, int64_t ldc, int64_t sc) {
  if (batch <= 0) return;
  int64_t work = m * n * std::max<int64_t>(k, 1);
  // Many small products: one thread per run of whole products. A shared output
  // (stride 0 accumulates) must be written in order.
  if (batch > 1 && sc != 0 && work < kWorkPerThread * num_threads() && num_threads() > 1) {
    int64_t grain = std::max<int64_t>(1, kWorkPerThread / std::max<int64_t>(1, work));
    parallel_for(batch, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i)
        gemm_ex(ta, tb, m, n, k, alpha, a + i * sa, lda, b + i * sb, ldb, beta, c + i * sc, ldc, nullptr, 1);
    });
    return;
  }
  for (int64_t i = 0; i < batch; ++i)
    gemm(ta, tb, m, n, k, alpha, a + i * sa, lda, b + i * sb, ldb, beta, c + i * sc, ldc);
}

void matmul_forward(float* out, const float* a, const float* b, int64_t batch, int64_t m, int64_t n,
                    int64_t k, int64_t sa, int64_t sb) {
  // A batch of row blocks against one shared B is a single tall product.
  if (batch > 1 && sb == 0 && sa == m * k)
    return gemm(false, false, batch * m, n, k, 1.0f, a, k, b, n, 0.0f, out, n);
  gemm_batched(false, false, batch, m, n, k, 1.0f, a, k, sa, b, n, sb, 0.0f, out, n, m * n);
}

void matmul_backward(float* ga, float* gb, const float* g, const float* a, const float* b,
                     int64_t batch, int64_t m, int64_t n, int64_t k, int64_t sa, int64_t sb) {
  // Accumulating with beta = 1 makes broadcast operands (stride 0) sum over the batch.
  if (ga) {
    if (batch > 1 && sa == 0 && sb == 0) {
      for (int64_t i = 0; i < batch; ++i) gemm(false, true, m, k, n, 1.0f, g + i * m * n, n, b, n, 1.0f, ga, k);
    } else if (batch > 1 && sa == 0) {
      for (int64_t i = 0; i < batch; ++i) gemm(false, true, m, k, n, 1.0f, g + i * m * n, n, b + i * sb, n, 1.0f, ga, k);
    } else if (batch > 1 && sb == 0) {
      gemm(false, true, batch * m, k, n, 1.0f, g, n, b, n, 1.0f, ga, k);
    } else {
      gemm_batched(false, true, batch, m, k, n, 1.0f, g, n, m * n, b, n, sb, 1.0f, ga, k, sa);
    }
  }
  if (gb) {
    if (batch > 1 && sb == 0 && sa == m * k) {
      gemm(true, false, k, n, batch * m, 1.0f, a, k, g, n, 1.0f, gb, n);
    } else if (batch > 1 && sb == 0) {
      for (int64_t i = 0; i < batch; ++i) gemm(true, false, k, n, m, 1.0f, a + i * sa, k, g + i * m * n, n, 1.0f, gb, n);
    } else {
      gemm_batched(true, false, batch, k, n, m, 1.0f, a, k, sa, g, n, m * n, 1.0f, gb, n, sb);
    }
  }
}

void linear_forward(float* out, const float* x, const float* w, const float* bias, int64_t m,
                    int64_t n, int64_t k, int act) {
  GemmEpilogue ep;
  ep.bias = bias;
  ep.relu = act == 1;
  gemm_ex(false, true, m, n, k, 1.0f, x, k, w, k, 0.0f, out, n, &ep, 1 << 20);
}

void linear_backward(float* gx, float* gw, float* gb, const float* g, const float* x,
                     const float* w, int64_t m, int64_t n, int64_t k) {
  if (gx) gemm(false, false, m, k, n, 1.0f, g, n, w, k, 1.0f, gx, k);
  if (gw) gemm(true, false, n, k, m, 1.0f, g, n, x, k, 1.0f, gw, k);
  if (gb) {
    // Column sums; rows are split over threads only when n is too small to split.
    for (int64_t i = 0; i < m; ++i) {
      const float* row = g + i * n;
      for (int64_t j = 0; j < n; ++j) gb[j] += row[j];
    }
  }
}

}  // namespace tl::cpu
