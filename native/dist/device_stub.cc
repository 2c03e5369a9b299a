// The collectives on CUDA memory of a build without NCCL: they report why, and callers
// copy device tensors through the host communicator instead. (CMake compiles
// device_nccl.cc where it finds nccl.h with CUDA and MPI.)
#include <stdexcept>

#include "comm.h"

namespace tl::dist {
namespace {
[[noreturn]] void none() { throw std::runtime_error(device_unavailable_reason()); }
}  // namespace

bool device_available() { return false; }
std::string device_unavailable_reason() {
#if defined(TL_DIST_NO_CUDA)
  return "this build of trunkline has no CUDA, so no NCCL";
#elif defined(TL_DIST_NO_NCCL_ASKED)
  return "this build of trunkline was configured without NCCL (-DTRUNKLINE_NO_NCCL=ON)";
#elif defined(TL_DIST_NO_MPI)
  return "this build of trunkline has no MPI, which NCCL's start-up uses";
#else
  return "this build of trunkline has no NCCL (CMake did not find nccl.h and libnccl; set NCCL_HOME, or install "
         "NVIDIA's libnccl-dev or the nvidia-nccl-cu12 wheel, and rebuild with `npx cmake-js compile -O build-cmake`)";
#endif
}
void device_init() { none(); }
bool device_initialized() { return false; }
void device_all_reduce_f32(float*, int64_t, bool) { none(); }
void device_broadcast_bytes(void*, int64_t, int) { none(); }
void device_finalize() {}

}  // namespace tl::dist
