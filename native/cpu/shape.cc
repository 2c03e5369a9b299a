#include "shape.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "../core/parallel.h"

namespace tl::cpu {
namespace {

constexpr int64_t kGrain = 1 << 15;
// Transposes copy 8x8 tiles (kTile along the src-contiguous dim, kTileA along the
// dst-contiguous one): with power-of-two row strides all rows of a tile map to one L1
// set, and 8 rows still fit its 8 ways, where 32x32 tiles thrash.
constexpr int64_t kTile = 8;
constexpr int64_t kTileA = 8;


// Offsets of the position `linear` over the first n dims.
void offsets_of(const StridedBlock& b, int n, int64_t linear, int64_t& dst, int64_t& src) {
  dst = src = 0;
  for (int d = n - 1; d >= 0; --d) {
    int64_t i = linear % b.shape[d];
    linear /= b.shape[d];
    dst += i * b.dst_stride[d];
    src += i * b.src_stride[d];
  }
}

template <typename T, bool Acc>
inline void put(T& d, T s) {
  if constexpr (Acc) d += s;
  else d = s;
}

template <typename T, bool Acc>
void copy_rows(T* dst, const T* src, const StridedBlock& b, bool parallel) {
  int last = b.ndim - 1;
  int64_t len = b.shape[last], ds = b.dst_stride[last], ss = b.src_stride[last];
  int64_t rows = b.size() / len;
  auto body = [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      int64_t od, os;
      offsets_of(b, last, r, od, os);
      T* pd = dst + od;
      const T* ps = src + os;
      if (ds == 1 && ss == 1) {
        for (int64_t i = 0; i < len; ++i) put<T, Acc>(pd[i], ps[i]);
      } else {
        for (int64_t i = 0; i < len; ++i) put<T, Acc>(pd[i * ds], ps[i * ss]);
      }
    }
  };
  if (parallel) parallel_for(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(len, 1)), body);
  else body(0, rows);
}

// A transpose-like copy: dim `a` (the last) is contiguous in dst, dim `t` (moved to
// ndim-2) is contiguous in src. Copies 32x32 tiles of (t, a) for every outer position.
template <typename T, bool Acc>
void copy_tiled(T* dst, const T* src, const StridedBlock& b) {
  int a = b.ndim - 1, t = b.ndim - 2;
  int64_t na = b.shape[a], nt = b.shape[t];
  int64_t outer = b.size() / (na * nt);
  int64_t t_tiles = (nt + kTile - 1) / kTile;
  int64_t dsa = b.dst_stride[a], ssa = b.src_stride[a], dst_t = b.dst_stride[t], sst = b.src_stride[t];
  parallel_for(outer * t_tiles, std::max<int64_t>(1, kGrain / (kTile * na)), [&](int64_t lo, int64_t hi) {
    for (int64_t w = lo; w < hi; ++w) {
      int64_t od, os;
      offsets_of(b, t, w / t_tiles, od, os);
      int64_t t0 = (w % t_tiles) * kTile, t1 = std::min(nt, t0 + kTile);
      for (int64_t a0 = 0; a0 < na; a0 += kTileA) {
        int64_t a1 = std::min(na, a0 + kTileA);
        for (int64_t i = t0; i < t1; ++i)
          for (int64_t j = a0; j < a1; ++j)
            put<T, Acc>(dst[od + i * dst_t + j * dsa], src[os + i * sst + j * ssa]);
      }
    }
  });
}

template <typename T, bool Acc>
void copy_impl(T* dst, const T* src, const StridedBlock& raw) {
  StridedBlock b = coalesce(raw);
  if (b.size() == 0) return;
  // A dst stride of 0 means several sources land on one element: keep that serial.
  bool overlapping = false;
  for (int d = 0; d < b.ndim; ++d) overlapping |= b.dst_stride[d] == 0;
  if (overlapping) return copy_rows<T, Acc>(dst, src, b, false);
  int last = b.ndim - 1;
  if (b.ndim >= 2 && b.dst_stride[last] == 1 && b.src_stride[last] != 1 && b.shape[last] >= 8) {
    for (int t = 0; t < last; ++t) {
      if (b.src_stride[t] == 1 && b.shape[t] >= 8) {
        // Move dim t next to the last: iteration order never matters for a copy.
        StridedBlock r = b;
        for (int d = t; d < last - 1; ++d) {
          r.shape[d] = b.shape[d + 1];
          r.dst_stride[d] = b.dst_stride[d + 1];
          r.src_stride[d] = b.src_stride[d + 1];
        }
        r.shape[last - 1] = b.shape[t];
        r.dst_stride[last - 1] = b.dst_stride[t];
        r.src_stride[last - 1] = b.src_stride[t];
        return copy_tiled<T, Acc>(dst, src, r);
      }
    }
  }
  copy_rows<T, Acc>(dst, src, b, true);
}

void check_indices(const int32_t* index, int64_t k, int64_t n) {
  for (int64_t j = 0; j < k; ++j) {
    if (index[j] < 0 || index[j] >= n)
      throw std::out_of_range("index " + std::to_string(index[j]) + " at position " +
                              std::to_string(j) + " is out of range for a dim of size " + std::to_string(n));
  }
}

