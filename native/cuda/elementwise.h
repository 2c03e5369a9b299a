// CUDA twin of native/cpu/elementwise.h: same names and arguments, device pointers,
// work queued on the engine's current stream (runtime.h).
#pragma once
#include <cstdint>

#include "../cpu/elementwise.h"

namespace tl::cuda {

using cpu::BinaryOp;
using cpu::Broadcast;
using cpu::UnaryOp;

void unary_forward(UnaryOp op, float* out, const float* x, int64_t n, float p0, float p1);
void unary_backward(UnaryOp op, float* gx, const float* gout, const float* x, const float* out,
                    int64_t n, float p0, float p1);
void binary_forward(BinaryOp op, float* out, const float* a, const float* b, const Broadcast& bc);
// Broadcast inputs receive their reduced gradient through atomic adds.
void binary_backward(BinaryOp op, float* ga, float* gb, const float* gout, const float* a,
                     const float* b, const float* out, const Broadcast& bc);
void axpy(float* y, const float* x, float alpha, int64_t n);
void fill(float* out, float value, int64_t n);

}  // namespace tl::cuda
