// Direct 2-D convolution for layers with few taps per output channel (one to three input
// channels, a first layer). Lowered to a gemm their K is cg*kh*kw = 9..27: too short for
// the micro-kernel to amortise loading and storing its C tile, and the im2col matrix is
// as large as the output. Here each output row is computed in vector registers from
// shifted rows of the (zero-padded) input and written once. Stride 1, dilation 1 only.
// One copy per instruction set (portable, AVX2+FMA), chosen at run time; conv.cc decides
// when to use it, pads the input and splits images across threads.
#pragma once
#include <cstdint>

namespace tl::cpu {

// The geometry of one image (one group) as the direct kernels see it: cg channels of a
// zero-padded input plane hp x wp, og output channels of oh x ow, kh x kw taps. The
// kernels read up to direct_conv_slack(p) floats past the last plane (multiplied by
// zeros or dropped): the caller's buffer must have them, finite (zeros).
struct DirectConvPlane {
  int64_t cg, hp, wp;
  int64_t og, kh, kw, oh, ow;
};

// The most taps (cg*kh*kw) the direct kernels take.
constexpr int64_t kDirectConvMaxTaps = 64;

inline int64_t direct_conv_slack(const DirectConvPlane& p) { return p.wp + p.kw + 8; }

struct DirectConvKernels {
  // out[o][oy][ox] = bias[o] + sum_{ci,ki,kj} w[o][ci][ki][kj] * xp[ci][oy+ki][ox+kj]
  // (bias may be null).
  void (*forward)(float* out, const float* xp, const float* w, const float* bias, const DirectConvPlane& p);
  // gw[o][ci][ki][kj] += sum_{oy,ox} g[o][oy][ox] * xp[ci][oy+ki][ox+kj]
  void (*backward_weight)(float* gw, const float* g, const float* xp, const DirectConvPlane& p);
};

// The table for the active instruction set (tl::active_isa()).
const DirectConvKernels& direct_conv_kernels();

namespace portable { extern const DirectConvKernels kDirectConv; }
namespace avx2 { extern const DirectConvKernels kDirectConv; }

}  // namespace tl::cpu
