// Run-time choice of the SIMD path. The addon is built with every path compiled in;
// the best one the CPU supports is used, and TRUNKLINE_ISA or set_isa() can force a
// lower one (tests use that to cover every path on one machine).
#pragma once

namespace tl {

enum class Isa { Portable = 0, Avx2 = 1, Avx512 = 2 };

Isa best_supported_isa();
Isa active_isa();
// Returns false (and changes nothing) if the CPU does not support `isa`.
bool set_isa(Isa isa);
const char* isa_name(Isa isa);

}  // namespace tl
