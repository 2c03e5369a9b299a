// CUDA twin of native/cpu/conv.h: conv2d through im2col + the device gemm (so it follows
// the matmul precision), and max/avg pooling, forward + backward (accumulating).
#pragma once
#include <cstdint>

#include "../cpu/conv.h"

namespace tl::cuda {

using cpu::Conv2dShape;
using cpu::Pool2dShape;

void conv2d_forward(float* out, const float* x, const float* w, const float* bias, const Conv2dShape& s);
void conv2d_backward(float* gx, float* gw, float* gb, const float* g, const float* x, const float* w,
                     const Conv2dShape& s);

void maxpool2d_forward(float* out, int32_t* argmax, const float* x, const Pool2dShape& s);
// Throws std::out_of_range (checked on the device first) for an argmax outside the plane.
void maxpool2d_backward(float* gx, const float* g, const int32_t* argmax, const Pool2dShape& s);
void avgpool2d_forward(float* out, const float* x, const Pool2dShape& s);
void avgpool2d_backward(float* gx, const float* g, const Pool2dShape& s);

}  // namespace tl::cuda
