// Device, stream, caching allocator, polling synchronisation and matmul precision.
#include <cuda_runtime.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime.h"

namespace tl::cuda {
namespace {

std::string err_str(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + " (" + cudaGetErrorString(e) + ")";
}

[[noreturn]] void fail(const std::string& what, cudaError_t e) {
  throw std::runtime_error("cuda: " + what + " failed: " + err_str(e));
}

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) fail(what, e);
}

std::string format_bytes(uint64_t b) {
  char buf[64];
  if (b >= (1ull << 30)) snprintf(buf, sizeof buf, "%.2f GiB", b / double(1ull << 30));
  else if (b >= (1ull << 20)) snprintf(buf, sizeof buf, "%.2f MiB", b / double(1ull << 20));
  else snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(b));
  return buf;
}

// ---- device probing ------------------------------------------------------------------

struct Probe {
  bool ok = false;
  std::string reason;
  std::string name;
};

// Device `index`, or why it cannot be used. A missing driver, no such device, or a card
// older than sm_80 all mean "no device".
Probe probe_device(int index) {
  Probe r;
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    r.reason = "cudaGetDeviceCount: " + err_str(e);
    return r;
  }
  if (count == 0) {
    r.reason = "no CUDA device found";
    return r;
  }
  if (index < 0 || index >= count) {
    const char* env = std::getenv("TRUNKLINE_CUDA_DEVICE");
    r.reason = index < 0 ? "TRUNKLINE_CUDA_DEVICE=" + std::string(env ? env : "") + " is not a device index"
                         : "device " + std::to_string(index) + " does not exist (this process sees " + std::to_string(count) +
               " device" + (count == 1 ? "" : "s") + ")";
    return r;
  }
  cudaDeviceProp prop{};
  e = cudaGetDeviceProperties(&prop, index);
  if (e != cudaSuccess) {
    cudaGetLastError();
    r.reason = "cudaGetDeviceProperties: " + err_str(e);
    return r;
  }
  r.name = std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ")";
  if (prop.major < 8) {
    r.reason = r.name + " is older than sm_80, which trunkline's CUDA kernels need";
    return r;
  }
  r.ok = true;
  return r;
}

// TRUNKLINE_CUDA_DEVICE, else 0: the device until select_device() picks another. A value
// that is not a whole number reads as -1, which the probe reports as no such device.
int g_device = [] {
  const char* env = std::getenv("TRUNKLINE_CUDA_DEVICE");
  if (!env || !*env) return 0;
  char* end = nullptr;
  long v = std::strtol(env, &end, 10);
  return *end == '\0' && v >= 0 && v < (1 << 20) ? static_cast<int>(v) : -1;
}();
bool g_device_in_use = false;
std::mutex g_device_mu;

// The chosen device, probed when first asked and again after select_device().
const Probe& probe() {
  static Probe p;
  static int probed = -1;
  std::lock_guard<std::mutex> lock(g_device_mu);
  if (probed != g_device) {
    p = probe_device(g_device);
    probed = g_device;
  }
  return p;
}

struct State {
  cudaStream_t stream = nullptr;
  cudaEvent_t done = nullptr;
  MatmulPrecision precision = MatmulPrecision::Highest;
};

// Leaked on purpose: finalizers of device buffers may run during process teardown.
State& state() {
  static State* s = new State();
  return *s;
}

std::once_flag g_init_once;

// ---- caching allocator ---------------------------------------------------------------

// Small blocks in 512-byte steps; larger ones in eighths of an octave (<= 12.5% waste).
size_t size_class(size_t bytes) {
  if (bytes <= 512) return 512;
  if (bytes <= (1u << 20)) return (bytes + 511) / 512 * 512;
  size_t octave = size_t(1) << (63 - __builtin_clzll(static_cast<unsigned long long>(bytes)));
  size_t step = octave / 8;
  return (bytes + step - 1) / step * step;
}

struct Allocator {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free_lists;  // class -> cached blocks
  std::unordered_map<void*, size_t> live;                     // block -> class
  MemoryStats stats;

  void release_cached_locked() {
    for (auto& [cls, list] : free_lists)
      for (void* p : list) cudaFree(p);
    free_lists.clear();
    stats.reserved_bytes -= stats.cached_bytes;
    stats.cached_bytes = 0;
  }
};

Allocator& allocator() {
  static Allocator* a = new Allocator();
  return *a;
}

}  // namespace

bool is_available() { return probe().ok; }
std::string unavailable_reason() { return probe().ok ? "" : probe().reason; }

void ensure_device() {
  const Probe& p = probe();
  if (!p.ok) throw std::runtime_error("cuda: no usable device (" + p.reason + ")");
  std::call_once(g_init_once, [] {
    State& s = state();
    {
      std::lock_guard<std::mutex> lock(g_device_mu);
      g_device_in_use = true;
    }
    check(cudaSetDevice(g_device), "cudaSetDevice");
    check(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cudaEventCreateWithFlags(&s.done, cudaEventDisableTiming), "cudaEventCreate");
  });
}

int device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

bool select_device(int index) {
  Probe p = probe_device(index);
  if (!p.ok) throw std::runtime_error("cuda: cannot use device " + std::to_string(index) + ": " + p.reason);
  std::lock_guard<std::mutex> lock(g_device_mu);
  if (g_device_in_use) return index == g_device;
  g_device = index;
  return true;
}

