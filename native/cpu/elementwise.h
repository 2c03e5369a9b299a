// Elementwise kernels: unary maps and broadcasting binary ops, forward + backward.
// Argument order everywhere: outputs, inputs, sizes. Backward kernels accumulate (+=)
// into the input gradients, so several uses of one tensor simply add up.
#pragma once
#include <cstdint>

namespace tl::cpu {

enum class UnaryOp : int {
  Neg = 0, Exp, Log, Sqrt, Abs, Relu, LeakyRelu, Gelu, Sigmoid, Tanh, Clamp, PowScalar,
  Count
};

// out[i] = f(x[i]); p0/p1 are the op's scalars (slope, clamp bounds, exponent).
void unary_forward(UnaryOp op, float* out, const float* x, int64_t n, float p0, float p1);
// gx[i] += gout[i] * f'(x[i]); `out` is the forward result (some derivatives use it).
void unary_backward(UnaryOp op, float* gx, const float* gout, const float* x, const float* out,
                    int64_t n, float p0, float p1);

enum class BinaryOp : int { Add = 0, Sub, Mul, Div, Pow, Maximum, Minimum, Count };

// Calls Fn<op>::run(args...) with the op fixed at compile time, so each kernel body is
// specialised per op (shared by the CPU and CUDA kernels).
template <template <BinaryOp> class Fn, typename... Args>
void dispatch_binary(BinaryOp op, Args&&... args) {
  switch (op) {
    case BinaryOp::Add: Fn<BinaryOp::Add>::run(args...); break;
    case BinaryOp::Sub: Fn<BinaryOp::Sub>::run(args...); break;
    case BinaryOp::Mul: Fn<BinaryOp::Mul>::run(args...); break;
    case BinaryOp::Div: Fn<BinaryOp::Div>::run(args...); break;
    case BinaryOp::Pow: Fn<BinaryOp::Pow>::run(args...); break;
    case BinaryOp::Maximum: Fn<BinaryOp::Maximum>::run(args...); break;
    case BinaryOp::Minimum: Fn<BinaryOp::Minimum>::run(args...); break;
    default: break;
  }
}

constexpr int kMaxDims = 8;

// A broadcast of a and b to the output shape: element strides of each input along each
// output dim, 0 where that input is broadcast.
struct Broadcast {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t a_stride[kMaxDims] = {};
  int64_t b_stride[kMaxDims] = {};
  int64_t size() const {
    int64_t n = 1;
    for (int d = 0; d < ndim; ++d) n *= shape[d];
    return n;
  }
};

void binary_forward(BinaryOp op, float* out, const float* a, const float* b, const Broadcast& bc);
// ga += dL/da, gb += dL/db, each reduced back to its input's (broadcast) shape.
// ga or gb may be null when that input needs no gradient. `out` is the forward result.
void binary_backward(BinaryOp op, float* ga, float* gb, const float* gout, const float* a,
                     const float* b, const float* out, const Broadcast& bc);

// y[i] += alpha * x[i] (gradient accumulation, optimizer helpers).
void axpy(float* y, const float* x, float alpha, int64_t n);
// out[i] = value.
void fill(float* out, float value, int64_t n);

}  // namespace tl::cpu
