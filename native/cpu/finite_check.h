// Finding non-finite values (NaN, +-inf) fast: the optimizers check every gradient before
// they write an update. Compiled once per instruction set (finite_check{,_avx2,_avx512}.cc)
// and chosen at run time; integer operations only, so every path gives the same answer.
#pragma once
#include <cstdint>

namespace tl::cpu {

// Index of the first non-finite element of x[0, n), or -1; one thread, the active ISA.
int64_t first_nonfinite_serial(const float* x, int64_t n);

namespace portable { int64_t first_nonfinite_serial(const float* x, int64_t n); }
namespace avx2 { int64_t first_nonfinite_serial(const float* x, int64_t n); }
namespace avx512 { int64_t first_nonfinite_serial(const float* x, int64_t n); }

}  // namespace tl::cpu
