#include "elementwise.h"

#include <algorithm>

#include "../core/parallel.h"

namespace tl::cpu {
namespace {

constexpr int64_t kGrain = 1 << 15;  // below ~32K elements one thread beats a wake-up

// f must capture its pointers by value: a local copy of it then keeps them in registers,
// where captured references would be reloaded after every store (the stores might alias
// them), which stops the loop from being vectorised.
template <typename F>
void map_parallel(int64_t n, F f) {
  parallel_for(n, kGrain, [&f](int64_t lo, int64_t hi) {
    F local = f;
    for (int64_t i = lo; i < hi; ++i) local(i);
  });
}

template <typename Op>
struct UnaryForward {
  static void run(float* out, const float* x, int64_t n, float p0, float p1) {
    map_parallel(n, [=](int64_t i) { out[i] = Op::forward(x[i], p0, p1); });
  }
};
// The loads happen unconditionally so the piecewise selects compile to blends, not
// branches that mispredict on random signs; `out` is read only when the op needs it.
template <typename Op>
struct UnaryBackward {
  static void run(float* gx, const float* g, const float* x, const float* out, int64_t n, float p0, float p1) {
    map_parallel(n, [=](int64_t i) {
      float o = 0.0f;
      if constexpr (Op::needs_out) o = out[i];
      gx[i] += Op::backward(g[i], x[i], o, p0, p1);
    });
  }
};

}  // namespace

void unary_forward(UnaryOp op, float* out, const float* x, int64_t n, float p0, float p1) {
  dispatch_unary<UnaryForward>(op, out, x, n, p0, p1);
}

void unary_backward(UnaryOp op, float* gx, const float* g, const float* x, const float* out,
                    int64_t n, float p0, float p1) {
  dispatch_unary<UnaryBackward>(op, gx, g, x, out, n, p0, p1);
}

namespace {

// Visits output rows (all dims but the last) in [row_lo, row_hi) and calls
// f(out_offset, a_offset, b_offset, inner_len, a_inner_stride, b_inner_stride).
template <typename F>
void for_rows(const Broadcast& bc, int64_t row_lo, int64_t row_hi, F f) {
  int last = bc.ndim - 1;
  int64_t inner = bc.shape[last];
  int64_t idx[kMaxDims] = {};
  int64_t rem = row_lo;
  for (int d = last - 1; d >= 0; --d) {
    idx[d] = rem % bc.shape[d];
    rem /= bc.shape[d];
  }
  for (int64_t row = row_lo; row < row_hi; ++row) {
    int64_t ao = 0, bo = 0;
    for (int d = 0; d < last; ++d) {
      ao += idx[d] * bc.a_stride[d];
      bo += idx[d] * bc.b_stride[d];
    }
    f(row * inner, ao, bo, inner, bc.a_stride[last], bc.b_stride[last]);
    for (int d = last - 1; d >= 0; --d) {
      if (++idx[d] < bc.shape[d]) break;
      idx[d] = 0;
    }
  }
}

template <typename Op>
void forward_impl(float* out, const float* a, const float* b, const Broadcast& raw) {
  Broadcast bc = raw.coalesced();
  int64_t inner = bc.shape[bc.ndim - 1];
  int64_t rows = bc.size() / inner;
  int64_t grain_rows = std::max<int64_t>(1, kGrain / std::max<int64_t>(inner, 1));
  parallel_for(rows, grain_rows, [&](int64_t lo, int64_t hi) {
    for_rows(bc, lo, hi, [&](int64_t o, int64_t ao, int64_t bo, int64_t len, int64_t sa, int64_t sb) {
      float* po = out + o;
      const float* pa = a + ao;
      const float* pb = b + bo;
      if (sa == 1 && sb == 1) {
        for (int64_t i = 0; i < len; ++i) po[i] = Op::forward(pa[i], pb[i]);
      } else if (sa == 1 && sb == 0) {
        float bv = *pb;
        for (int64_t i = 0; i < len; ++i) po[i] = Op::forward(pa[i], bv);
      } else if (sa == 0 && sb == 1) {
        float av = *pa;
        for (int64_t i = 0; i < len; ++i) po[i] = Op::forward(av, pb[i]);
      } else {
        for (int64_t i = 0; i < len; ++i) po[i] = Op::forward(pa[i * sa], pb[i * sb]);
      }
    });
  });
}

bool is_dense(const Broadcast& bc, const int64_t* stride) {
  int64_t expect = 1;
  for (int d = bc.ndim - 1; d >= 0; --d) {
    if (bc.shape[d] != 1 && stride[d] != expect) return false;
    expect *= bc.shape[d];
  }
  return true;
}

template <typename Op>
void backward_impl(float* ga, float* gb, const float* g, const float* a, const float* b,
                   const float* out, const Broadcast& raw) {
  Broadcast bc = raw.coalesced();
  int64_t inner = bc.shape[bc.ndim - 1];
  int64_t rows = bc.size() / inner;
  // A broadcast input receives contributions from many output rows, so its
  // accumulation must not be split across threads. Dense inputs can be.
  bool parallel_ok = (!ga || is_dense(bc, bc.a_stride)) && (!gb || is_dense(bc, bc.b_stride));
  auto body = [&](int64_t lo, int64_t hi) {
    for_rows(bc, lo, hi, [&](int64_t o, int64_t ao, int64_t bo, int64_t len, int64_t sa, int64_t sb) {
      for (int64_t i = 0; i < len; ++i) {
        float av = a[ao + i * sa], bv = b[bo + i * sb];
        float o_i = 0.0f;
        if constexpr (Op::needs_out) o_i = out[o + i];
        float da, db;
        Op::backward(g[o + i], av, bv, o_i, da, db);
        if (ga) ga[ao + i * sa] += da;
        if (gb) gb[bo + i * sb] += db;
      }
    });
  };
  if (parallel_ok) {
    int64_t grain_rows = std::max<int64_t>(1, kGrain / std::max<int64_t>(inner, 1));
    parallel_for(rows, grain_rows, body);
  } else {
    body(0, rows);
  }
}


template <typename Op>
struct Forward {
  static void run(float* out, const float* a, const float* b, const Broadcast& bc) {
    forward_impl<Op>(out, a, b, bc);
  }
};
template <typename Op>
struct Backward {
  static void run(float* ga, float* gb, const float* g, const float* a, const float* b,
                  const float* out, const Broadcast& bc) {
    backward_impl<Op>(ga, gb, g, a, b, out, bc);
  }
};

}  // namespace

void binary_forward(BinaryOp op, float* out, const float* a, const float* b, const Broadcast& bc) {
  dispatch_binary<Forward>(op, out, a, b, bc);
}

void binary_backward(BinaryOp op, float* ga, float* gb, const float* gout, const float* a,
                     const float* b, const float* out, const Broadcast& bc) {
  dispatch_binary<Backward>(op, ga, gb, gout, a, b, out, bc);
}

void axpy(float* y, const float* x, float alpha, int64_t n) {
  map_parallel(n, [=](int64_t i) { y[i] += alpha * x[i]; });
}

void fill(float* out, float value, int64_t n) {
  map_parallel(n, [=](int64_t i) { out[i] = value; });
}

}  // namespace tl::cpu
