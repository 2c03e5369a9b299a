// The communicator: collectives between the processes of one data-parallel job. Plain
// C++, no Node types. comm_mpi.cc implements it over MPI when CMake finds MPI; otherwise
// comm_stub.cc is compiled instead, reporting that the build has none, so no caller needs
// an #ifdef.
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

// In place over every rank's `n` floats: the elementwise sum, or the sum divided by the
// world size.
void all_reduce_f32(float* data, int64_t n, bool mean);
// Rank `root`'s `bytes` bytes copied over every other rank's buffer.
void broadcast_bytes(void* data, int64_t bytes, int root);
// Every rank's bytes, concatenated in rank order; `sizes` receives each rank's count.
std::vector<uint8_t> all_gather_bytes(const uint8_t* data, int64_t bytes, std::vector<int64_t>& sizes);
void barrier();
// Ends every process of the job with `code` (a failed rank must not leave the others
// waiting in a collective).
void abort(int code);

}  // namespace tl::dist
