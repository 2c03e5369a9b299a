#include "softmax.h"

#include <algorithm>

#include "../core/parallel.h"
#include "softmax_rows.h"

namespace tl::cpu {
namespace {

constexpr int64_t kGrain = 1 << 15;  // elements below which one thread does the whole job

// Splits [outer, inner] into (outer, column-block) tasks of about kGrain elements each
// and runs fn(outer_index, i0, i1) on them; rows (inner == 1) go in row batches.
template <typename Rows, typename Strided>
void run(int64_t outer, int64_t axis, int64_t inner, Rows rows, Strided strided) {
  if (outer == 0 || axis == 0 || inner == 0) return;
  if (inner == 1) {
    int64_t grain = std::max<int64_t>(1, kGrain / axis);
    parallel_for(outer, grain, [&](int64_t lo, int64_t hi) { rows(lo, hi); });
    return;
  }
  int64_t block = std::min<int64_t>(inner, std::max<int64_t>(64, kGrain / axis));
  int64_t blocks = (inner + block - 1) / block;
  int64_t grain = std::max<int64_t>(1, kGrain / (axis * block));
  parallel_for(outer * blocks, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      int64_t o = t / blocks, b = t % blocks;
      strided(o, b * block, std::min(inner, (b + 1) * block));
    }
  });
}

}  // namespace

void softmax_forward(float* out, const float* x, int64_t outer, int64_t axis, int64_t inner,
                     bool log) {
  const RowKernels& k = row_kernels();
  int64_t slab = axis * inner;
  run(
      outer, axis, inner,
      [&](int64_t lo, int64_t hi) { k.softmax_rows(out + lo * axis, x + lo * axis, hi - lo, axis, log); },
      [&](int64_t o, int64_t i0, int64_t i1) {
        k.softmax_strided(out + o * slab, x + o * slab, axis, inner, i0, i1, log);
      });
}

void softmax_backward(float* gx, const float* g, const float* y, int64_t outer, int64_t axis,
                      int64_t inner, bool log) {
  const RowKernels& k = row_kernels();
  int64_t slab = axis * inner;
  run(
      outer, axis, inner,
      [&](int64_t lo, int64_t hi) {
        k.softmax_rows_backward(gx + lo * axis, g + lo * axis, y + lo * axis, hi - lo, axis, log);
      },
      [&](int64_t o, int64_t i0, int64_t i1) {
        k.softmax_strided_backward(gx + o * slab, g + o * slab, y + o * slab, axis, inner, i0, i1, log);
      });
}

}  // namespace tl::cpu
