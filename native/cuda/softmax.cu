// Softmax on the device. Each slice (fixed outer and inner position, varying along the
// axis) is handled by one group of threads: a thread when inner > 1 (neighbouring
// threads take neighbouring inner positions, so loads coalesce), else a warp, or a
// whole block for long rows. Three passes: max, sum of exp, write.
#include "group.cuh"
#include "launch.cuh"
#include "softmax.h"

namespace tl::cuda {
namespace {

template <int G>
__global__ void softmax_forward_kernel(float* out, const float* x, int64_t axis, int64_t inner, bool log,
                                       int64_t slices) {
  int64_t first, step;
  group_range<G>(first, step);
  for (int64_t s = first; s < slices; s += step) {
    int64_t base = (s / inner) * axis * inner + s % inner;
    const float* xs = x + base;
    float* os = out + base;
    float m = -INFINITY;
    for (int64_t a = Group<G>::rank(); a < axis; a += G) m = fmaxf(m, xs[a * inner]);
    m = Group<G>::max(m);
    if (m == -INFINITY) m = 0;  // an all -inf slice: exp gives 0s (then NaN, as on the CPU)
    double sum = 0;
    for (int64_t a = Group<G>::rank(); a < axis; a += G) sum += expf(xs[a * inner] - m);
    sum = Group<G>::sum(sum);
    float inv = static_cast<float>(1.0 / sum);
    float lse = static_cast<float>(::log(sum));
    for (int64_t a = Group<G>::rank(); a < axis; a += G) {
      float z = xs[a * inner] - m;
      os[a * inner] = log ? z - lse : expf(z) * inv;
    }
  }
}

template <int G>
__global__ void softmax_backward_kernel(float* gx, const float* g, const float* y, int64_t axis, int64_t inner,
                                        bool log, int64_t slices) {
  int64_t first, step;
  group_range<G>(first, step);
  for (int64_t s = first; s < slices; s += step) {
    int64_t base = (s / inner) * axis * inner + s % inner;
    double dot = 0;
    for (int64_t a = Group<G>::rank(); a < axis; a += G) {
      int64_t i = base + a * inner;
      dot += log ? g[i] : g[i] * y[i];
    }
    float d = static_cast<float>(Group<G>::sum(dot));
    for (int64_t a = Group<G>::rank(); a < axis; a += G) {
      int64_t i = base + a * inner;
      gx[i] += log ? g[i] - expf(y[i]) * d : y[i] * (g[i] - d);
    }
  }
}


int group_for(int64_t axis, int64_t inner, int64_t slices) {
  if (inner > 1 || axis <= 16) return 1;
  if (axis >= 2048 && slices < 4096) return 256;
  return 32;
}

unsigned grid(int group, int64_t slices) {
  if (group == 1) return blocks_for(slices);
  if (group == 32) return blocks_for(slices * 32);
  return static_cast<unsigned>(std::min<int64_t>(slices, 65535LL * 16));
}

}  // namespace

void softmax_forward(float* out, const float* x, int64_t outer, int64_t axis, int64_t inner, bool log) {
  int64_t slices = outer * inner;
  if (slices <= 0 || axis <= 0) return;
  int gsz = group_for(axis, inner, slices);
  unsigned blocks = grid(gsz, slices);
  if (gsz == 1) softmax_forward_kernel<1><<<blocks, 256, 0, stream()>>>(out, x, axis, inner, log, slices);
  else if (gsz == 32) softmax_forward_kernel<32><<<blocks, 256, 0, stream()>>>(out, x, axis, inner, log, slices);
  else softmax_forward_kernel<256><<<blocks, 256, 0, stream()>>>(out, x, axis, inner, log, slices);
  check_launch("softmax_forward");
}

void softmax_backward(float* gx, const float* g, const float* y, int64_t outer, int64_t axis, int64_t inner,
                      bool log) {
  int64_t slices = outer * inner;
  if (slices <= 0 || axis <= 0) return;
  int gsz = group_for(axis, inner, slices);
  unsigned blocks = grid(gsz, slices);
  if (gsz == 1) softmax_backward_kernel<1><<<blocks, 256, 0, stream()>>>(gx, g, y, axis, inner, log, slices);
  else if (gsz == 32) softmax_backward_kernel<32><<<blocks, 256, 0, stream()>>>(gx, g, y, axis, inner, log, slices);
  else softmax_backward_kernel<256><<<blocks, 256, 0, stream()>>>(gx, g, y, axis, inner, log, slices);
  check_launch("softmax_backward");
}

}  // namespace tl::cuda
