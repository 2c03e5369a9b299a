// Device management seen from JS: availability, buffers, copies, memory statistics.
// Without CUDA compiled in, the same names exist and report that no device is there.
#include <string>

#include "args.h"
#include "registry.h"

#ifdef TL_WITH_CUDA
#include <mutex>
#include <unordered_set>

#include "../cuda/runtime.h"
#endif

namespace tl::binding {
namespace {

// 'highest' | 'high' | 'medium' -> 0 | 1 | 2 (as torch.set_float32_matmul_precision).
int precision_arg(const Args& a, const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) a.fail("expects 'highest', 'high' or 'medium'");
  std::string s = info[0].As<Napi::String>();
  if (s == "highest") return 0;
  if (s == "high") return 1;
  if (s == "medium") return 2;
  a.fail("unknown precision '" + s + "' (expected 'highest', 'high' or 'medium')");
}

const char* precision_name(int p) { return p == 0 ? "highest" : p == 1 ? "high" : "medium"; }

Napi::Object stats_object(Napi::Env env, uint64_t allocated, uint64_t cached, uint64_t peak, uint64_t reserved,
                          uint64_t allocs, uint64_t hits, uint64_t driver) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("allocatedBytes", static_cast<double>(allocated));
  o.Set("cachedBytes", static_cast<double>(cached));
  o.Set("peakAllocatedBytes", static_cast<double>(peak));
  o.Set("reservedBytes", static_cast<double>(reserved));
  o.Set("allocCount", static_cast<double>(allocs));
  o.Set("cacheHits", static_cast<double>(hits));
  o.Set("driverAllocs", static_cast<double>(driver));
  return o;
}

}  // namespace

#ifndef TL_WITH_CUDA
DeviceBlock* device_block(const Napi::Value&) { return nullptr; }

namespace {
int g_precision = 0;  // remembered so the setting round-trips even without a device

TL_KERNEL_VALUE(cuda_isAvailable) { return Napi::Boolean::New(info.Env(), false); }
TL_KERNEL_VALUE(cuda_unavailableReason) {
  return Napi::String::New(info.Env(), "this build of trunkline has no CUDA support");
}
Napi::Value NoCuda(const Napi::CallbackInfo& info) {
  throw Napi::Error::New(info.Env(), "cuda: this build of trunkline has no CUDA support");
}
TL_KERNEL_VALUE(cuda_memoryStats) { return stats_object(info.Env(), 0, 0, 0, 0, 0, 0, 0); }
TL_KERNEL_VALUE(cuda_deviceCount) { return Napi::Number::New(info.Env(), 0); }
TL_KERNEL_VALUE(cuda_currentDevice) { return Napi::Number::New(info.Env(), 0); }
Napi::Value CudaNoop(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }
TL_KERNEL(cuda_setMatmulPrecision) {
  g_precision = precision_arg(a, info);
}
TL_KERNEL_VALUE(cuda_getMatmulPrecision) {
  return Napi::String::New(info.Env(), precision_name(g_precision));
}
}  // namespace

// Stubs serving several names.
TL_KERNEL_ALIAS(cuda_deviceName, NoCuda);
TL_KERNEL_ALIAS(cuda_selectDevice, NoCuda);
TL_KERNEL_ALIAS(cuda_alloc, NoCuda);
TL_KERNEL_ALIAS(cuda_free, CudaNoop);
TL_KERNEL_ALIAS(cuda_upload, NoCuda);
TL_KERNEL_ALIAS(cuda_download, NoCuda);
TL_KERNEL_ALIAS(cuda_resetPeakMemory, CudaNoop);
TL_KERNEL_ALIAS(cuda_emptyCache, CudaNoop);
TL_KERNEL_ALIAS(cuda_synchronize, CudaNoop);
#else

namespace {

// Every DeviceBlock we made and have not finalized: device_block() only trusts an
// External whose pointer is in this set, so a foreign External can never pass as ours.
struct Blocks {
  std::mutex mu;
  std::unordered_set<DeviceBlock*> live;
};
Blocks& blocks() {
  static Blocks* b = new Blocks();  // leaked: finalizers may run at teardown
  return *b;
}

Napi::Value wrap_block(Napi::Env env, void* ptr, size_t bytes, int dtype) {
  auto* block = new DeviceBlock{ptr, bytes, dtype};
  {
    std::lock_guard<std::mutex> lock(blocks().mu);
    blocks().live.insert(block);
  }
  // Collected without dispose(): the memory goes back to the cache.
  return Napi::External<DeviceBlock>::New(env, block, [](Napi::Env, DeviceBlock* b) {
    {
      std::lock_guard<std::mutex> lock(blocks().mu);
      blocks().live.erase(b);
    }
    if (b->ptr) cuda::device_free(b->ptr);
    delete b;
  });
}

int dtype_arg(const Args& a, const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsString()) a.fail("argument " + std::to_string(i) + " must be 'float32' or 'int32'");
  std::string s = info[i].As<Napi::String>();
  if (s == "float32") return 0;
  if (s == "int32") return 1;
  a.fail("unknown dtype '" + s + "' (expected 'float32' or 'int32')");
}

constexpr int64_t kMaxElements = int64_t(1) << 40;

TL_KERNEL_VALUE(cuda_isAvailable) {
  return Napi::Boolean::New(info.Env(), cuda::is_available());
}

TL_KERNEL_VALUE(cuda_unavailableReason) {
  return Napi::String::New(info.Env(), cuda::unavailable_reason());
}

TL_KERNEL_VALUE(cuda_deviceName) {
  return Napi::String::New(info.Env(), a.guard([] { return cuda::device_name(); }));
}