template <typename T>
void index_select_impl(T* out, const T* x, const int32_t* index, int64_t outer, int64_t n, int64_t inner,
                       int64_t k) {
  check_indices(index, k, n);
  parallel_for(outer * k, std::max<int64_t>(1, kGrain / std::max<int64_t>(inner, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t w = lo; w < hi; ++w) {
      int64_t o = w / k, j = w % k;
      const T* src = x + (o * n + index[j]) * inner;
      T* dst = out + w * inner;
      std::copy(src, src + inner, dst);
    }
  });
}

// Calls f(index_linear, x_offset_without_axis) for every index position, parallel over
// one non-axis dim (positions that differ there never touch the same x element).
template <typename F>
void gather_walk(const GatherShape& gs, F f) {
  int64_t x_stride[kMaxDims], i_stride[kMaxDims];
  int64_t xs = 1, is = 1;
  for (int d = gs.ndim - 1; d >= 0; --d) {
    x_stride[d] = xs;
    xs *= gs.x_shape[d];
    i_stride[d] = is;
    is *= gs.index_shape[d];
  }
  int64_t total = is;
  if (total == 0) return;
  int split = -1;
  for (int d = 0; d < gs.ndim; ++d)
    if (d != gs.axis) {
      split = d;
      break;
    }
  int64_t parts = split < 0 ? 1 : gs.index_shape[split];
  int64_t per_part = total / parts;
  auto body = [&](int64_t lo, int64_t hi) {
    for (int64_t part = lo; part < hi; ++part) {
      int64_t idx[kMaxDims] = {};
      if (split >= 0) idx[split] = part;
      for (int64_t c = 0; c < per_part; ++c) {
        int64_t lin = 0, xoff = 0;
        for (int d = 0; d < gs.ndim; ++d) {
          lin += idx[d] * i_stride[d];
          if (d != gs.axis) xoff += idx[d] * x_stride[d];
        }
        f(lin, xoff, x_stride[gs.axis]);
        for (int d = gs.ndim - 1; d >= 0; --d) {
          if (d == split) continue;
          if (++idx[d] < gs.index_shape[d]) break;
          idx[d] = 0;
        }
      }
    }
  };
  parallel_for(parts, std::max<int64_t>(1, kGrain / std::max<int64_t>(per_part, 1)), body);
}

int64_t gather_count(const GatherShape& gs) {
  int64_t n = 1;
  for (int d = 0; d < gs.ndim; ++d) n *= gs.index_shape[d];
  return n;
}

template <typename T>
void gather_impl(T* out, const T* x, const int32_t* index, const GatherShape& gs) {
  check_indices(index, gather_count(gs), gs.x_shape[gs.axis]);
  gather_walk(gs, [&](int64_t lin, int64_t xoff, int64_t axis_stride) { out[lin] = x[xoff + index[lin] * axis_stride]; });
}

}  // namespace

void copy_block(float* dst, const float* src, const StridedBlock& b, bool accumulate) {
  if (accumulate) copy_impl<float, true>(dst, src, b);
  else copy_impl<float, false>(dst, src, b);
}

void copy_block_i32(int32_t* dst, const int32_t* src, const StridedBlock& b) {
  copy_impl<int32_t, false>(dst, src, b);
}

void index_select_forward(float* out, const float* x, const int32_t* index, int64_t outer, int64_t n,
                          int64_t inner, int64_t k) {
  index_select_impl(out, x, index, outer, n, inner, k);
}

void index_select_forward_i32(int32_t* out, const int32_t* x, const int32_t* index, int64_t outer,
                              int64_t n, int64_t inner, int64_t k) {
  index_select_impl(out, x, index, outer, n, inner, k);
}

void index_select_backward(float* gx, const float* g, const int32_t* index, int64_t outer, int64_t n,
                           int64_t inner, int64_t k) {
  check_indices(index, k, n);
  // Repeated indices collide across j, never across outer rows or inner columns, so
  // split the work over (outer, column block) and walk j serially inside.
  constexpr int64_t kCols = 64;
  int64_t col_blocks = (inner + kCols - 1) / kCols;
  parallel_for(outer * col_blocks, std::max<int64_t>(1, kGrain / std::max<int64_t>(k * kCols, 1)),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t w = lo; w < hi; ++w) {
                   int64_t o = w / col_blocks;
                   int64_t c0 = (w % col_blocks) * kCols, c1 = std::min(inner, c0 + kCols);
                   for (int64_t j = 0; j < k; ++j) {
                     float* dst = gx + (o * n + index[j]) * inner;
                     const float* src = g + (o * k + j) * inner;
                     for (int64_t i = c0; i < c1; ++i) dst[i] += src[i];
                   }
                 }
               });
}

void gather_forward(float* out, const float* x, const int32_t* index, const GatherShape& gs) {
  gather_impl(out, x, index, gs);
}

void gather_forward_i32(int32_t* out, const int32_t* x, const int32_t* index, const GatherShape& gs) {
  gather_impl(out, x, index, gs);
}

void gather_backward(float* gx, const float* g, const int32_t* index, const GatherShape& gs) {
  check_indices(index, gather_count(gs), gs.x_shape[gs.axis]);
  gather_walk(gs, [&](int64_t lin, int64_t xoff, int64_t axis_stride) { gx[xoff + index[lin] * axis_stride] += g[lin]; });
}

}  // namespace tl::cpu
