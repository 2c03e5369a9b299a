// The body of first_nonfinite_serial (finite_check.h), included once per instruction set
// inside namespace TL_FINITE_NS and compiled with that set's flags. No shared inline
// library code here: a copy compiled for AVX2 could be linked into the portable path.
#include <cstdint>
#include <cstring>

#include "finite_check.h"

namespace tl::cpu::TL_FINITE_NS {

// An exponent of all ones (inf or NaN) plus one exponent step carries into bit 31; no
// other float reaches it. Integer operations only (an and, an add and an or per vector),
// so the OR-reduction vectorises on every instruction set and no floating-point flag
// (-ffast-math's finite-math assumptions included) can fold the test away.
inline uint32_t carry(const float* x, int64_t i) {
  uint32_t bits;
  std::memcpy(&bits, x + i, sizeof bits);
  return (bits & 0x7f800000u) + 0x00800000u;
}

// One pass at cache bandwidth when everything is finite (the usual case); only when the
// reduction says otherwise is x scanned again, element by element, for the index.
int64_t first_nonfinite_serial(const float* __restrict x, int64_t n) {
  uint32_t any = 0;
  for (int64_t i = 0; i < n; ++i) any |= carry(x, i);
  if (!(any & 0x80000000u)) return -1;
  for (int64_t i = 0; i < n; ++i)
    if (carry(x, i) & 0x80000000u) return i;
  return -1;
}

}  // namespace tl::cpu::TL_FINITE_NS
