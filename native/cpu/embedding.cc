#include "embedding.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "../core/parallel.h"

namespace tl::cpu {
namespace {

constexpr int64_t kGrain = 1 << 15;  // elements of work below which one thread does all

inline int64_t bag_end(const int32_t* offsets, int64_t b, int64_t bags, int64_t n) {
  return b + 1 < bags ? offsets[b + 1] : n;
}

// Runs fn(v0, v1) on disjoint vocabulary ranges, one per thread, when the work is big
// enough to share; each thread then handles only indices whose row falls in its range.
template <typename F>
void by_vocab_range(int64_t vocab, int64_t work, F fn) {
  int nt = static_cast<int>(std::min<int64_t>(num_threads(), std::max<int64_t>(1, work / kGrain)));
  nt = static_cast<int>(std::min<int64_t>(nt, std::max<int64_t>(vocab, 1)));
  if (nt <= 1) {
    fn(int64_t{0}, vocab);
    return;
  }
  parallel_run(nt, [&](int t, int count) {
    fn(vocab * t / count, vocab * (t + 1) / count);
  });
}

}  // namespace

void check_indices(const int32_t* idx, int64_t n, int64_t vocab) {
  for (int64_t i = 0; i < n; ++i)
    if (idx[i] < 0 || idx[i] >= vocab)
      throw std::out_of_range("index " + std::to_string(idx[i]) + " at position " +
                              std::to_string(i) + " is out of range for a vocabulary of " +
                              std::to_string(vocab) + " rows");
}

void check_offsets(const int32_t* offsets, int64_t bags, int64_t n) {
  if (bags > 0 && offsets[0] != 0)
    throw std::out_of_range("offsets must start at 0, got " + std::to_string(offsets[0]));
  for (int64_t b = 1; b < bags; ++b) {
    int64_t v = offsets[b];
    if (v < offsets[b - 1] || v > n)
      throw std::out_of_range("offsets[" + std::to_string(b) + "] = " + std::to_string(v) +
                              " is out of order: offsets must be non-decreasing, from 0 to at most " +
                              std::to_string(n) + " (the number of indices)");
  }
}

void embedding_forward(float* out, const float* weight, const int32_t* idx, int64_t n,
                       int64_t vocab, int64_t dim) {
  check_indices(idx, n, vocab);
  int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(dim, 1));
  parallel_for(n, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i)
      std::memcpy(out + i * dim, weight + static_cast<int64_t>(idx[i]) * dim, dim * sizeof(float));
  });
}

void embedding_backward(float* gweight, const float* gout, const int32_t* idx, int64_t n,
                        int64_t vocab, int64_t dim) {
  check_indices(idx, n, vocab);
  by_vocab_range(vocab, n * dim, [&](int64_t v0, int64_t v1) {
    for (int64_t i = 0; i < n; ++i) {
      int64_t v = idx[i];
      if (v < v0 || v >= v1) continue;
      float* gw = gweight + v * dim;
      const float* g = gout + i * dim;
      for (int64_t d = 0; d < dim; ++d) gw[d] += g[d];
    }
  });
}

void embedding_bag_forward(float* out, const float* weight, const int32_t* idx,
                           const int32_t* offsets, const float* per_index, int64_t n,
                           int64_t bags, int64_t vocab, int64_t dim, bool mean) {
  check_indices(idx, n, vocab);
  check_offsets(offsets, bags, n);
  int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(dim * std::max<int64_t>(1, n / std::max<int64_t>(bags, 1)), 1));
  parallel_for(bags, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      float* o = out + b * dim;
      for (int64_t d = 0; d < dim; ++d) o[d] = 0;
      int64_t i0 = offsets[b], i1 = bag_end(offsets, b, bags, n);
      for (int64_t i = i0; i < i1; ++i) {
        const float* w = weight + static_cast<int64_t>(idx[i]) * dim;
        float s = per_index ? per_index[i] : 1.0f;
        for (int64_t d = 0; d < dim; ++d) o[d] += s * w[d];
      }
      if (mean && i1 > i0) {
        float inv = 1.0f / static_cast<float>(i1 - i0);
        for (int64_t d = 0; d < dim; ++d) o[d] *= inv;
      }
    }
  });
}

void embedding_bag_backward(float* gweight, float* gper_index, const float* gout,
                            const float* weight, const int32_t* idx, const int32_t* offsets,
                            const float* per_index, int64_t n, int64_t bags, int64_t vocab,
                            int64_t dim, bool mean) {
  check_indices(idx, n, vocab);
  check_offsets(offsets, bags, n);
  if (bags == 0) return;  // no bag holds any index
  // The bag of each index, so threads split by vocabulary can find its gradient row.
  std::vector<int64_t> bag_of(n);
  for (int64_t b = 0; b < bags; ++b)
    for (int64_t i = offsets[b], e = bag_end(offsets, b, bags, n); i < e; ++i) bag_of[i] = b;
  if (gweight) {
    by_vocab_range(vocab, n * dim, [&](int64_t v0, int64_t v1) {
      for (int64_t i = 0; i < n; ++i) {
        int64_t v = idx[i];
        if (v < v0 || v >= v1) continue;
        int64_t b = bag_of[i];
        float s = per_index ? per_index[i] : 1.0f;
        if (mean) s /= static_cast<float>(bag_end(offsets, b, bags, n) - offsets[b]);
        float* gw = gweight + v * dim;
        const float* g = gout + b * dim;
        for (int64_t d = 0; d < dim; ++d) gw[d] += s * g[d];
      }
    });
  }
  if (gper_index) {
    int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(dim, 1));
    parallel_for(n, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        int64_t b = bag_of[i];
        const float* w = weight + static_cast<int64_t>(idx[i]) * dim;
        const float* g = gout + b * dim;
        float acc = 0;
        for (int64_t d = 0; d < dim; ++d) acc += g[d] * w[d];
        if (mean) acc /= static_cast<float>(bag_end(offsets, b, bags, n) - offsets[b]);
        gper_index[i] += acc;
      }
    });
  }
}

}  // namespace tl::cpu
