// CUDA twin of native/cpu/shape.h: strided block copies (permute, slice, concat,
// broadcast and their backward), indexSelect and gather. Index kernels check every
// index on the device first and throw std::out_of_range before writing anything.
#pragma once
#include <cstdint>

#include "../cpu/shape.h"

namespace tl::cuda {

using cpu::GatherShape;
using cpu::StridedBlock;

void copy_block(float* dst, const float* src, const StridedBlock& b, bool accumulate);
void copy_block_i32(int32_t* dst, const int32_t* src, const StridedBlock& b);

void index_select_forward(float* out, const float* x, const int32_t* index, int64_t outer, int64_t n,
                          int64_t inner, int64_t k);
void index_select_forward_i32(int32_t* out, const int32_t* x, const int32_t* index, int64_t outer,
                              int64_t n, int64_t inner, int64_t k);
void index_select_backward(float* gx, const float* g, const int32_t* index, int64_t outer, int64_t n,
                           int64_t inner, int64_t k);

void gather_forward(float* out, const float* x, const int32_t* index, const GatherShape& gs);
void gather_forward_i32(int32_t* out, const int32_t* x, const int32_t* index, const GatherShape& gs);
void gather_backward(float* gx, const float* g, const int32_t* index, const GatherShape& gs);

}  // namespace tl::cuda
