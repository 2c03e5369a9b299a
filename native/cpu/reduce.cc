#include "reduce.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "../core/parallel.h"

namespace tl::cpu {

int64_t ReduceShape::out_size() const {
  int64_t n = 1;
  for (int d = 0; d < ndim; ++d)
    if (!reduced[d]) n *= shape[d];
  return n;
}

int64_t ReduceShape::red_size() const {
  int64_t n = 1;
  for (int d = 0; d < ndim; ++d)
    if (reduced[d]) n *= shape[d];
  return n;
}

namespace {

constexpr int64_t kGrain = 1 << 15;  // elements of work below which one thread is best
constexpr int64_t kBlock = 256;      // inner outputs accumulated together
constexpr int64_t kFewUnits = 32;    // fewer output units than this: split the reduction too
constexpr int64_t kMaxChunks = 64;   // at most this many partial results per output

using Plan = ReducePlan;

Plan make_plan(const ReduceShape& rs) { return make_reduce_plan(rs.ndim, rs.shape, rs.reduced); }

// Walks the element offsets of a multi-dim index space in row-major order.
struct Odometer {
  int n;
  const int64_t* shape;
  const int64_t* stride;
  int64_t idx[kMaxDims] = {};
  int64_t offset = 0;

  Odometer(int n_, const int64_t* shape_, const int64_t* stride_, int64_t linear)
      : n(n_), shape(shape_), stride(stride_) {
    for (int d = n - 1; d >= 0; --d) {
      idx[d] = linear % shape[d];
      linear /= shape[d];
      offset += idx[d] * stride[d];
    }
  }
  void next() {
    for (int d = n - 1; d >= 0; --d) {
      offset += stride[d];
      if (++idx[d] < shape[d]) return;
      offset -= idx[d] * stride[d];
      idx[d] = 0;
    }
  }
  // Steps `len` positions along the last dim (len <= what is left in it).
  void advance(int64_t len) {
    int last = n - 1;
    idx[last] += len - 1;
    offset += (len - 1) * stride[last];
    next();
  }
  int64_t left_in_last() const { return shape[n - 1] - idx[n - 1]; }
};

int64_t offset_of(int n, const int64_t* shape, const int64_t* stride, int64_t linear) {
  return Odometer(n, shape, stride, linear).offset;
}

// A unit of work: outer position p, tail block [j0, j1), reduced range [r0, r1).
// visit(input_offset_of_j0, r) is called once per reduced position, in order, so
// order-sensitive accumulators (first max) see a stable sequence; the caller loops
// over the j1 - j0 contiguous tail elements from that offset.
template <typename Visit>
void walk_unit(const Plan& pl, int64_t p, int64_t j0, int64_t r0, int64_t r1, Visit visit) {
  if (r0 >= r1) return;  // also keeps the odometers away from zero-sized dims
  int64_t base = offset_of(pl.n_outer, pl.outer_shape, pl.outer_stride, p) + j0;
  Odometer red(pl.n_red, pl.red_shape, pl.red_stride, r0);
  for (int64_t r = r0; r < r1; ++r, red.next()) visit(base + red.offset, r);
}

// With inner == 1 the last reduced dim is contiguous: visit(input_offset, len, r) gets
// whole runs of it, so accumulators can run tight loops.
template <typename Visit>
void walk_runs(const Plan& pl, int64_t p, int64_t r0, int64_t r1, Visit visit) {
  if (r0 >= r1) return;
  int64_t base = offset_of(pl.n_outer, pl.outer_shape, pl.outer_stride, p);
  if (pl.n_red == 0) return visit(base, r1 - r0, r0);  // a single reduced element
  Odometer red(pl.n_red, pl.red_shape, pl.red_stride, r0);
  for (int64_t r = r0; r < r1;) {
    int64_t len = std::min(r1 - r, red.left_in_last());
    visit(base + red.offset, len, r);
    r += len;
    if (r < r1) red.advance(len);
  }
}

// Adds reduced rows of tail block [j0, j1) into accs[0 .. j1-j0).
template <typename Acc>
void add_rows(Acc* accs, const float* x, const Plan& pl, int64_t p, int64_t j0, int64_t j1, int64_t r0, int64_t r1) {
  int64_t len = j1 - j0;
  walk_unit(pl, p, j0, r0, r1, [&](int64_t off, int64_t r) {
    const float* row = x + off;
    for (int64_t a = 0; a < len; ++a) accs[a].add(row[a], r);
  });
}

struct Units {
  int64_t blocks_per_outer, units, chunks, chunk_len;
};

// Splits the work into (outer, block) units and, when those are too few to keep
// threads busy, the reduced range into chunks. The split depends only on the shape,
// never on the thread count, so every machine sums in the same order and gets the
// same bits.
Units split_work(const Plan& pl) {
  Units u;
  u.blocks_per_outer = (pl.inner + kBlock - 1) / kBlock;
  u.units = pl.outer_count * u.blocks_per_outer;
  int64_t total = pl.outer_count * pl.inner * pl.red_count;
  u.chunks = 1;
  if (u.units < kFewUnits && total > kGrain)
    u.chunks = std::max<int64_t>(1, std::min<int64_t>(kMaxChunks, pl.red_count / 4096));
  u.chunk_len = (pl.red_count + u.chunks - 1) / u.chunks;
  if (pl.red_count > 0) u.chunks = (pl.red_count + u.chunk_len - 1) / u.chunk_len;
  return u;
}

// Accumulator folding: Acc has add(float v, int64_t r) and merge(const Acc&) (the later
// partial merged into the earlier). make(o) creates the accumulator of output o and
// finish(o, acc) stores it.
template <typename Acc, typename Make, typename Finish>
void fold(const Plan& pl, const float* x, Make make, Finish finish) {
  Units u = split_work(pl);
  int64_t per_unit_work = std::max<int64_t>(1, std::min(kBlock, pl.inner) * std::max<int64_t>(pl.red_count, 1));
  auto unit_range = [&](int64_t unit, int64_t& p, int64_t& j0, int64_t& j1) {
    p = unit / u.blocks_per_outer;
    j0 = (unit % u.blocks_per_outer) * kBlock;
    j1 = std::min(pl.inner, j0 + kBlock);
  };
  if (u.chunks <= 1 || pl.red_count == 0) {
    int64_t grain = std::max<int64_t>(1, kGrain / per_unit_work);
    parallel_for(u.units, grain, [&](int64_t lo, int64_t hi) {
      std::vector<Acc> accs;
      for (int64_t unit = lo; unit < hi; ++unit) {
        int64_t p, j0, j1;
        unit_range(unit, p, j0, j1);
        accs.clear();
        for (int64_t j = j0; j < j1; ++j) accs.push_back(make(p * pl.inner + j));
        if (pl.inner == 1)
          walk_runs(pl, p, 0, pl.red_count, [&](int64_t off, int64_t len, int64_t r) { accs[0].add_run(x + off, len, r); });
        else
          add_rows(accs.data(), x, pl, p, j0, j1, 0, pl.red_count);
        for (int64_t j = j0; j < j1; ++j) finish(p * pl.inner + j, accs[j - j0]);
      }
    });
    return;
  }
  // Few outputs, long reductions: partials per (unit, chunk), merged in chunk order.
  int64_t n_acc_per_unit = std::min(kBlock, pl.inner);
  std::vector<Acc> partial(static_cast<size_t>(u.units * u.chunks * n_acc_per_unit));
  parallel_for(u.units * u.chunks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t w = lo; w < hi; ++w) {
      int64_t unit = w / u.chunks, c = w % u.chunks;
      int64_t p, j0, j1;
      unit_range(unit, p, j0, j1);
      Acc* accs = &partial[static_cast<size_t>(w * n_acc_per_unit)];
      for (int64_t j = j0; j < j1; ++j) accs[j - j0] = make(p * pl.inner + j);
      int64_t r0 = c * u.chunk_len, r1 = std::min(pl.red_count, r0 + u.chunk_len);
      if (pl.inner == 1)
        walk_runs(pl, p, r0, r1, [&](int64_t off, int64_t len, int64_t r) { accs[0].add_run(x + off, len, r); });
      else
        add_rows(accs, x, pl, p, j0, j1, r0, r1);
    }
  });
  for (int64_t unit = 0; unit < u.units; ++unit) {
    int64_t p, j0, j1;
    unit_range(unit, p, j0, j1);
    Acc* first = &partial[static_cast<size_t>(unit * u.chunks * n_acc_per_unit)];
    for (int64_t c = 1; c < u.chunks; ++c)
      for (int64_t j = j0; j < j1; ++j) first[j - j0].merge(first[c * n_acc_per_unit + (j - j0)]);
    for (int64_t j = j0; j < j1; ++j) finish(p * pl.inner + j, first[j - j0]);
  }
}

