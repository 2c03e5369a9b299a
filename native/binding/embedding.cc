#include "../cpu/embedding.h"

#include <exception>

#include "args.h"
#include "registry.h"
#ifdef TL_WITH_CUDA
#include "../cuda/embedding.h"
#endif

namespace tl::binding {
namespace {

// (out, weight, idx, n, vocab, dim)
TL_KERNEL(embedding_forward) {
  a.expect_count(6);
  int64_t n = a.integer(3), vocab = a.integer(4, 0, INT32_MAX), dim = a.integer(5);
  auto out = a.f32(0, checked_numel(a, {n, dim}));
  auto weight = a.f32(1, checked_numel(a, {vocab, dim}));
  auto idx = a.i32(2, n);
  TL_DISPATCH(a.same_device(out, weight, idx), embedding_forward(out.ptr, weight.ptr, idx.ptr, n, vocab, dim));
}

// (gweight, gout, idx, n, vocab, dim)
TL_KERNEL(embedding_backward) {
  a.expect_count(6);
  int64_t n = a.integer(3), vocab = a.integer(4, 0, INT32_MAX), dim = a.integer(5);
  auto gw = a.f32(0, checked_numel(a, {vocab, dim}));
  auto gout = a.f32(1, checked_numel(a, {n, dim}));
  auto idx = a.i32(2, n);
  TL_DISPATCH(a.same_device(gw, gout, idx), embedding_backward(gw.ptr, gout.ptr, idx.ptr, n, vocab, dim));
}

// (out, weight, idx, offsets, perIndex|null, n, bags, vocab, dim, mean)
TL_KERNEL(embedding_bag_forward) {
  a.expect_count(10);
  int64_t n = a.integer(5), bags = a.integer(6), vocab = a.integer(7, 0, INT32_MAX), dim = a.integer(8);
  bool mean = a.boolean(9);
  auto out = a.f32(0, checked_numel(a, {bags, dim}));
  auto weight = a.f32(1, checked_numel(a, {vocab, dim}));
  auto idx = a.i32(2, n);
  auto offsets = a.i32(3, bags);
  auto per = a.f32_opt(4, n);
  TL_DISPATCH(a.same_device(out, weight, idx, offsets, per), embedding_bag_forward(out.ptr, weight.ptr, idx.ptr, offsets.ptr, per.ptr, n, bags, vocab, dim, mean));
}

// (gweight|null, gperIndex|null, gout, weight, idx, offsets, perIndex|null, n, bags, vocab, dim, mean)
TL_KERNEL(embedding_bag_backward) {
  a.expect_count(12);
  int64_t n = a.integer(7), bags = a.integer(8), vocab = a.integer(9, 0, INT32_MAX), dim = a.integer(10);
  bool mean = a.boolean(11);
  auto gw = a.f32_opt(0, checked_numel(a, {vocab, dim}));
  auto gper = a.f32_opt(1, n);
  auto gout = a.f32(2, checked_numel(a, {bags, dim}));
  auto weight = a.f32(3, checked_numel(a, {vocab, dim}));
  auto idx = a.i32(4, n);
  auto offsets = a.i32(5, bags);
  auto per = a.f32_opt(6, n);
  if (!gw.ptr && !gper.ptr) return;
  TL_DISPATCH(a.same_device(gw, gper, gout, weight, idx, offsets, per), embedding_bag_backward(gw.ptr, gper.ptr, gout.ptr, weight.ptr, idx.ptr, offsets.ptr, per.ptr, n, bags, vocab, dim, mean));
}

}  // namespace
}  // namespace tl::binding
