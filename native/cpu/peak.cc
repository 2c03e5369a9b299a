#include "peak.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <vector>

#include "../core/cpu_features.h"
#include "../core/parallel.h"
#include "gemm_kernels.h"

namespace tl::cpu {

double gemm_detail::thread_seconds() {
#if defined(CLOCK_THREAD_CPUTIME_ID)
  timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0) return ts.tv_sec + 1e-9 * ts.tv_nsec;
#endif
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

namespace {
using gemm_detail::thread_seconds;

// Portable fallback: 8-lane float arrays the compiler keeps in vector registers.
double probe_portable(int accumulators, double seconds) {
  constexpr int N = 8;
  float acc[N][8];
  for (int i = 0; i < N; ++i)
    for (int l = 0; l < 8; ++l) acc[i][l] = 0.001f * (i + l);
  const float m = 0.999999f, a = 1e-7f;
  const double t0 = thread_seconds();
  double elapsed = 0;
  long iters = 0;
  do {
    for (int r = 0; r < 4096; ++r)
      for (int i = 0; i < N; ++i)
        for (int l = 0; l < 8; ++l) acc[i][l] = acc[i][l] * m + a;
    iters += 4096;
    elapsed = thread_seconds() - t0;
  } while (elapsed < seconds);
  volatile float sink = acc[0][0] + acc[N - 1][7];
  (void)sink;
  (void)accumulators;
  return 2.0 * 8 * N * static_cast<double>(iters) / elapsed * 1e-9;
}

double probe(int accumulators, double seconds) {
  Isa best = best_supported_isa();
  if (best == Isa::Avx512) return gemm_detail::fma_probe_avx512(accumulators, seconds);
  if (best == Isa::Avx2) return gemm_detail::fma_probe_avx2(accumulators, seconds);
  return probe_portable(accumulators, seconds);
}

}  // namespace

double fma_peak(double seconds, int threads, int accumulators) {
  threads = threads < 1 ? 1 : threads;
  std::vector<double> per(threads, 0.0);
  parallel_run(threads, [&](int t, int) { per[t] = probe(accumulators, seconds); });
  double sum = 0;
  for (double v : per) sum += v;
  return sum;
}

double memory_bandwidth(double megabytes, int threads, int repeats) {
  threads = threads < 1 ? 1 : threads;
  const int64_t n = static_cast<int64_t>(megabytes * 1e6 / sizeof(float));
  std::vector<float> src(n, 1.0f), dst(n, 0.0f);
  double best = 0;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    parallel_run(threads, [&](int t, int nt) {
      const int64_t lo = n * t / nt, hi = n * (t + 1) / nt;
      float* d = dst.data();
      const float* s = src.data();
      for (int64_t i = lo; i < hi; ++i) d[i] = s[i] + 1.0f;  // + 1: not a memcpy (which may bypass the cache)
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, 2.0 * n * sizeof(float) / seconds * 1e-9);
  }
  volatile float sink = dst[n / 2];
  (void)sink;
  return best;
}

}  // namespace tl::cpu