// Visits every input element once, in parallel (each input element belongs to exactly
// one output, so backward writes never collide): visit(o, input_offset, r).
template <typename Visit>
void scatter(const Plan& pl, Visit visit) {
  Units u = split_work(pl);
  int64_t per_work = std::max<int64_t>(1, std::min(kBlock, pl.inner) * std::max<int64_t>(u.chunk_len, 1));
  parallel_for(u.units * u.chunks, std::max<int64_t>(1, kGrain / per_work), [&](int64_t lo, int64_t hi) {
    for (int64_t w = lo; w < hi; ++w) {
      int64_t unit = w / u.chunks, c = w % u.chunks;
      int64_t p = unit / u.blocks_per_outer;
      int64_t j0 = (unit % u.blocks_per_outer) * kBlock, j1 = std::min(pl.inner, j0 + kBlock);
      int64_t r0 = c * u.chunk_len, r1 = std::min(pl.red_count, r0 + u.chunk_len);
      if (pl.inner == 1)
        walk_runs(pl, p, r0, r1, [&](int64_t off, int64_t len, int64_t r) {
          for (int64_t k = 0; k < len; ++k) visit(p, off + k, r + k);
        });
      else
        walk_unit(pl, p, j0, r0, r1, [&](int64_t off, int64_t r) {
          for (int64_t a = 0; a < j1 - j0; ++a) visit(p * pl.inner + j0 + a, off + a, r);
        });
    }
  });
}

