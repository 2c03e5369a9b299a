// The communicator: collectives between the processes of one data-parallel job. Plain
// C++, no Node types. comm_mpi.cc implements it over MPI when CMake finds MPI; otherwise
// comm_stub.cc is compiled instead, reporting that the build has none, so no caller needs
// an #ifdef. The collectives on CUDA memory likewise: device_nccl.cc over NCCL where CMake
// finds nccl.h (with CUDA and MPI), device_stub.cc otherwise.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tl::dist {

// Whether this build has a communicator; when not, why (and how to get one).
bool available();
std::string unavailable_reason();

// Joins the launcher's world (MPI_Init); a second call is a no-op. finalize() leaves it;
// after it no collective may run again (MPI's rule).
void init();
void finalize();
bool initialized();

int rank();
int world_size();
// This process's place among the ranks on its own machine (MPI's shared-memory split):
// which GPU it takes. 0 and 1 outside a world.
int local_rank();
int local_size();

// In place over every rank's `n` floats: the elementwise sum, or the sum divided by the
// world size.
void all_reduce_f32(float* data, int64_t n, bool mean);
// Rank `root`'s `bytes` bytes copied over every other rank's buffer.
void broadcast_bytes(void* data, int64_t bytes, int root);
// Every rank's bytes, concatenated in rank order; `sizes` receives each rank's count.
std::vector<uint8_t> all_gather_bytes(const uint8_t* data, int64_t bytes, std::vector<int64_t>& sizes);
// Personalised exchange: `data` holds the bytes for rank 0, then for rank 1, ...
// (send_sizes[r] of them for rank r, one entry per rank); returns the bytes every rank sent
// to this one, in rank order, and `recv_sizes` receives how many came from each.
std::vector<uint8_t> all_to_all_bytes(const uint8_t* data, const std::vector<int64_t>& send_sizes, std::vector<int64_t>& recv_sizes);
void barrier();
// Ends every process of the job with `code` (a failed rank must not leave the others
// waiting in a collective).
void abort(int code);

// ---- collectives on CUDA memory ------------------------------------------------------
// Whether this build has them (NCCL); when not, why.
bool device_available();
std::string device_unavailable_reason();
// Joins every rank into one NCCL communicator on the engine's current CUDA device: rank 0
// makes the id, the host communicator broadcasts it. Collective; a second call is a no-op.
void device_init();
bool device_initialized();
// As all_reduce_f32 and broadcast_bytes, on device pointers, queued on the engine's
// stream (later kernels and copies on it see the result; nothing waits here).
void device_all_reduce_f32(float* data, int64_t n, bool mean);
void device_broadcast_bytes(void* data, int64_t bytes, int root);
// Leaves the NCCL communicator (finalize() calls it before leaving MPI).
void device_finalize();

}  // namespace tl::dist
