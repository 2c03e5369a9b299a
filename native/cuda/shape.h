// CUDA twin of native/cpu/shape.h: strided block copies (permute, slice, concat,
// broadcast and their backward), indexSelect and gather. Index kernels check every
// index on the device first and throw std::out_of_range before writing anything.
#pragma once
#include <cstdint>

#include "../cpu/shape.h"

namespace tl::cuda {

using cpu::GatherShape;
using cpu::StridedBlock;

#include "../core/kernels/shape.inc"

}  // namespace tl::cuda
