// 2-D convolution and pooling over NCHW float32 tensors. Convolution lowers each image
// (and group) to the blocked gemm through an im2col buffer; 1x1 stride-1 unpadded
// convolutions use the input directly, and stride-1 layers with few taps per output (a
// first layer) use the direct kernels of conv_direct.h, whichever measured faster.
#pragma once
#include <cstdint>

namespace tl::cpu {

struct Conv2dShape {
  int64_t n, c, h, w;       // input
  int64_t o, kh, kw;        // weight [o, c / groups, kh, kw]
  int64_t sh, sw, ph, pw, dh, dw, groups;
  int64_t oh, ow;           // output, from the above
};

// out[n,o,oh,ow] = conv(x, w) + bias[o] (bias may be null).
void conv2d_forward(float* out, const float* x, const float* w, const float* bias, const Conv2dShape& s);
// gx += dL/dx, gw += dL/dw, gb += dL/dbias (each may be null), from g = dL/dout.
void conv2d_backward(float* gx, float* gw, float* gb, const float* g, const float* x, const float* w,
                     const Conv2dShape& s);

struct Pool2dShape {
  int64_t n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow;
};

// Max over each window (padding never wins); argmax holds the winner's offset within
// its h*w plane, for the backward pass.
void maxpool2d_forward(float* out, int32_t* argmax, const float* x, const Pool2dShape& s);
// gx[plane][argmax] += g; throws std::out_of_range on an offset outside the plane.
void maxpool2d_backward(float* gx, const float* g, const int32_t* argmax, const Pool2dShape& s);
// Mean over each window, padding counted as zeros (PyTorch's count_include_pad).
void avgpool2d_forward(float* out, const float* x, const Pool2dShape& s);
void avgpool2d_backward(float* gx, const float* g, const Pool2dShape& s);

}  // namespace tl::cpu
