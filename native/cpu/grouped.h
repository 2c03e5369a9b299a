// Kernels for banks of parallel layers (mixture-of-experts models): G linear layers side
// by side, each reading its own column block of the input, and the gated mix of expert
// outputs. One call does the work of G (or, for the mix, of a stack, a broadcast
// multiply and a sum) while each expert's data is still in cache.
#pragma once
#include <cstdint>

namespace tl::cpu {

// G linear layers side by side: for each group e, with x_e = x[:, e*k:(e+1)*k],
//   out[:, e*n:(e+1)*n] = act(x_e @ w[e]^T + bias[e*n:(e+1)*n])
// x is [m, G*k], w [G, n, k], bias [G*n] or null, out [m, G*n]; act 0 = none, 1 = relu.
// With G = 1 this is linear_forward.
void grouped_linear_forward(float* out, const float* x, const float* w, const float* bias, int64_t m,
                            int64_t groups, int64_t n, int64_t k, int act);
// Its gradients, accumulated (each of gx [m, G*k], gw [G, n, k], gb [G*n] may be null),
// or written where `overwrite` says so (bit 0 gx, bit 1 gw, bit 2 gb: the buffer holds
// nothing yet, the products run with beta = 0 and never read it).
// With `out` (the forward's relu output) g is first masked where out <= 0, in place: g
// is overwritten, so it must be a buffer the caller owns and no longer needs.
void grouped_linear_backward(float* gx, float* gw, float* gb, float* g, const float* x, const float* w,
                             const float* out, int64_t m, int64_t groups, int64_t n, int64_t k,
                             int overwrite = 0);

// Gated mix of E expert outputs: out[b, d] = sum_e gate[b, e] * experts[b, e, d], with
// experts [B, E, D] and gate [B, E]; out [B, D] is overwritten.
void mix_experts_forward(float* out, const float* experts, const float* gate, int64_t b, int64_t e,
                         int64_t d);
// gexperts[b, e, d] += gate[b, e] * g[b, d];  ggate[b, e] += sum_d experts[b, e, d] * g[b, d]
// (either may be null; `overwrite` bit 0 / bit 1: = instead of += for gexperts / ggate).
void mix_experts_backward(float* gexperts, float* ggate, const float* g, const float* experts,
                          const float* gate, int64_t b, int64_t e, int64_t d, int overwrite = 0);

}  // namespace tl::cpu
