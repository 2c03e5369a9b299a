// Convolution on the device: images are lowered in chunks to an im2col buffer
// [img][c*kh*kw][oh*ow] and multiplied per group with the batched device gemm;
// backward multiplies by the transposed weight and folds columns back (col2im, a gather
// per input pixel, so no atomics). Pooling: a thread per output (forward) or per input
// pixel (avg backward); max backward scatters through argmax with atomics.
#include <algorithm>

#include "../core/element_math.h"
#include <climits>
#include <stdexcept>
#include <string>

#include "checks.h"
#include "conv.h"
#include "launch.cuh"
#include "matmul.h"

namespace tl::cuda {
namespace {

constexpr int64_t kColBudget = int64_t(64) << 20;  // floats in one im2col chunk (256 MiB)

struct DeviceBuffer {
  float* p = nullptr;
  explicit DeviceBuffer(int64_t n) : p(static_cast<float*>(device_alloc(static_cast<size_t>(n) * sizeof(float)))) {}
  ~DeviceBuffer() { device_free(p); }
};

// col[img][(c*kh + ky)*kw + kx][oy*ow + ox] = x[img][c][oy*sh - ph + ky*dh][ox*sw - pw + kx*dw] (0 outside).
__global__ void im2col_kernel(float* col, const float* x, Conv2dShape s, int64_t total) {
  const int64_t ohw = s.oh * s.ow, kk = s.kh * s.kw;
  TL_GRID_STRIDE(e, total) {
    int64_t p = e % ohw, r = e / ohw;
    int64_t row = r % (s.c * kk), img = r / (s.c * kk);
    int64_t kx = row % s.kw, ky = (row / s.kw) % s.kh, c = row / kk;
    int64_t oy = p / s.ow, ox = p % s.ow;
    int64_t iy = oy * s.sh - s.ph + ky * s.dh, ix = ox * s.sw - s.pw + kx * s.dw;
    float v = 0;
    if (iy >= 0 && iy < s.h && ix >= 0 && ix < s.w) v = x[((img * s.c + c) * s.h + iy) * s.w + ix];
    col[e] = v;
  }
}

// gx[img][c][iy][ix] += sum of col[img][(c, ky, kx)][(oy, ox)] over the kernel taps that
// read this pixel.
__global__ void col2im_kernel(float* gx, const float* col, Conv2dShape s, int64_t total) {
  const int64_t ohw = s.oh * s.ow, kk = s.kh * s.kw;
  TL_GRID_STRIDE(e, total) {
    int64_t ix = e % s.w, iy = (e / s.w) % s.h, c = (e / (s.w * s.h)) % s.c, img = e / (s.w * s.h * s.c);
    const float* cimg = col + img * s.c * kk * ohw;
    float acc = 0;
    for (int64_t ky = 0; ky < s.kh; ++ky) {
      int64_t ty = iy + s.ph - ky * s.dh;
      if (ty < 0 || ty % s.sh != 0) continue;
      int64_t oy = ty / s.sh;
      if (oy >= s.oh) continue;
      for (int64_t kx = 0; kx < s.kw; ++kx) {
        int64_t tx = ix + s.pw - kx * s.dw;
        if (tx < 0 || tx % s.sw != 0) continue;
        int64_t ox = tx / s.sw;
        if (ox >= s.ow) continue;
        acc += cimg[((c * s.kh + ky) * s.kw + kx) * ohw + oy * s.ow + ox];
      }
    }
    gx[e] += acc;
  }
}

__global__ void add_bias_kernel(float* out, const float* bias, int64_t o, int64_t ohw, int64_t total) {
  TL_GRID_STRIDE(e, total) out[e] += bias[(e / ohw) % o];
}

// gb[o] += sum over images and pixels of g[img][o][p]: one block per channel.
__global__ void bias_grad_kernel(float* gb, const float* g, int64_t n, int64_t o, int64_t ohw) {
  for (int64_t ch = blockIdx.x; ch < o; ch += gridDim.x) {
    double acc = 0;
    for (int64_t e = threadIdx.x; e < n * ohw; e += blockDim.x) acc += g[((e / ohw) * o + ch) * ohw + e % ohw];
    for (int s = 16; s > 0; s >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, s);
    __shared__ double part[8];
    if (threadIdx.x % 32 == 0) part[threadIdx.x / 32] = acc;
    __syncthreads();
    if (threadIdx.x == 0) {
      double t = 0;
      for (int w = 0; w < 8; ++w) t += part[w];
      gb[ch] += static_cast<float>(t);
    }
    __syncthreads();
  }
}

int64_t images_per_chunk(const Conv2dShape& s) {
  int64_t per_image = std::max<int64_t>(1, s.c * s.kh * s.kw * s.oh * s.ow);
  return std::max<int64_t>(1, std::min<int64_t>(s.n, kColBudget / per_image));
}

void check_shape(const Conv2dShape& s) {
  if (s.groups <= 0 || s.c % s.groups != 0 || s.o % s.groups != 0)
    throw std::invalid_argument("conv2d: channels " + std::to_string(s.c) + " and " + std::to_string(s.o) +
                                " must both divide into " + std::to_string(s.groups) + " groups");
  if (s.sh <= 0 || s.sw <= 0 || s.dh <= 0 || s.dw <= 0) throw std::invalid_argument("conv2d: stride and dilation must be positive");
}

}  // namespace

void conv2d_forward(float* out, const float* x, const float* w, const float* bias, const Conv2dShape& s) {
  check_shape(s);
  const int64_t ohw = s.oh * s.ow, kk = s.kh * s.kw, cg = s.c / s.groups, og = s.o / s.groups;
  if (s.n <= 0 || s.o <= 0 || ohw <= 0) return;
  const int64_t chunk = images_per_chunk(s);
  DeviceBuffer col(chunk * s.c * kk * ohw);
  for (int64_t i0 = 0; i0 < s.n; i0 += chunk) {
    int64_t nb = std::min(chunk, s.n - i0);
    int64_t total = nb * s.c * kk * ohw;
    if (total > 0) {
      im2col_kernel<<<blocks_for(total), 256, 0, stream()>>>(col.p, x + i0 * s.c * s.h * s.w, s, total);
      check_launch("conv2d_forward (im2col)");
    }
    // Per group: out[img][g*og .. ][p] = w[g*og .., cg*kk] @ col[img][g*cg*kk .. ][p].
    for (int64_t g = 0; g < s.groups; ++g)
      gemm_batched(false, false, nb, og, ohw, cg * kk, 1.0f, w + g * og * cg * kk, cg * kk, 0,
                   col.p + g * cg * kk * ohw, ohw, s.c * kk * ohw, 0.0f, out + (i0 * s.o + g * og) * ohw, ohw,
                   s.o * ohw);
  }
  if (bias) {
    int64_t total = s.n * s.o * ohw;
    add_bias_kernel<<<blocks_for(total), 256, 0, stream()>>>(out, bias, s.o, ohw, total);
    check_launch("conv2d_forward (bias)");
  }
}

void conv2d_backward(float* gx, float* gw, float* gb, const float* g, const float* x, const float* w,
                     const Conv2dShape& s) {
  check_shape(s);
  const int64_t ohw = s.oh * s.ow, kk = s.kh * s.kw, cg = s.c / s.groups, og = s.o / s.groups;
  if (s.n <= 0 || s.o <= 0 || ohw <= 0) return;
  if (gb) {
    bias_grad_kernel<<<static_cast<unsigned>(std::min<int64_t>(s.o, 65535)), 256, 0, stream()>>>(gb, g, s.n, s.o, ohw);
    check_launch("conv2d_backward (bias)");
  }
  if (!gx && !gw) return;
  const int64_t chunk = images_per_chunk(s);
  DeviceBuffer col(chunk * s.c * kk * ohw);
  for (int64_t i0 = 0; i0 < s.n; i0 += chunk) {
    int64_t nb = std::min(chunk, s.n - i0);
    int64_t total = nb * s.c * kk * ohw;
    const float* gimg = g + i0 * s.o * ohw;
    if (gw && total > 0) {
      im2col_kernel<<<blocks_for(total), 256, 0, stream()>>>(col.p, x + i0 * s.c * s.h * s.w, s, total);
      check_launch("conv2d_backward (im2col)");
      // gw[g] += g_img[g] @ col_img[g]^T, image after image (they all add into gw).
      for (int64_t img = 0; img < nb; ++img)
        for (int64_t gr = 0; gr < s.groups; ++gr)
          gemm(false, true, og, cg * kk, ohw, 1.0f, gimg + (img * s.o + gr * og) * ohw, ohw,
               col.p + (img * s.c * kk + gr * cg * kk) * ohw, ohw, 1.0f, gw + gr * og * cg * kk,
               cg * kk);
    }
    if (gx && total > 0) {
      // col = w^T @ g per image and group, then fold back into gx.
      for (int64_t gr = 0; gr < s.groups; ++gr)
        gemm_batched(true, false, nb, cg * kk, ohw, og, 1.0f, w + gr * og * cg * kk, cg * kk, 0,
                     gimg + gr * og * ohw, ohw, s.o * ohw, 0.0f, col.p + gr * cg * kk * ohw, ohw, s.c * kk * ohw);
      int64_t xs = nb * s.c * s.h * s.w;
      col2im_kernel<<<blocks_for(xs), 256, 0, stream()>>>(gx + i0 * s.c * s.h * s.w, col.p, s, xs);
      check_launch("conv2d_backward (col2im)");
    }
  }
}

namespace {

__global__ void maxpool_forward_kernel(float* out, int32_t* argmax, const float* x, Pool2dShape s, int64_t total) {
  const int64_t ohw = s.oh * s.ow, hw = s.h * s.w;
  TL_GRID_STRIDE(e, total) {
    int64_t pl = e / ohw, p = e % ohw, oy = p / s.ow, ox = p % s.ow;
    const float* xp = x + pl * hw;
    int64_t at;
    out[e] = elem::maxpool_window(xp, s, oy, ox, at);
    argmax[e] = static_cast<int32_t>(at);
  }
}

__global__ void maxpool_backward_kernel(float* gx, const float* g, const int32_t* argmax, int64_t ohw, int64_t hw,
                                        int64_t total) {
  TL_GRID_STRIDE(e, total) atomicAdd(gx + (e / ohw) * hw + argmax[e], g[e]);
}

__global__ void avgpool_forward_kernel(float* out, const float* x, Pool2dShape s, float scale, int64_t total) {
  const int64_t ohw = s.oh * s.ow, hw = s.h * s.w;
  TL_GRID_STRIDE(e, total) {
    int64_t pl = e / ohw, p = e % ohw, oy = p / s.ow, ox = p % s.ow;
    out[e] = elem::avgpool_window_sum(x + pl * hw, s, oy, ox) * scale;
  }
}

// Per input pixel: the outputs whose window covers it (a gather, no atomics).
__global__ void avgpool_backward_kernel(float* gx, const float* g, Pool2dShape s, float scale, int64_t total) {
  const int64_t ohw = s.oh * s.ow, hw = s.h * s.w;
  TL_GRID_STRIDE(e, total) {
    int64_t pl = e / hw, q = e % hw, iy = q / s.w, ix = q % s.w;
    const float* gp = g + pl * ohw;
    float acc = 0;
    for (int64_t ki = 0; ki < s.kh; ++ki) {
      int64_t ty = iy + s.ph - ki;
      if (ty < 0 || ty % s.sh != 0 || ty / s.sh >= s.oh) continue;
      for (int64_t kj = 0; kj < s.kw; ++kj) {
        int64_t tx = ix + s.pw - kj;
        if (tx < 0 || tx % s.sw != 0 || tx / s.sw >= s.ow) continue;
        acc += gp[(ty / s.sh) * s.ow + tx / s.sw];
      }
    }
    gx[e] += acc * scale;
  }
}

}  // namespace

void maxpool2d_forward(float* out, int32_t* argmax, const float* x, const Pool2dShape& s) {
  int64_t total = s.n * s.c * s.oh * s.ow;
  if (total <= 0) return;
  maxpool_forward_kernel<<<blocks_for(total), 256, 0, stream()>>>(out, argmax, x, s, total);
  check_launch("maxpool2d_forward");
}

void maxpool2d_backward(float* gx, const float* g, const int32_t* argmax, const Pool2dShape& s) {
  int64_t total = s.n * s.c * s.oh * s.ow, hw = s.h * s.w;
  if (total <= 0) return;
  int32_t bad = 0;
  if (find_bad_index(argmax, total, 0, hw, INT64_MIN, &bad) >= 0)
    throw std::out_of_range("argmax " + std::to_string(bad) + " is outside the " +
                            std::to_string(s.h) + "x" + std::to_string(s.w) + " plane");
  maxpool_backward_kernel<<<blocks_for(total), 256, 0, stream()>>>(gx, g, argmax, s.oh * s.ow, hw, total);
  check_launch("maxpool2d_backward");
}

void avgpool2d_forward(float* out, const float* x, const Pool2dShape& s) {
  int64_t total = s.n * s.c * s.oh * s.ow;
  if (total <= 0) return;
  avgpool_forward_kernel<<<blocks_for(total), 256, 0, stream()>>>(out, x, s, 1.0f / static_cast<float>(s.kh * s.kw),
                                                                   total);
  check_launch("avgpool2d_forward");
}

void avgpool2d_backward(float* gx, const float* g, const Pool2dShape& s) {
  int64_t total = s.n * s.c * s.h * s.w;
  if (total <= 0 || s.oh * s.ow <= 0) return;
  avgpool_backward_kernel<<<blocks_for(total), 256, 0, stream()>>>(gx, g, s, 1.0f / static_cast<float>(s.kh * s.kw),
                                                                    total);
  check_launch("avgpool2d_backward");
}

}  // namespace tl::cuda