int current_device() {
  std::lock_guard<std::mutex> lock(g_device_mu);
  return g_device;
}

std::string device_name() {
  const Probe& p = probe();
  if (!p.ok) throw std::runtime_error("cuda: no usable device (" + p.reason + ")");
  return p.name;
}

void* current_stream() {
  ensure_device();
  return state().stream;
}

void synchronize(double timeout_ms) {
  ensure_device();
  if (timeout_ms <= 0) {
    timeout_ms = 600000;
    if (const char* env = std::getenv("TRUNKLINE_CUDA_SYNC_TIMEOUT_MS")) {
      double v = std::atof(env);
      if (v > 0) timeout_ms = v;
    }
  }
  State& s = state();
  check(cudaEventRecord(s.done, s.stream), "cudaEventRecord");
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  auto deadline = start + std::chrono::microseconds(static_cast<int64_t>(timeout_ms * 1000));
  int spins = 0;
  auto nap = std::chrono::microseconds(20);
  for (;;) {
    cudaError_t e = cudaEventQuery(s.done);
    if (e == cudaSuccess) return;
    if (e != cudaErrorNotReady) fail("a kernel or copy on the stream", e);
    if (clock::now() > deadline)
      throw std::runtime_error("cuda: synchronize timed out after " + std::to_string(static_cast<int64_t>(timeout_ms)) +
                               " ms: a kernel is still running (raise TRUNKLINE_CUDA_SYNC_TIMEOUT_MS if it is just slow)");
    // Spin briefly for short kernels, then back off to sleeping so a long one costs no CPU.
    if (++spins < 200) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(nap);
      if (nap < std::chrono::microseconds(1000)) nap *= 2;
    }
  }
}

void* device_alloc(size_t bytes) {
  ensure_device();
  Allocator& a = allocator();
  size_t cls = size_class(bytes);
  std::lock_guard<std::mutex> lock(a.mu);
  a.stats.alloc_count++;
  void* ptr = nullptr;
  auto it = a.free_lists.find(cls);
  if (it != a.free_lists.end() && !it->second.empty()) {
    // Reuse is safe without a sync: all work is ordered on the one stream.
    ptr = it->second.back();
    it->second.pop_back();
    a.stats.cached_bytes -= cls;
    a.stats.cache_hits++;
  } else {
    cudaError_t e = cudaMalloc(&ptr, cls);
    if (e == cudaErrorMemoryAllocation && !a.free_lists.empty()) {
      cudaGetLastError();
      a.release_cached_locked();  // give the cache back and try once more
      e = cudaMalloc(&ptr, cls);
    }
    if (e != cudaSuccess) {
      cudaGetLastError();
      size_t free_b = 0, total_b = 0;
      cudaMemGetInfo(&free_b, &total_b);
      std::string msg = e == cudaErrorMemoryAllocation ? "cuda: out of memory" : "cuda: cudaMalloc failed (" + err_str(e) + ")";
      throw std::runtime_error(msg + " allocating " + std::to_string(bytes) + " bytes (" + format_bytes(bytes) +
                               "); trunkline holds " + format_bytes(a.stats.allocated_bytes) + " in live buffers, the device has " +
                               format_bytes(free_b) + " free of " + format_bytes(total_b));
    }
    a.stats.driver_allocs++;
    a.stats.reserved_bytes += cls;
  }
  a.live[ptr] = cls;
  a.stats.allocated_bytes += cls;
  if (a.stats.allocated_bytes > a.stats.peak_allocated_bytes) a.stats.peak_allocated_bytes = a.stats.allocated_bytes;
  return ptr;
}

void device_free(void* ptr) {
  if (!ptr) return;
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  auto it = a.live.find(ptr);
  if (it == a.live.end()) return;  // not ours, or freed twice: nothing to do
  size_t cls = it->second;
  a.live.erase(it);
  a.stats.allocated_bytes -= cls;
  a.free_lists[cls].push_back(ptr);
  a.stats.cached_bytes += cls;
}

void empty_cache() {
  if (!is_available()) return;
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  a.release_cached_locked();
}

MemoryStats memory_stats() {
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  return a.stats;
}

void reset_peak_memory() {
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  a.stats.peak_allocated_bytes = a.stats.allocated_bytes;
}

void copy_to_device(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  ensure_device();
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, state().stream), "host-to-device copy");
  synchronize();  // the source is pageable JS memory: wait before JS may touch it again
}

void copy_to_host(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  ensure_device();
  synchronize();  // a pageable copy blocks the host: first wait (with a deadline) for the kernels
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, state().stream), "device-to-host copy");
  synchronize();
}

void memset_zero(void* dst, size_t bytes) {
  if (bytes == 0) return;
  ensure_device();
  check(cudaMemsetAsync(dst, 0, bytes, state().stream), "cudaMemsetAsync");
}

void set_matmul_precision(MatmulPrecision p) { state().precision = p; }
MatmulPrecision matmul_precision() { return state().precision; }

void check_launch(const char* what) {
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": kernel launch failed: " + err_str(e));
}

unsigned blocks_for(int64_t n, int threads) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  if (b > 65535LL * 16) b = 65535LL * 16;  // grid-stride loops cover the rest
  return static_cast<unsigned>(b);
}

}  // namespace tl::cuda
