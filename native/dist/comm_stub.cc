// The communicator of a build without MPI: it reports why, and every collective fails
// with that reason. (CMake compiles comm_mpi.cc instead when it finds MPI.)
#include <stdexcept>

#include "comm.h"

namespace tl::dist {
namespace {
[[noreturn]] void none() { throw std::runtime_error(unavailable_reason()); }
}  // namespace

bool available() { return false; }
std::string unavailable_reason() {
  return "this build of trunkline has no MPI support (CMake did not find MPI when the addon was built); "
         "install MPI (e.g. apt-get install libopenmpi-dev openmpi-bin) and rebuild with "
         "`npx cmake-js compile -O build-cmake` (node-gyp builds never include MPI)";
}
void init() { none(); }
void finalize() {}
bool initialized() { return false; }
int rank() { return 0; }
int world_size() { return 1; }
int local_rank() { return 0; }
int local_size() { return 1; }
void all_reduce_f32(float*, int64_t, bool) { none(); }
void broadcast_bytes(void*, int64_t, int) { none(); }
std::vector<uint8_t> all_gather_bytes(const uint8_t*, int64_t, std::vector<int64_t>&) { none(); }
std::vector<uint8_t> all_to_all_bytes(const uint8_t*, const std::vector<int64_t>&, std::vector<int64_t>&) { none(); }
void barrier() { none(); }
void abort(int) {}

}  // namespace tl::dist
