// AVX2+FMA gemm micro-kernel: a 6x16 tile in 12 ymm accumulators (two 8-float B
// vectors and one broadcast A value per row), plus the FMA peak probe.
#include "gemm_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>


namespace tl::cpu::gemm_detail {
namespace {

constexpr int MR = 6, NR = 16;

void kernel_6x16(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc, float beta) {
  // Start fetching the C tile now so its rows (often a power-of-two stride apart) are in
  // L1 by the time the accumulators are stored.
  for (int i = 0; i < MR; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 15), _MM_HINT_T0);
  }
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#define TL_STEP(off_a, off_b)                                   \
  {                                                             \
    __m256 b0 = _mm256_loadu_ps(pb + (off_b));                  \
    __m256 b1 = _mm256_loadu_ps(pb + (off_b) + 8);              \
    __m256 a = _mm256_broadcast_ss(pa + (off_a) + 0);           \
    c00 = _mm256_fmadd_ps(a, b0, c00); c01 = _mm256_fmadd_ps(a, b1, c01); \
    a = _mm256_broadcast_ss(pa + (off_a) + 1);                  \
    c10 = _mm256_fmadd_ps(a, b0, c10); c11 = _mm256_fmadd_ps(a, b1, c11); \
    a = _mm256_broadcast_ss(pa + (off_a) + 2);                  \
    c20 = _mm256_fmadd_ps(a, b0, c20); c21 = _mm256_fmadd_ps(a, b1, c21); \
    a = _mm256_broadcast_ss(pa + (off_a) + 3);                  \
    c30 = _mm256_fmadd_ps(a, b0, c30); c31 = _mm256_fmadd_ps(a, b1, c31); \
    a = _mm256_broadcast_ss(pa + (off_a) + 4);                  \
    c40 = _mm256_fmadd_ps(a, b0, c40); c41 = _mm256_fmadd_ps(a, b1, c41); \
    a = _mm256_broadcast_ss(pa + (off_a) + 5);                  \
    c50 = _mm256_fmadd_ps(a, b0, c50); c51 = _mm256_fmadd_ps(a, b1, c51); \
  }
  int64_t p = 0;
  for (; p + 4 <= kc; p += 4) {
    TL_STEP(0, 0) TL_STEP(MR, NR) TL_STEP(2 * MR, 2 * NR) TL_STEP(3 * MR, 3 * NR)
    pa += 4 * MR;
    pb += 4 * NR;
  }
  for (; p < kc; ++p) {
    TL_STEP(0, 0)
    pa += MR;
    pb += NR;
  }
#undef TL_STEP
  auto store = [&](float* row, __m256 lo, __m256 hi) {
    if (beta == 0.0f) {
      _mm256_storeu_ps(row, lo);
      _mm256_storeu_ps(row + 8, hi);
    } else {
      __m256 vb = _mm256_set1_ps(beta);
      _mm256_storeu_ps(row, _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), lo));
      _mm256_storeu_ps(row + 8, _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), hi));
    }
  };
  store(c, c00, c01);
  store(c + ldc, c10, c11);
  store(c + 2 * ldc, c20, c21);
  store(c + 3 * ldc, c30, c31);
  store(c + 4 * ldc, c40, c41);
  store(c + 5 * ldc, c50, c51);
}

// 6 rows of A (6 KiB at kc 256) stay in L1 with a 16 KiB B micro-panel; the 144 x 256
// A block (144 KiB) sits in L2 (512 KiB on Zen 2/3) and the 256 x 2048 B panel (2 MiB)
// in L3. (The machine we could measure on was too loaded to tune these; they are the
// usual values for this tile on Zen.)
const GemmArch kArchs[] = {
    {MR, NR, 144, 256, 2048, kernel_6x16, "avx2 6x16"},
};

template <int N>
double probe(double seconds) {
  __m256 acc[N];
  for (int i = 0; i < N; ++i) acc[i] = _mm256_set1_ps(0.001f * i);
  const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
  const double t0 = thread_seconds();
  int64_t iters = 0;
  double elapsed = 0;
  do {
    for (int r = 0; r < 4096; ++r) {
#pragma GCC unroll 16
      for (int i = 0; i < N; ++i) acc[i] = _mm256_fmadd_ps(acc[i], m, a);
    }
    iters += 4096;
    elapsed = thread_seconds() - t0;
  } while (elapsed < seconds);
  __m256 s = acc[0];
  for (int i = 1; i < N; ++i) s = _mm256_add_ps(s, acc[i]);
  volatile float sink = _mm256_cvtss_f32(s);
  (void)sink;
  return 2.0 * 8 * N * static_cast<double>(iters) / elapsed * 1e-9;
}

}  // namespace

ArchList avx2_archs() { return {kArchs, static_cast<int>(sizeof(kArchs) / sizeof(kArchs[0]))}; }

double fma_probe_avx2(int accumulators, double seconds) {
  switch (accumulators) {
    case 4: return probe<4>(seconds);
    case 8: return probe<8>(seconds);
    case 10: return probe<10>(seconds);
    case 12: return probe<12>(seconds);
    default: return probe<14>(seconds);
  }
}

}  // namespace tl::cpu::gemm_detail

#else
namespace tl::cpu::gemm_detail {
ArchList avx2_archs() { return {nullptr, 0}; }
double fma_probe_avx2(int, double) { return 0; }
}  // namespace tl::cpu::gemm_detail
#endif