// Sum of x, or (Deviation) of (x - shift)^2 for var's second pass; double throughout.
template <bool Deviation>
struct SumAccT {
  double s = 0;
  double shift = 0;
  static double term(float v, double shift) {
    if constexpr (Deviation) {
      double d = static_cast<double>(v) - shift;
      return d * d;
    } else {
      return static_cast<double>(v);
    }
  }
  void add(float v, int64_t) { s += term(v, shift); }
  // Four independent partial sums keep the adds pipelined.
  void add_run(const float* p, int64_t n, int64_t) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
      s0 += term(p[i], shift);
      s1 += term(p[i + 1], shift);
      s2 += term(p[i + 2], shift);
      s3 += term(p[i + 3], shift);
    }
    for (; i < n; ++i) s0 += term(p[i], shift);
    s += (s0 + s1) + (s2 + s3);
  }
  void merge(const SumAccT& o) { s += o.s; }
};
using SumAcc = SumAccT<false>;
using DeviationAcc = SumAccT<true>;

template <bool IsMax>
struct ExtremeAcc {
  float best = 0;
  int64_t at = -1;
  // Strictly better (so the first of equals wins), or the first NaN.
  static bool better(float v, float best) {
    bool beats = IsMax ? v > best : v < best;
    return beats | ((v != v) & (best == best));
  }
  // Branch-free selects, so the compiler can keep the loop tight.
  void add(float v, int64_t r) {
    bool take = (at < 0) | better(v, best);
    best = take ? v : best;
    at = take ? r : at;
  }
  void add_run(const float* p, int64_t n, int64_t r0) {
    for (int64_t i = 0; i < n; ++i) add(p[i], r0 + i);
  }
  void merge(const ExtremeAcc& o) {
    if (o.at >= 0 && (at < 0 || better(o.best, best))) {
      best = o.best;
      at = o.at;
    }
  }
};

