// The fp32 fused-multiply-add peak of this machine, measured (benchmarks report every
// kernel as a share of it).
#pragma once

namespace tl::cpu {

// GFLOP/s summed over `threads` threads, each running `accumulators` independent FMA
// chains for `seconds` on the widest vector unit the CPU has. Too few chains read low
// (latency-bound), so benchmarks check that more chains do not read higher. Time is
// each thread's CPU time, so a busy machine does not lower the reading.
double fma_peak(double seconds, int threads, int accumulators);

// Memory bandwidth in GB/s (bytes read plus bytes written), the limit of memory-bound
// kernels: the best of `repeats` passes of dst[i] = src[i] + 1 over two buffers of
// `megabytes` each, split across `threads`. Plain stores, as the kernels use, so each
// line written is first read; the buffers are touched before timing.
double memory_bandwidth(double megabytes, int threads, int repeats);

}  // namespace tl::cpu
