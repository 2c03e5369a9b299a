#include <climits>

#include "checks.h"
#include "launch.cuh"

namespace tl::cuda {
namespace {

__global__ void find_bad_kernel(unsigned long long* first, const int32_t* idx, int64_t n, int64_t lo,
                                int64_t hi, int64_t allowed) {
  TL_GRID_STRIDE(i, n) {
    int64_t v = idx[i];
    if ((v < lo || v >= hi) && v != allowed) atomicMin(first, static_cast<unsigned long long>(i));
  }
}

}  // namespace

int64_t find_bad_index(const int32_t* idx, int64_t n, int64_t lo, int64_t hi, int64_t allowed,
                       int32_t* bad_value) {
  if (n <= 0) return -1;
  auto* first = static_cast<unsigned long long*>(device_alloc(sizeof(unsigned long long)));
  unsigned long long pos = ULLONG_MAX;
  try {
    copy_to_device(first, &pos, sizeof pos);
    find_bad_kernel<<<blocks_for(n), 256, 0, stream()>>>(first, idx, n, lo, hi, allowed);
    check_launch("index check");
    copy_to_host(&pos, first, sizeof pos);
    if (pos != ULLONG_MAX && bad_value) copy_to_host(bad_value, idx + pos, sizeof(int32_t));
  } catch (...) {
    device_free(first);
    throw;
  }
  device_free(first);
  return pos == ULLONG_MAX ? -1 : static_cast<int64_t>(pos);
}

}  // namespace tl::cuda