template <bool IsMax>
void extreme_impl(float* out, int32_t* index, const float* x, const Plan& pl) {
  fold<ExtremeAcc<IsMax>>(
      pl, x, [](int64_t) { return ExtremeAcc<IsMax>(); },
      [&](int64_t o, const ExtremeAcc<IsMax>& a) {
        if (out) out[o] = a.best;
        index[o] = static_cast<int32_t>(a.at);
      });
}

}  // namespace

void sum_forward(float* out, const float* x, const ReduceShape& rs, float scale) {
  Plan pl = make_plan(rs);
  fold<SumAcc>(
      pl, x, [](int64_t) { return SumAcc(); },
      [&](int64_t o, const SumAcc& a) { out[o] = static_cast<float>(a.s * scale); });
}

void sum_backward(float* gx, const float* g, const ReduceShape& rs, float scale) {
  Plan pl = make_plan(rs);
  scatter(pl, [&](int64_t o, int64_t off, int64_t) { gx[off] += scale * g[o]; });
}

void extreme_forward(bool is_max, float* out, int32_t* index, const float* x, const ReduceShape& rs) {
  Plan pl = make_plan(rs);
  if (is_max) extreme_impl<true>(out, index, x, pl);
  else extreme_impl<false>(out, index, x, pl);
}

void extreme_backward(float* gx, const float* g, const int32_t* index, const ReduceShape& rs) {
  Plan pl = make_plan(rs);
  int64_t n_out = pl.outer_count * pl.inner;
  // Distinct outputs own distinct input elements, so outputs can go in parallel.
  parallel_for(n_out, kGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t o = lo; o < hi; ++o) {
      int64_t p = o / pl.inner, j = o % pl.inner;
      int64_t off = offset_of(pl.n_outer, pl.outer_shape, pl.outer_stride, p) +
                    offset_of(pl.n_red, pl.red_shape, pl.red_stride, index[o]) + j;
      gx[off] += g[o];
    }
  });
}

void var_forward(float* out, float* mean_out, const float* x, const ReduceShape& rs, double correction) {
  Plan pl = make_plan(rs);
  int64_t n_out = pl.outer_count * pl.inner;
  double n = static_cast<double>(pl.red_count);
  // Two passes (mean, then squared deviations) avoid the cancellation of E[x^2]-E[x]^2.
  std::vector<double> mean(static_cast<size_t>(n_out));
  fold<SumAcc>(
      pl, x, [](int64_t) { return SumAcc(); }, [&](int64_t o, const SumAcc& a) { mean[o] = a.s / n; });
  fold<DeviationAcc>(
      pl, x,
      [&](int64_t o) {
        DeviationAcc a;
        a.shift = mean[o];
        return a;
      },
      [&](int64_t o, const DeviationAcc& a) { out[o] = static_cast<float>(a.s / (n - correction)); });
  if (mean_out)
    for (int64_t o = 0; o < n_out; ++o) mean_out[o] = static_cast<float>(mean[o]);
}

void var_backward(float* gx, const float* g, const float* x, const float* mean, const ReduceShape& rs,
                  double correction) {
  Plan pl = make_plan(rs);
  float scale = static_cast<float>(2.0 / (static_cast<double>(pl.red_count) - correction));
  scatter(pl, [&](int64_t o, int64_t off, int64_t) { gx[off] += g[o] * scale * (x[off] - mean[o]); });
}

double dot_f64(const float* a, const float* b, int64_t n) {
  constexpr int64_t kBlock = 1 << 14;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(static_cast<size_t>(blocks), 0.0);
  parallel_for(blocks, 4, [&](int64_t lo, int64_t hi) {
    for (int64_t k = lo; k < hi; k++) {
      const int64_t begin = k * kBlock, end = std::min(n, begin + kBlock);
      // Eight independent sums: the compiler keeps them in vector registers.
      double s[8] = {};
      int64_t i = begin;
      for (; i + 8 <= end; i += 8)
        for (int j = 0; j < 8; j++) s[j] += static_cast<double>(a[i + j]) * static_cast<double>(b[i + j]);
      for (; i < end; i++) s[0] += static_cast<double>(a[i]) * static_cast<double>(b[i]);
      partial[static_cast<size_t>(k)] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    }
  });
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

}  // namespace tl::cpu
