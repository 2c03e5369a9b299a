// A small persistent thread pool. Kernels call parallel_for; small ranges run inline
// on the calling thread so that tiny ops never pay for a wake-up.
#pragma once
#include <cstdint>
#include <functional>

namespace tl {

// Number of threads parallel_for may use (the caller counts as one).
int num_threads();
// Changes the pool size. n < 1 is clamped to 1.
void set_num_threads(int n);

// Calls fn(begin, end) on disjoint chunks covering [0, n). `grain` is the smallest
// chunk worth a thread; when n <= grain everything runs inline on the caller.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// Runs fn(t, nt) once on each of nt threads (t = 0..nt-1), nt <= num_threads().
// For kernels that partition work themselves (matmul blocks, per-thread scratch).
void parallel_run(int nt, const std::function<void(int, int)>& fn);

}  // namespace tl