TL_KERNEL_VALUE(cuda_deviceCount) { return Napi::Number::New(info.Env(), cuda::device_count()); }
TL_KERNEL_VALUE(cuda_currentDevice) { return Napi::Number::New(info.Env(), cuda::current_device()); }

// (index) -> whether the engine uses device `index`: chosen now when no device memory or
// kernel was used yet; otherwise whether it is the one already in use.
TL_KERNEL_VALUE(cuda_selectDevice) {
  a.expect_count(1);
  int index = static_cast<int>(a.integer(0, 0, 1 << 20));
  return Napi::Boolean::New(info.Env(), a.guard([&] { return cuda::select_device(index); }));
}

// Device memory of `bytes`, filled by fill(ptr); freed again when the fill fails.
template <typename Fill>
void* alloc_filled(const Args& a, size_t bytes, Fill fill) {
  return a.guard([&] {
    void* p = cuda::device_alloc(bytes);
    try {
      fill(p);
    } catch (...) {
      cuda::device_free(p);
      throw;
    }
    return p;
  });
}

// (dtype, n, zero)
TL_KERNEL_VALUE(cuda_alloc) {
  a.expect_count(3);
  int dtype = dtype_arg(a, info, 0);
  int64_t n = a.integer(1, 0, kMaxElements);
  bool zero = a.boolean(2);
  size_t bytes = static_cast<size_t>(n) * 4;
  void* ptr = alloc_filled(a, bytes, [&](void* p) {
    if (zero) cuda::memset_zero(p, bytes);
  });
  return wrap_block(info.Env(), ptr, bytes, dtype);
}

// (buf): returns the memory to the cache now; later use of buf is a clear error.
TL_KERNEL(cuda_free) {
  a.expect_count(1);
  DeviceBlock* block = device_block(info[0]);
  if (!block) a.fail("argument 0 must be a device buffer");
  if (block->ptr) cuda::device_free(block->ptr);
  block->ptr = nullptr;
}

// (typedArray) -> device buffer holding a copy
TL_KERNEL_VALUE(cuda_upload) {
  a.expect_count(1);
  if (!info[0].IsTypedArray()) a.fail("argument 0 must be a Float32Array or Int32Array");
  auto ta = info[0].As<Napi::TypedArray>();
  int dtype;
  if (ta.TypedArrayType() == napi_float32_array) dtype = 0;
  else if (ta.TypedArrayType() == napi_int32_array) dtype = 1;
  else a.fail("argument 0 must be a Float32Array or Int32Array");
  size_t bytes = ta.ElementLength() * 4;
  const uint8_t* src = static_cast<const uint8_t*>(ta.ArrayBuffer().Data());
  if (bytes > 0 && !src) a.fail("argument 0 is a detached buffer");
  void* ptr = alloc_filled(a, bytes, [&](void* p) { cuda::copy_to_device(p, src + ta.ByteOffset(), bytes); });
  return wrap_block(info.Env(), ptr, bytes, dtype);
}

// (buf, dtype, n) -> a new typed array with the first n elements
TL_KERNEL_VALUE(cuda_download) {
  a.expect_count(3);
  DeviceBlock* block = device_block(info[0]);
  if (!block) a.fail("argument 0 must be a device buffer");
  if (!block->ptr) a.fail("argument 0 is a freed device buffer");
  int dtype = dtype_arg(a, info, 1);
  if (dtype != block->dtype)
    a.fail(std::string("the buffer holds ") + (block->dtype == 0 ? "float32" : "int32") + ", asked for " +
           (dtype == 0 ? "float32" : "int32"));
  int64_t n = a.integer(2, 0, static_cast<int64_t>(block->bytes / 4));
  size_t bytes = static_cast<size_t>(n) * 4;
  Napi::ArrayBuffer host = Napi::ArrayBuffer::New(info.Env(), bytes);
  a.guard([&] { cuda::copy_to_host(host.Data(), block->ptr, bytes); });
  if (dtype == 0) return Napi::Float32Array::New(info.Env(), n, host, 0);
  return Napi::Int32Array::New(info.Env(), n, host, 0);
}

TL_KERNEL_VALUE(cuda_memoryStats) {
  cuda::MemoryStats s = cuda::memory_stats();
  return stats_object(info.Env(), s.allocated_bytes, s.cached_bytes, s.peak_allocated_bytes, s.reserved_bytes,
                      s.alloc_count, s.cache_hits, s.driver_allocs);
}

TL_KERNEL(cuda_resetPeakMemory) {
  cuda::reset_peak_memory();
}

TL_KERNEL(cuda_emptyCache) {
  cuda::empty_cache();
}

// (timeoutMs?) waits for queued work, polling with a deadline.
TL_KERNEL(cuda_synchronize) {
  double timeout = 0;
  if (info.Length() >= 1 && !info[0].IsUndefined()) timeout = a.number(0);
  if (!cuda::is_available()) return;  // nothing can be queued
  a.guard([&] { cuda::synchronize(timeout); });
}

TL_KERNEL(cuda_setMatmulPrecision) {
  cuda::set_matmul_precision(static_cast<cuda::MatmulPrecision>(precision_arg(a, info)));
}

TL_KERNEL_VALUE(cuda_getMatmulPrecision) {
  return Napi::String::New(info.Env(), precision_name(static_cast<int>(cuda::matmul_precision())));
}

}  // namespace

DeviceBlock* device_block(const Napi::Value& v) {
  if (!v.IsExternal()) return nullptr;
  auto* p = v.As<Napi::External<DeviceBlock>>().Data();
  std::lock_guard<std::mutex> lock(blocks().mu);
  return blocks().live.count(p) ? p : nullptr;
}

#endif

}  // namespace tl::binding
