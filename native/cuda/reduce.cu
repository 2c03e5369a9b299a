// Reductions on the device. The input is planned as [outer kept dims, reduced dims,
// contiguous kept tail]; each output is reduced by one thread (many outputs with a
// contiguous tail: coalesced), one warp, or one 256-thread block (few, long reductions).
#include <climits>
#include <cmath>
#include <stdexcept>
#include <string>

#include "checks.h"
#include "group.cuh"
#include "launch.cuh"
#include "reduce.h"

namespace tl::cuda {
namespace {

using Plan = ReducePlan;

Plan make_plan(const ReduceShape& rs) { return make_reduce_plan(rs.ndim, rs.shape, rs.reduced); }

__device__ __forceinline__ int64_t decompose(int64_t i, int nd, const int64_t* shape, const int64_t* stride) {
  int64_t off = 0;
  for (int d = nd - 1; d >= 0; --d) {
    off += (i % shape[d]) * stride[d];
    i /= shape[d];
  }
  return off;
}

// Offset of output o's first element; element r of its reduction is at base + red_off(r).
__device__ __forceinline__ int64_t base_of(const Plan& p, int64_t o) {
  return decompose(o / p.inner, p.n_outer, p.outer_shape, p.outer_stride) + o % p.inner;
}
__device__ __forceinline__ int64_t red_off(const Plan& p, int64_t r) {
  if (p.n_red == 1) return r * p.red_stride[0];
  return decompose(r, p.n_red, p.red_shape, p.red_stride);
}

// Each group walks its outputs together (same first and step for all its threads), so
// the shuffles and barriers inside Group<G> always see the whole group.
// The group's sum (in double) of x over the reduced positions of the output at `base`.
template <int G>
__device__ double group_sum(const float* x, const Plan& p, int64_t base) {
  double acc = 0;
  for (int64_t r = Group<G>::rank(); r < p.red_count; r += G) acc += x[base + red_off(p, r)];
  return Group<G>::sum(acc);
}

template <int G>
__global__ void sum_kernel(float* out, const float* x, Plan p, float scale, int64_t n_out) {
  int64_t first, step;
  group_range<G>(first, step);
  for (int64_t o = first; o < n_out; o += step) {
    double acc = group_sum<G>(x, p, base_of(p, o));
    if (Group<G>::rank() == 0) out[o] = static_cast<float>(acc * scale);
  }
}

template <int G>
__global__ void extreme_kernel(bool is_max, float* out, int32_t* index, const float* x, Plan p, int64_t n_out) {
  int64_t first, step;
  group_range<G>(first, step);
  for (int64_t o = first; o < n_out; o += step) {
    int64_t base = base_of(p, o);
    float v = is_max ? -INFINITY : INFINITY;
    int64_t best = INT64_MAX;
    for (int64_t r = Group<G>::rank(); r < p.red_count; r += G)
      Group<G>::pick(is_max, v, best, x[base + red_off(p, r)], r);
    Group<G>::best(is_max, v, best);
    if (best == INT64_MAX) best = 0;  // all -inf (or +inf for min): the first one
    if (Group<G>::rank() == 0) {
      if (out) out[o] = v;
      index[o] = static_cast<int32_t>(best);
    }
  }
}

template <int G>
__global__ void var_kernel(float* out, float* mean_out, const float* x, Plan p, double divisor, int64_t n_out) {
  int64_t first, step;
  group_range<G>(first, step);
  for (int64_t o = first; o < n_out; o += step) {
    int64_t base = base_of(p, o);
    double mean = group_sum<G>(x, p, base) / static_cast<double>(p.red_count);
    double q = 0;
    for (int64_t r = Group<G>::rank(); r < p.red_count; r += G) {
      double d = x[base + red_off(p, r)] - mean;
      q += d * d;
    }
    q = Group<G>::sum(q);
    if (Group<G>::rank() == 0) {
      out[o] = static_cast<float>(q / divisor);
      if (mean_out) mean_out[o] = static_cast<float>(mean);
    }
  }
}

// Over every (output, reduced position) pair: the input element and its output.
__global__ void sum_backward_kernel(float* gx, const float* g, Plan p, float scale, int64_t total) {
  TL_GRID_STRIDE(i, total) {
    int64_t o = i / p.red_count, r = i % p.red_count;
    gx[base_of(p, o) + red_off(p, r)] += scale * g[o];
  }
}

__global__ void var_backward_kernel(float* gx, const float* g, const float* x, const float* mean, Plan p,
                                    float factor, int64_t total) {
  TL_GRID_STRIDE(i, total) {
    int64_t o = i / p.red_count, r = i % p.red_count;
    int64_t at = base_of(p, o) + red_off(p, r);
    gx[at] += g[o] * factor * (x[at] - mean[o]);
  }
}

__global__ void extreme_backward_kernel(float* gx, const float* g, const int32_t* index, Plan p, int64_t n_out) {
  TL_GRID_STRIDE(o, n_out) gx[base_of(p, o) + red_off(p, index[o])] += g[o];
}

enum class Kind { Thread, Warp, Block };

// Many outputs along a contiguous tail: a thread each (coalesced). Otherwise a warp per
// output, or a whole block when there are few outputs to spread over the device.
Kind choose(const Plan& p) {
  int64_t n_out = p.out_size();
  if ((p.inner > 1 && n_out >= 4096) || p.red_count <= 16) return Kind::Thread;
  if (n_out >= 1024) return Kind::Warp;
  return Kind::Block;
}

unsigned grid_for(Kind k, int64_t n_out) {
  if (k == Kind::Thread) return blocks_for(n_out);
  if (k == Kind::Warp) return blocks_for(n_out * 32);
  return static_cast<unsigned>(std::min<int64_t>(n_out, 65535LL * 16));
}

#define TL_REDUCE_LAUNCH(kernel, plan, n_out, ...)                                       \
  do {                                                                                    \
    Kind k_ = choose(plan);                                                               \
    unsigned g_ = grid_for(k_, n_out);                                                    \
    if (k_ == Kind::Thread) kernel<1><<<g_, 256, 0, stream()>>>(__VA_ARGS__);             \
    else if (k_ == Kind::Warp) kernel<32><<<g_, 256, 0, stream()>>>(__VA_ARGS__);         \
    else kernel<256><<<g_, 256, 0, stream()>>>(__VA_ARGS__);                              \
  } while (0)

}  // namespace

void sum_forward(float* out, const float* x, const ReduceShape& rs, float scale) {
  Plan p = make_plan(rs);
  int64_t n_out = p.out_size();
  if (n_out <= 0) return;
  if (p.red_count == 0) {
    memset_zero(out, static_cast<size_t>(n_out) * sizeof(float));
    return;
  }
  TL_REDUCE_LAUNCH(sum_kernel, p, n_out, out, x, p, scale, n_out);
  check_launch("sum_forward");
}

void sum_backward(float* gx, const float* g, const ReduceShape& rs, float scale) {
  Plan p = make_plan(rs);
  int64_t total = p.out_size() * p.red_count;
  if (total <= 0) return;
  sum_backward_kernel<<<blocks_for(total), 256, 0, stream()>>>(gx, g, p, scale, total);
  check_launch("sum_backward");
}

void extreme_forward(bool is_max, float* out, int32_t* index, const float* x, const ReduceShape& rs) {
  Plan p = make_plan(rs);
  int64_t n_out = p.out_size();
  if (n_out <= 0) return;
  if (p.red_count <= 0) throw std::invalid_argument("cannot reduce over zero elements");
  TL_REDUCE_LAUNCH(extreme_kernel, p, n_out, is_max, out, index, x, p, n_out);
  check_launch("extreme_forward");
}

void extreme_backward(float* gx, const float* g, const int32_t* index, const ReduceShape& rs) {
  Plan p = make_plan(rs);
  int64_t n_out = p.out_size();
  if (n_out <= 0) return;
  int32_t bad = 0;
  int64_t at = find_bad_index(index, n_out, 0, p.red_count, INT64_MIN, &bad);
  if (at >= 0)
    throw std::out_of_range("index " + std::to_string(bad) + " at position " + std::to_string(at) +
                            " is out of range for " + std::to_string(p.red_count) + " reduced elements");
  extreme_backward_kernel<<<blocks_for(n_out), 256, 0, stream()>>>(gx, g, index, p, n_out);
  check_launch("extreme_backward");
}

void var_forward(float* out, float* mean_out, const float* x, const ReduceShape& rs, double correction) {
  Plan p = make_plan(rs);
  int64_t n_out = p.out_size();
  if (n_out <= 0) return;
  double divisor = static_cast<double>(p.red_count) - correction;
  if (!(divisor > 0)) throw std::invalid_argument("needs more reduced elements than the correction");
  TL_REDUCE_LAUNCH(var_kernel, p, n_out, out, mean_out, x, p, divisor, n_out);
  check_launch("var_forward");
}

void var_backward(float* gx, const float* g, const float* x, const float* mean, const ReduceShape& rs,
                  double correction) {
  Plan p = make_plan(rs);
  int64_t total = p.out_size() * p.red_count;
  if (total <= 0) return;
  double divisor = static_cast<double>(p.red_count) - correction;
  if (!(divisor > 0)) throw std::invalid_argument("needs more reduced elements than the correction");
  float factor = static_cast<float>(2.0 / divisor);
  var_backward_kernel<<<blocks_for(total), 256, 0, stream()>>>(gx, g, x, mean, p, factor, total);
  check_launch("var_backward");
}

}  // namespace tl::cuda
