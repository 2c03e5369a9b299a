// The communicator over MPI (compiled when CMake finds it). Every call runs on the JS
// thread and blocks until the collective completes on all ranks. MPI counts are ints, so
// buffers over 2^31 - 1 elements go in chunks.
#include <mpi.h>

#include <dlfcn.h>

#include <algorithm>
#include <climits>
#include <stdexcept>
#include <string>

#include "comm.h"

namespace tl::dist {
namespace {

bool g_finalized = false;
int g_local_rank = 0, g_local_size = 1;

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  int r = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  throw std::runtime_error(std::string(what) + " failed on rank " + std::to_string(r) + ": " + std::string(msg, len));
}

void require_init(const char* what) {
  if (!initialized()) throw std::runtime_error(std::string(what) + ": the communicator is not initialised (call init first)");
}

constexpr int64_t kChunk = INT_MAX / 2;

}  // namespace

bool available() { return true; }
std::string unavailable_reason() { return ""; }

bool initialized() {
  int flag = 0;
  MPI_Initialized(&flag);
  return flag && !g_finalized;
}

void init() {
  if (initialized()) return;
  if (g_finalized) throw std::runtime_error("init: MPI was finalized in this process and cannot start again");
  // Node loads the addon with RTLD_LOCAL, so libmpi's symbols are invisible to the
  // plugins Open MPI dlopens at MPI_Init; reopening it RTLD_GLOBAL fixes that (as
  // mpi4py does). A failure here is harmless where the plugins are built in.
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&MPI_Init), &info) && info.dli_fname)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
  check(MPI_Init(nullptr, nullptr), "MPI_Init");
  // Errors come back as codes and become JS exceptions naming the rank, instead of
  // MPI's default of aborting the job without a word from us.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm local;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local), "MPI_Comm_split_type");
  MPI_Comm_rank(local, &g_local_rank);
  MPI_Comm_size(local, &g_local_size);
  MPI_Comm_free(&local);
}

void finalize() {
  if (!initialized()) return;
  device_finalize();
  MPI_Finalize();
  g_finalized = true;
}

int rank() {
  if (!initialized()) return 0;
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int world_size() {
  if (!initialized()) return 1;
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

int local_rank() { return initialized() ? g_local_rank : 0; }
int local_size() { return initialized() ? g_local_size : 1; }

void all_reduce_f32(float* data, int64_t n, bool mean) {
  require_init("allReduce");
  for (int64_t off = 0; off < n; off += kChunk) {
    int count = static_cast<int>(std::min(kChunk, n - off));
    check(MPI_Allreduce(MPI_IN_PLACE, data + off, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
  }
  if (mean) {
    const float inv = 1.0f / static_cast<float>(world_size());
    for (int64_t i = 0; i < n; i++) data[i] *= inv;
  }
}

void broadcast_bytes(void* data, int64_t bytes, int root) {
  require_init("broadcast");
  if (root < 0 || root >= world_size())
    throw std::runtime_error("broadcast: root " + std::to_string(root) + " is not a rank (world size " + std::to_string(world_size()) + ")");
  auto* p = static_cast<uint8_t*>(data);
  for (int64_t off = 0; off < bytes; off += kChunk) {
    int count = static_cast<int>(std::min(kChunk, bytes - off));
    check(MPI_Bcast(p + off, count, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
  }
}

std::vector<uint8_t> all_gather_bytes(const uint8_t* data, int64_t bytes, std::vector<int64_t>& sizes) {
  require_init("allGather");
  const int n = world_size();
  if (bytes > INT_MAX) throw std::runtime_error("allGather: " + std::to_string(bytes) + " bytes from one rank is over MPI's 2^31 - 1");
  std::vector<int> counts(n), displs(n);
  int mine = static_cast<int>(bytes);
  check(MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather");
  int64_t total = 0;
  sizes.assign(n, 0);
  for (int r = 0; r < n; r++) {
    if (total > INT_MAX) throw std::runtime_error("allGather: the gathered bytes are over MPI's 2^31 - 1");
    displs[r] = static_cast<int>(total);
    sizes[r] = counts[r];
    total += counts[r];
  }
  if (total > INT_MAX) throw std::runtime_error("allGather: the gathered bytes are over MPI's 2^31 - 1");
  std::vector<uint8_t> out(static_cast<size_t>(std::max<int64_t>(total, 1)));
  check(MPI_Allgatherv(data, mine, MPI_BYTE, out.data(), counts.data(), displs.data(), MPI_BYTE, MPI_COMM_WORLD), "MPI_Allgatherv");
  out.resize(static_cast<size_t>(total));
  return out;
}

std::vector<uint8_t> all_to_all_bytes(const uint8_t* data, const std::vector<int64_t>& send_sizes, std::vector<int64_t>& recv_sizes) {
  require_init("allToAll");
  const int n = world_size();
  if (static_cast<int>(send_sizes.size()) != n)
    throw std::runtime_error("allToAll: " + std::to_string(send_sizes.size()) + " send sizes for " + std::to_string(n) + " ranks");
  // The counts travel as 64-bit integers, so a rank over the limit is named rather than wrapped.
  std::vector<int64_t> theirs(n);
  check(MPI_Alltoall(send_sizes.data(), 1, MPI_INT64_T, theirs.data(), 1, MPI_INT64_T, MPI_COMM_WORLD), "MPI_Alltoall");
  std::vector<int> send_counts(n), send_displs(n), recv_counts(n), recv_displs(n);
  int64_t sent = 0, received = 0;
  for (int r = 0; r < n; r++) {
    if (send_sizes[r] < 0) throw std::runtime_error("allToAll: negative send size for rank " + std::to_string(r));
    send_displs[r] = static_cast<int>(sent);
    recv_displs[r] = static_cast<int>(received);
    send_counts[r] = static_cast<int>(send_sizes[r]);
    recv_counts[r] = static_cast<int>(theirs[r]);
    sent += send_sizes[r];
    received += theirs[r];
    // Every rank checks both directions, so all of them throw together instead of one
    // waiting in MPI_Alltoallv for a rank that gave up.
    if (sent > INT_MAX || received > INT_MAX) break;
  }
  int64_t over = std::max(sent, received), worst = 0;
  check(MPI_Allreduce(&over, &worst, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce");
  if (worst > INT_MAX)
    throw std::runtime_error("allToAll: a rank sends or receives over MPI's 2^31 - 1 bytes in one exchange");
  recv_sizes.assign(theirs.begin(), theirs.end());
  std::vector<uint8_t> out(static_cast<size_t>(std::max<int64_t>(received, 1)));
  const uint8_t none = 0;
  check(MPI_Alltoallv(sent ? data : &none, send_counts.data(), send_displs.data(), MPI_BYTE, out.data(), recv_counts.data(), recv_displs.data(), MPI_BYTE, MPI_COMM_WORLD),
        "MPI_Alltoallv");
  out.resize(static_cast<size_t>(received));
  return out;
}

void barrier() {
  require_init("barrier");
  check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
}

void abort(int code) {
  if (initialized()) MPI_Abort(MPI_COMM_WORLD, code);
}

}  // namespace tl::dist
