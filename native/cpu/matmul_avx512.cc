// AVX-512 gemm micro-kernels (MR rows x 16*NV columns in MR*NV zmm accumulators: NV
// B vectors loaded per k step, one broadcast A value per row), plus the FMA peak
// probe. Dispatched at run time only where the CPU has AVX-512.
#include "gemm_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>


namespace tl::cpu::gemm_detail {
namespace {

template <int MR, int NV>
void kernel(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc, float beta) {
  constexpr int NR = 16 * NV;
  // Start fetching the C tile (its rows are often a power-of-two stride apart). With a
  // running pointer in a loop GCC must not unroll: when the rows' addresses were
  // computed up front, GCC kept them live in zmm registers until the stores and spilled
  // a B vector to the stack in every k step (12x32 lost 7-15% to that on a Zen 5 core).
  // Prefetching measured 3-10% faster than none at 1024^3 and above on a Zen 4 core.
  const char* row = reinterpret_cast<const char*>(c);
  const int64_t step = ldc * static_cast<int64_t>(sizeof(float));
#pragma GCC unroll 1
  for (int i = 0; i < MR; ++i, row += step) {
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) _mm_prefetch(row + 64 * j, _MM_HINT_T0);
    _mm_prefetch(row + NR * sizeof(float) - 4, _MM_HINT_T0);  // a row not 64-byte aligned
  }
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) acc[i][j] = _mm512_setzero_ps();
#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; ++p) {
    __m512 b[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) b[j] = _mm512_loadu_ps(pb + 16 * j);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      __m512 a = _mm512_set1_ps(pa[i]);
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[i][j] = _mm512_fmadd_ps(a, b[j], acc[i][j]);
    }
    pa += MR;
    pb += NR;
  }
  if (beta == 0.0f) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) _mm512_storeu_ps(c + i * ldc + 16 * j, acc[i][j]);
  } else {
    __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      float* row = c + i * ldc;
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j)
        _mm512_storeu_ps(row + 16 * j, _mm512_fmadd_ps(vb, _mm512_loadu_ps(row + 16 * j), acc[i][j]));
    }
  }
}

// Cache blocks: the B micro-panel (kc x nr) is reused across the A micro-panels of an
// A block (mc x kc, in L2); the B panel (kc x nc) sits in L3. On a Zen 4 core (32 KiB
// L1, 1 MiB L2) the B micro-panel does not stay in L1 at these sizes either way, and
// measured no slower for it: kc 128 (so that it would) read 4-12% slower at 1024^3 and
// above, kc 384 read 0-4% faster than 256; for 6x64, mc 96 read 0-3% faster than 144
// (and than 72 or 240), and kc-loop unrolling by 1, 4 or 8 instead of 2 within 1%.
//
// 6x64 first: 24 accumulators, four B vectors and one broadcast per k step, and the
// fewest A broadcasts per FMA. On a Zen 4 core it read 3-5% faster than 12x32 and 1-3%
// faster than AVX2's 6x16 at 1024^3 and above (alternating in one process; 93-96% of
// the FMA peak), and the same or slightly faster on the 512x256x256 MLP shapes.
// 12x32 is the kernel measured on a Zen 5 core (see the project notes); the run-time
// probe in matmul.cc picks between them on the CPU at hand.
const GemmArch kArchs[] = {
    {6, 64, 96, 384, 2048, kernel<6, 4>, "avx512 6x64"},
    {12, 32, 144, 256, 2048, kernel<12, 2>, "avx512 12x32"},
};

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

ArchList avx512_archs() { return {kArchs, static_cast<int>(sizeof(kArchs) / sizeof(kArchs[0]))}; }

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
ArchList avx512_archs() { return {nullptr, 0}; }
double fma_probe_avx512(int, double) { return 0; }
}  // namespace tl::cpu::gemm_detail
#endif
