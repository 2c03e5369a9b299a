// Elementwise kernels: unary maps and broadcasting binary ops, forward + backward.
// Argument order everywhere: outputs, inputs, sizes. Backward kernels accumulate (+=)
// into the input gradients, so several uses of one tensor simply add up.
#pragma once
#include <cstdint>

#include "../core/element_math.h"
#include "../core/strided.h"

namespace tl::cpu {

using tl::kMaxDims;

// The ops, in the order of their lists in native/core/element_math.h (the binding checks
// op codes against Count; TS looks the codes up by name).
enum class UnaryOp : int {
#define TL_ENUM(Op, name) Op,
  TL_UNARY_OPS(TL_ENUM)
  Count
};
enum class BinaryOp : int {
  TL_BINARY_OPS(TL_ENUM)
  Count
#undef TL_ENUM
};

// Calls Fn<functor>::run(args...) with the op's functor (native/core/element_math.h) fixed
// at compile time, so each kernel body is specialised per op (shared by the CPU and CUDA
// kernels).
#define TL_CASE(Op, name) \
  case Enum::Op: Fn<elem::Op>::run(args...); break;
#define TL_DISPATCH_OVER(dispatch, EnumType, LIST)        \
  template <template <typename> class Fn, typename... Args> \
  void dispatch(EnumType op, Args&&... args) {             \
    using Enum = EnumType;                                 \
    switch (op) {                                          \
      LIST(TL_CASE)                                        \
      default: break;                                      \
    }                                                      \
  }
TL_DISPATCH_OVER(dispatch_unary, UnaryOp, TL_UNARY_OPS)
TL_DISPATCH_OVER(dispatch_binary, BinaryOp, TL_BINARY_OPS)
#undef TL_DISPATCH_OVER
#undef TL_CASE

// Whether the op's backward reads the forward output.
template <typename Op>
struct NeedsOut {
  static void run(bool& r) { r = Op::needs_out; }
};
inline bool needs_out(UnaryOp op) {
  bool r = false;
  dispatch_unary<NeedsOut>(op, r);
  return r;
}
inline bool needs_out(BinaryOp op) {
  bool r = false;
  dispatch_binary<NeedsOut>(op, r);
  return r;
}

// A broadcast of a and b to the output shape: element strides of each input along each
// output dim, 0 where that input is broadcast. coalesced() is the same broadcast with
// the fewest dims (tl::coalesce_dims), the form both backends' kernels walk.
struct Broadcast {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t a_stride[kMaxDims] = {};
  int64_t b_stride[kMaxDims] = {};
  int64_t size() const { return dims_size(ndim, shape); }
  Broadcast coalesced() const {
    Broadcast c = *this;
    coalesce_dims(c.ndim, c.shape, c.a_stride, c.b_stride);
    return c;
  }
};

#include "../core/kernels/elementwise.inc"

}  // namespace tl::cpu
