// The CUDA engine's shared state: the device, the current stream, the caching device
// allocator and the matmul precision. Plain C++ (no CUDA types) so the Node binding can
// include it. Every failure throws std::runtime_error / std::bad_alloc-like errors with a
// message that says what failed; the binding turns them into JS Errors.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace tl::cuda {

// True when a usable device (compute capability 8.0 or newer, which our kernels target)
// is present. Never throws: a missing driver or device is simply "not available".
bool is_available();
// Why is_available() is false ("" when it is true).
std::string unavailable_reason();
// "NVIDIA H100 80GB HBM3 (sm_90)"; throws when no device is available.
std::string device_name();

// Throws a clear error unless a device is available; selects it on first use.
void ensure_device();

// The number of CUDA devices this process sees (0 without a driver or device).
int device_count();
// The device the engine uses: TRUNKLINE_CUDA_DEVICE (default 0) until select_device()
// picks another. An index that is not a usable device is an error. Fixed at first use
// (ensure_device): select_device() before it sets the index; after it, returns whether
// `index` is the one already in use.
bool select_device(int index);
int current_device();

// The engine's stream (a cudaStream_t, opaque here). Every kernel and copy goes on it.
void* current_stream();

// Waits for all queued work on the current stream, polling with a deadline instead of
// blocking forever. timeout_ms <= 0 uses the default (TRUNKLINE_CUDA_SYNC_TIMEOUT_MS or
// 600000 ms). Throws on timeout or on an error reported by the device.
void synchronize(double timeout_ms = 0);

// ---- caching allocator --------------------------------------------------------------
// Device memory in size classes; freed blocks are cached per class and reused. Returns a
// non-null pointer for bytes == 0 too (the smallest class). Throws with the number of
// bytes asked for when the device is out of memory even after the cache was emptied.
void* device_alloc(size_t bytes);
// Returns a block from device_alloc to the cache. Safe to call during shutdown.
void device_free(void* ptr);
// Releases every cached (unused) block to the driver.
void empty_cache();

struct MemoryStats {
  uint64_t allocated_bytes = 0;  // held by live buffers (in size-class bytes)
  uint64_t cached_bytes = 0;     // freed and kept for reuse
  uint64_t peak_allocated_bytes = 0;
  uint64_t reserved_bytes = 0;   // allocated + cached: what the driver has given us
  uint64_t alloc_count = 0;      // device_alloc calls
  uint64_t cache_hits = 0;       // of those, served from the cache
  uint64_t driver_allocs = 0;    // cudaMalloc calls
};
MemoryStats memory_stats();
void reset_peak_memory();

// Host <-> device copies on the current stream; both wait for completion.
void copy_to_device(void* dst, const void* src, size_t bytes);
void copy_to_host(void* dst, const void* src, size_t bytes);
void memset_zero(void* dst, size_t bytes);

// ---- matmul precision ---------------------------------------------------------------
// As torch.set_float32_matmul_precision: Highest = fp32 SIMT, High = TF32 tensor cores,
// Medium = BF16 operands with fp32 accumulation.
enum class MatmulPrecision : int { Highest = 0, High = 1, Medium = 2 };
void set_matmul_precision(MatmulPrecision p);
MatmulPrecision matmul_precision();

// After a kernel launch: throws "<what>: kernel launch failed: <cuda error>" if the
// launch (or an earlier asynchronous kernel) failed.
void check_launch(const char* what);

// Blocks of 256 threads covering n elements, capped so grid-stride loops finish the rest.
unsigned blocks_for(int64_t n, int threads = 256);

}  // namespace tl::cuda
