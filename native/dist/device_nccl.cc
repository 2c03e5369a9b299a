// The collectives on CUDA memory over NCCL (compiled where CMake finds nccl.h, CUDA and
// MPI). One communicator per process, made on first use on the engine's CUDA device;
// every call is queued on the engine's stream, so it is ordered after the kernels that
// wrote its input and before those that read its output, without a host wait.
#include <nccl.h>

#include <stdexcept>
#include <string>

#include "../cuda/runtime.h"
#include "comm.h"

#if NCCL_VERSION_CODE < NCCL_VERSION(2, 10, 0)
#error "trunkline's NCCL collectives need NCCL 2.10 or newer (ncclAvg)"
#endif

namespace tl::dist {
namespace {

ncclComm_t g_comm = nullptr;

void check(ncclResult_t rc, const char* what) {
  if (rc == ncclSuccess) return;
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 13, 0)
  std::string detail = ncclGetLastError(g_comm);
#else
  std::string detail;
#endif
  throw std::runtime_error(std::string(what) + " failed on rank " + std::to_string(rank()) + ": " +
                           ncclGetErrorString(rc) + (detail.empty() ? "" : " (" + detail + ")"));
}

cudaStream_t stream() { return static_cast<cudaStream_t>(tl::cuda::current_stream()); }

void require_comm(const char* what) {
  if (!g_comm) throw std::runtime_error(std::string(what) + ": the NCCL communicator is not initialised (call deviceInit first)");
}

}  // namespace

bool device_available() { return true; }
std::string device_unavailable_reason() { return ""; }

void device_init() {
  if (g_comm) return;
  if (!initialized()) throw std::runtime_error("deviceInit: the MPI communicator is not initialised (call init first)");
  tl::cuda::ensure_device();
  ncclUniqueId id{};
  if (rank() == 0) check(ncclGetUniqueId(&id), "ncclGetUniqueId");
  broadcast_bytes(&id, sizeof id, 0);
  ncclComm_t comm = nullptr;
  check(ncclCommInitRank(&comm, world_size(), id, rank()), "ncclCommInitRank");
  g_comm = comm;
}

bool device_initialized() { return g_comm != nullptr; }

void device_all_reduce_f32(float* data, int64_t n, bool mean) {
  require_comm("deviceAllReduce");
  if (n <= 0) return;
  check(ncclAllReduce(data, data, static_cast<size_t>(n), ncclFloat32, mean ? ncclAvg : ncclSum, g_comm, stream()),
        "ncclAllReduce");
}

void device_broadcast_bytes(void* data, int64_t bytes, int root) {
  require_comm("deviceBroadcast");
  if (root < 0 || root >= world_size())
    throw std::runtime_error("deviceBroadcast: root " + std::to_string(root) + " is not a rank (world size " +
                             std::to_string(world_size()) + ")");
  if (bytes <= 0) return;
  check(ncclBroadcast(data, data, static_cast<size_t>(bytes), ncclUint8, root, g_comm, stream()), "ncclBroadcast");
}

void device_finalize() {
  if (!g_comm) return;
  // Queued collectives finish first; a failure here must not stop MPI from finalizing.
  try {
    tl::cuda::synchronize();
  } catch (...) {
  }
  ncclCommDestroy(g_comm);
  g_comm = nullptr;
}

}  // namespace tl::dist
