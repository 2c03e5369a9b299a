// CUDA twin of native/cpu/elementwise.h: same names and arguments, device pointers,
// work queued on the engine's current stream (runtime.h). binary_backward reduces a
// broadcast input's gradient through atomic adds.
#pragma once
#include <cstdint>

#include "../cpu/elementwise.h"

namespace tl::cuda {

using cpu::BinaryOp;
using cpu::Broadcast;
using cpu::UnaryOp;

#include "../core/kernels/elementwise.inc"

}  // namespace tl::cuda
