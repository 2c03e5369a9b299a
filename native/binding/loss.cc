#include "../cpu/loss.h"

#include <exception>

#include "args.h"
#include "registry.h"
#ifdef TL_WITH_CUDA
#include "../cuda/loss.h"
#endif

namespace tl::binding {
namespace {

cpu::Reduction reduction_arg(const Args& a, size_t i) {
  return static_cast<cpu::Reduction>(a.integer(i, 0, 2));
}

// Elements the loss output holds: n for None, 1 otherwise.
int64_t out_len(cpu::Reduction r, int64_t n) { return r == cpu::Reduction::None ? n : 1; }

// Reads (rows, classes, ignoreIndex, smoothing, sampleWeights|null, classWeights|null,
// reduction) starting at argument i.
cpu::CrossEntropyArgs ce_args(const Args& a, size_t i, Buf<float>& sw, Buf<float>& cw) {
  cpu::CrossEntropyArgs ce;
  ce.rows = a.integer(i);
  ce.classes = a.integer(i + 1, 1, INT32_MAX);
  checked_numel(a, {ce.rows, ce.classes});
  ce.ignore_index = static_cast<int32_t>(a.integer(i + 2, INT32_MIN, INT32_MAX));
  double eps = a.number(i + 3);
  if (!(eps >= 0 && eps < 1)) a.fail("label smoothing must be in [0, 1)");
  ce.label_smoothing = static_cast<float>(eps);
  sw = a.f32_opt(i + 4, ce.rows);
  cw = a.f32_opt(i + 5, ce.classes);
  ce.sample_weights = sw.ptr;
  ce.class_weights = cw.ptr;
  ce.reduction = reduction_arg(a, i + 6);
  return ce;
}

// (out, lse, norm, logits, labels, rows, classes, ignoreIndex, smoothing, sampleW, classW, reduction)
TL_KERNEL(softmax_cross_entropy_forward) {
  a.expect_count(12);
  Buf<float> sw, cw;
  cpu::CrossEntropyArgs ce = ce_args(a, 5, sw, cw);
  auto out = a.f32(0, out_len(ce.reduction, ce.rows));
  auto lse = a.f32(1, ce.rows);
  auto norm = a.f32(2, 1);
  auto logits = a.f32(3, ce.rows * ce.classes);
  auto labels = a.i32(4, ce.rows);
  TL_DISPATCH(a.same_device(out, lse, norm, logits, labels, sw, cw), softmax_cross_entropy_forward(out.ptr, lse.ptr, norm.ptr, logits.ptr, labels.ptr, ce));
}

// (glogits, gout, logits, labels, lse, norm, rows, classes, ignoreIndex, smoothing, sampleW, classW, reduction)
TL_KERNEL(softmax_cross_entropy_backward) {
  a.expect_count(13);
  Buf<float> sw, cw;
  cpu::CrossEntropyArgs ce = ce_args(a, 6, sw, cw);
  auto gl = a.f32(0, ce.rows * ce.classes);
  auto gout = a.f32(1, out_len(ce.reduction, ce.rows));
  auto logits = a.f32(2, ce.rows * ce.classes);
  auto labels = a.i32(3, ce.rows);
  auto lse = a.f32(4, ce.rows);
  auto norm = a.f32(5, 1);
  TL_DISPATCH(a.same_device(gl, gout, logits, labels, lse, norm, sw, cw), softmax_cross_entropy_backward(gl.ptr, gout.ptr, logits.ptr, labels.ptr, lse.ptr, norm.ptr, ce));
}

// Reads (rows, cols, posWeight, posWeights|null, sampleWeights|null, mask|null, reduction).
cpu::BceArgs bce_args(const Args& a, size_t i, Buf<float>& pw, Buf<float>& sw, Buf<float>& mask) {
  cpu::BceArgs b;
  b.rows = a.integer(i);
  b.cols = a.integer(i + 1);
  int64_t n = checked_numel(a, {b.rows, b.cols});
  b.pos_weight = static_cast<float>(a.number(i + 2));
  pw = a.f32_opt(i + 3, b.cols);
  sw = a.f32_opt(i + 4, b.rows);
  mask = a.f32_opt(i + 5, n);
  b.pos_weights = pw.ptr;
  b.sample_weights = sw.ptr;
  b.mask = mask.ptr;
  b.reduction = reduction_arg(a, i + 6);
  return b;
}

// (out, norm, x, t, rows, cols, posWeight, posWeights, sampleW, mask, reduction)
TL_KERNEL(bce_with_logits_forward) {
  a.expect_count(11);
  Buf<float> pw, sw, mask;
  cpu::BceArgs b = bce_args(a, 4, pw, sw, mask);
  int64_t n = b.rows * b.cols;
  auto out = a.f32(0, out_len(b.reduction, n));
  auto norm = a.f32(1, 1);
  auto x = a.f32(2, n);
  auto t = a.f32(3, n);
  TL_DISPATCH(a.same_device(out, norm, x, t, pw, sw, mask), bce_with_logits_forward(out.ptr, norm.ptr, x.ptr, t.ptr, b));
}

// (gx|null, gt|null, gout, x, t, norm, rows, cols, posWeight, posWeights, sampleW, mask, reduction)
TL_KERNEL(bce_with_logits_backward) {
  a.expect_count(13);
  Buf<float> pw, sw, mask;
  cpu::BceArgs b = bce_args(a, 6, pw, sw, mask);
  int64_t n = b.rows * b.cols;
  auto gx = a.f32_opt(0, n);
  auto gt = a.f32_opt(1, n);
  auto gout = a.f32(2, out_len(b.reduction, n));
  auto x = a.f32(3, n);
  auto t = a.f32(4, n);
  auto norm = a.f32(5, 1);
  if (!gx.ptr && !gt.ptr) return;
  TL_DISPATCH(a.same_device(gx, gt, gout, x, t, norm, pw, sw, mask), bce_with_logits_backward(gx.ptr, gt.ptr, gout.ptr, x.ptr, t.ptr, norm.ptr, b));
}

// (out, norm, p, t, mask|null, n, reduction)
TL_KERNEL(mse_forward) {
  a.expect_count(7);
  int64_t n = a.integer(5);
  auto r = reduction_arg(a, 6);
  auto out = a.f32(0, out_len(r, n));
  auto norm = a.f32(1, 1);
  auto p = a.f32(2, n);
  auto t = a.f32(3, n);
  auto mask = a.f32_opt(4, n);
  TL_DISPATCH(a.same_device(out, norm, p, t, mask), mse_forward(out.ptr, norm.ptr, p.ptr, t.ptr, mask.ptr, n, r));
}

// (gp|null, gt|null, gout, p, t, mask|null, norm, n, reduction)
TL_KERNEL(mse_backward) {
  a.expect_count(9);
  int64_t n = a.integer(7);
  auto r = reduction_arg(a, 8);
  auto gp = a.f32_opt(0, n);
  auto gt = a.f32_opt(1, n);
  auto gout = a.f32(2, out_len(r, n));
  auto p = a.f32(3, n);
  auto t = a.f32(4, n);
  auto mask = a.f32_opt(5, n);
  auto norm = a.f32(6, 1);
  if (!gp.ptr && !gt.ptr) return;
  TL_DISPATCH(a.same_device(gp, gt, gout, p, t, mask, norm), mse_backward(gp.ptr, gt.ptr, gout.ptr, p.ptr, t.ptr, mask.ptr, norm.ptr, n, r));
}

}  // namespace
}  // namespace tl::binding
