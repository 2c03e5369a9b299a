// The fp32 fused-multiply-add peak of this machine, measured (benchmarks report every
// kernel as a share of it).
#pragma once

namespace tl::cpu {

// GFLOP/s summed over `threads` threads, each running `accumulators` independent FMA
// chains for `seconds` on the widest vector unit the CPU has. Too few chains read low
// (latency-bound), so benchmarks check that more chains do not read higher. Time is
// each thread's CPU time, so a busy machine does not lower the reading.
double fma_peak(double seconds, int threads, int accumulators);

}  // namespace tl::cpu
