// The communicator seen from JS (native/dist/comm.h): present in every build; without
// MPI, dist_isAvailable() is false and the collectives throw the reason.
#include <cstring>
#include <string>

#include "../dist/comm.h"
#include "args.h"
#include "device_buffer.h"
#include "registry.h"

namespace tl::binding {
namespace {

// The host bytes behind a typed array (any element type): broadcast and allGather move
// raw bytes.
struct Bytes {
  uint8_t* ptr;
  int64_t len;
};
Bytes bytes_arg(const Args& a, const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsTypedArray()) a.fail("argument " + std::to_string(i) + " must be a typed array");
  auto t = info[i].As<Napi::TypedArray>();
  auto* base = static_cast<uint8_t*>(t.ArrayBuffer().Data());
  return {base + t.ByteOffset(), static_cast<int64_t>(t.ByteLength())};
}

// { data: Uint8Array, sizes: number[] }: bytes from every rank end to end, and how many
// came from each (what allGather and allToAll return).
Napi::Object bytes_by_rank(Napi::Env env, const std::vector<uint8_t>& bytes, const std::vector<int64_t>& sizes) {
  auto data = Napi::Uint8Array::New(env, bytes.size());
  if (!bytes.empty()) std::memcpy(data.Data(), bytes.data(), bytes.size());
  auto list = Napi::Array::New(env, sizes.size());
  for (size_t r = 0; r < sizes.size(); r++) list.Set(static_cast<uint32_t>(r), static_cast<double>(sizes[r]));
  Napi::Object result = Napi::Object::New(env);
  result.Set("data", data);
  result.Set("sizes", list);
  return result;
}

TL_KERNEL_VALUE(dist_isAvailable) { return Napi::Boolean::New(info.Env(), dist::available()); }
TL_KERNEL_VALUE(dist_unavailableReason) {
  return Napi::String::New(info.Env(), dist::unavailable_reason());
}
TL_KERNEL(dist_init) {
  a.guard([] { dist::init(); });
}
TL_KERNEL(dist_finalize) {
  a.guard([] { dist::finalize(); });
}
TL_KERNEL_VALUE(dist_initialized) { return Napi::Boolean::New(info.Env(), dist::initialized()); }
TL_KERNEL_VALUE(dist_rank) { return Napi::Number::New(info.Env(), dist::rank()); }
TL_KERNEL_VALUE(dist_worldSize) { return Napi::Number::New(info.Env(), dist::world_size()); }
TL_KERNEL_VALUE(dist_localRank) { return Napi::Number::New(info.Env(), dist::local_rank()); }
TL_KERNEL_VALUE(dist_localSize) { return Napi::Number::New(info.Env(), dist::local_size()); }

// (buf: Float32Array, n, mean: boolean): buf[0..n) reduced in place on every rank.
TL_KERNEL(dist_allReduce) {
  a.expect_count(3);
  int64_t n = a.integer(1);
  Buf<float> buf = a.f32(0, n);
  if (buf.on_device) a.fail("expects a host Float32Array (copy device tensors to the host first)");
  bool mean = a.boolean(2);
  a.guard([&] { dist::all_reduce_f32(buf.ptr, n, mean); });
}

// (buf: any typed array, root): root's bytes over every rank's.
TL_KERNEL(dist_broadcast) {
  a.expect_count(2);
  Bytes b = bytes_arg(a, info, 0);
  int root = static_cast<int>(a.integer(1, 0, 1 << 30));
  a.guard([&] { dist::broadcast_bytes(b.ptr, b.len, root); });
}

// (buf: any typed array) -> { data: Uint8Array, sizes: number[] }: every rank's bytes in
// rank order, and how many came from each.
TL_KERNEL_VALUE(dist_allGather) {
  a.expect_count(1);
  Bytes b = bytes_arg(a, info, 0);
  std::vector<int64_t> sizes;
  std::vector<uint8_t> out = a.guard([&] { return dist::all_gather_bytes(b.ptr, b.len, sizes); });
  return bytes_by_rank(info.Env(), out, sizes);
}

// (buf: any typed array, sendSizes: number[]) -> { data: Uint8Array, sizes: number[] }:
// buf holds sendSizes[r] bytes for each rank r in turn; returns the bytes each rank sent
// here, in rank order, and how many came from each.
TL_KERNEL_VALUE(dist_allToAll) {
  a.expect_count(2);
  Bytes b = bytes_arg(a, info, 0);
  std::vector<int64_t> send_sizes = a.ints(1, 1 << 24);
  int64_t total = 0;
  for (int64_t s : send_sizes) {
    if (s < 0) a.fail("argument 1 holds a negative size");
    total += s;
  }
  if (total != b.len) a.fail("argument 1 sends " + std::to_string(total) + " bytes in all but the buffer holds " + std::to_string(b.len));
  std::vector<int64_t> sizes;
  std::vector<uint8_t> out = a.guard([&] { return dist::all_to_all_bytes(b.ptr, send_sizes, sizes); });
  return bytes_by_rank(info.Env(), out, sizes);
}

TL_KERNEL(dist_barrier) {
  a.guard([] { dist::barrier(); });
}

// ---- collectives on CUDA memory (NCCL) ------------------------------------------------
TL_KERNEL_VALUE(dist_deviceIsAvailable) { return Napi::Boolean::New(info.Env(), dist::device_available()); }
TL_KERNEL_VALUE(dist_deviceUnavailableReason) {
  return Napi::String::New(info.Env(), dist::device_unavailable_reason());
}
TL_KERNEL(dist_deviceInit) {
  a.guard([] { dist::device_init(); });
}

// (buf: device float32 buffer, n, mean: boolean): buf[0..n) reduced in place on every rank.
TL_KERNEL(dist_deviceAllReduce) {
  a.expect_count(3);
  int64_t n = a.integer(1);
  Buf<float> buf = a.f32(0, n);
  if (!buf.on_device) a.fail("expects a device buffer (host arrays go through dist_allReduce)");
  bool mean = a.boolean(2);
  a.guard([&] { dist::device_all_reduce_f32(buf.ptr, n, mean); });
}

// (buf: device buffer of any dtype, bytes, root): root's first `bytes` bytes over every rank's.
TL_KERNEL(dist_deviceBroadcast) {
  a.expect_count(3);
  DeviceBlock* block = device_block(info[0]);
  if (!block) a.fail("argument 0 must be a device buffer");
  if (!block->ptr) a.fail("argument 0 is a freed device buffer");
  int64_t bytes = a.integer(1, 0, static_cast<int64_t>(block->bytes));
  int root = static_cast<int>(a.integer(2, 0, 1 << 30));
  a.guard([&] { dist::device_broadcast_bytes(block->ptr, bytes, root); });
}

TL_KERNEL(dist_abort) {
  int code = info.Length() > 0 ? static_cast<int>(a.integer(0, 0, 255)) : 1;
  dist::abort(code);
}

}  // namespace
}  // namespace tl::binding
