// AVX-512 gemm micro-kernel: a 12x32 tile in 24 zmm accumulators (two 16-float B
// vectors, one broadcast A value per row), plus the FMA peak probe. Not testable on a
// machine without AVX-512; dispatched at run time only where the CPU has it.
#include "gemm_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>


namespace tl::cpu::gemm_detail {
namespace {

constexpr int MR = 12, NR = 32;

void kernel_12x32(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc, float beta) {
  // Fetch the C tile early: its rows are often a power-of-two stride apart.
  for (int i = 0; i < MR; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 31), _MM_HINT_T0);
  }
  __m512 acc[MR][2];
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    __m512 b0 = _mm512_loadu_ps(pb);
    __m512 b1 = _mm512_loadu_ps(pb + 16);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      __m512 a = _mm512_set1_ps(pa[i]);
      acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
    }
    pa += MR;
    pb += NR;
  }
  if (beta == 0.0f) {
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      _mm512_storeu_ps(c + i * ldc, acc[i][0]);
      _mm512_storeu_ps(c + i * ldc + 16, acc[i][1]);
    }
  } else {
    __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      float* row = c + i * ldc;
      _mm512_storeu_ps(row, _mm512_fmadd_ps(vb, _mm512_loadu_ps(row), acc[i][0]));
      _mm512_storeu_ps(row + 16, _mm512_fmadd_ps(vb, _mm512_loadu_ps(row + 16), acc[i][1]));
    }
  }
}

// A micro-panel 12 KiB + B micro-panel 32 KiB at kc 256 (L1 48 KiB on Zen 4/5 and
// Ice Lake+); A block 144 x 256 (144 KiB) in L2; B panel 256 x 2048 in L3.
const GemmArch kArch{MR, NR, 144, 256, 2048, kernel_12x32, "avx512 12x32"};

template <int N>
double probe(double seconds) {
  __m512 acc[N];
  for (int i = 0; i < N; ++i) acc[i] = _mm512_set1_ps(0.001f * i);
  const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
  const double t0 = thread_seconds();
  int64_t iters = 0;
  double elapsed = 0;
  do {
    for (int r = 0; r < 4096; ++r) {
#pragma GCC unroll 24
      for (int i = 0; i < N; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, a);
    }
    iters += 4096;
    elapsed = thread_seconds() - t0;
  } while (elapsed < seconds);
  __m512 s = acc[0];
  for (int i = 1; i < N; ++i) s = _mm512_add_ps(s, acc[i]);
  volatile float sink = _mm512_cvtss_f32(s);  // not _mm512_reduce_add_ps: GCC 12's header warns inside it
  (void)sink;
  return 2.0 * 16 * N * static_cast<double>(iters) / elapsed * 1e-9;
}

}  // namespace

const GemmArch* avx512_arch() { return &kArch; }

double fma_probe_avx512(int accumulators, double seconds) {
  switch (accumulators) {
    case 4: return probe<4>(seconds);
    case 8: return probe<8>(seconds);
    case 10: return probe<10>(seconds);
    case 12: return probe<12>(seconds);
    case 16: return probe<16>(seconds);
    default: return probe<24>(seconds);
  }
}

}  // namespace tl::cpu::gemm_detail

#else
namespace tl::cpu::gemm_detail {
const GemmArch* avx512_arch() { return nullptr; }
double fma_probe_avx512(int, double) { return 0; }
}  // namespace tl::cpu::gemm_detail
#endif
