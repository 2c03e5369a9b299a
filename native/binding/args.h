// Argument checking for the kernel table. Every binding reads its arguments through
// Args, which throws a JS Error naming the kernel and the argument on any mismatch, so
// no JS value can reach a kernel as a bad pointer or a short buffer.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "device_buffer.h"

namespace tl::binding {

enum class Dtype { F32, I32 };

// A buffer argument: host memory of a typed array, or device memory of a DeviceBuffer.
template <typename T>
struct Buf {
  T* ptr = nullptr;
  int64_t len = 0;  // elements
  bool on_device = false;
};

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* kernel) : info_(info), kernel_(kernel) {}

  Napi::Env env() const { return info_.Env(); }

  [[noreturn]] void fail(const std::string& msg) const {
    throw Napi::Error::New(info_.Env(), std::string(kernel_) + ": " + msg);
  }

  // Runs f, turning a C++ exception from a kernel (a bad index, a CUDA failure) into a
  // JS Error naming the kernel; JS Errors raised while checking pass through unchanged.
  template <typename F>
  auto guard(F f) const -> decltype(f()) {
    try {
      return f();
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::exception& e) {
      fail(e.what());
    }
  }

  void expect_count(size_t n) const {
    if (info_.Length() < n)
      fail("expected " + std::to_string(n) + " arguments, got " + std::to_string(info_.Length()));
  }

  Buf<float> f32(size_t i, int64_t min_len) const { return buf<float>(i, min_len, Dtype::F32, false); }
  Buf<int32_t> i32(size_t i, int64_t min_len) const { return buf<int32_t>(i, min_len, Dtype::I32, false); }
  // null/undefined gives an empty Buf (ptr == nullptr): optional gradients, weights, masks.
  Buf<float> f32_opt(size_t i, int64_t min_len) const { return buf<float>(i, min_len, Dtype::F32, true); }
  Buf<int32_t> i32_opt(size_t i, int64_t min_len) const { return buf<int32_t>(i, min_len, Dtype::I32, true); }

  // A whole number within [lo, hi].
  int64_t integer(size_t i, int64_t lo = 0, int64_t hi = INT64_MAX) const {
    Napi::Value v = arg(i);
    if (!v.IsNumber()) fail("argument " + std::to_string(i) + " must be a number");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!(d == static_cast<double>(static_cast<int64_t>(d))))
      fail("argument " + std::to_string(i) + " must be a whole number, got " + std::to_string(d));
    auto n = static_cast<int64_t>(d);
    if (n < lo || n > hi)
      fail("argument " + std::to_string(i) + " = " + std::to_string(n) + " is out of range [" +
           std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return n;
  }

  double number(size_t i) const {
    Napi::Value v = arg(i);
    if (!v.IsNumber()) fail("argument " + std::to_string(i) + " must be a number");
    return v.As<Napi::Number>().DoubleValue();
  }

  bool boolean(size_t i) const {
    Napi::Value v = arg(i);
    if (!v.IsBoolean()) fail("argument " + std::to_string(i) + " must be a boolean");
    return v.As<Napi::Boolean>().Value();
  }

  // An array of whole numbers (shapes, strides, axes).
  std::vector<int64_t> ints(size_t i, size_t max_len = 64) const {
    Napi::Value v = arg(i);
    if (!v.IsArray()) fail("argument " + std::to_string(i) + " must be an array of integers");
    auto arr = v.As<Napi::Array>();
    if (arr.Length() > max_len)
      fail("argument " + std::to_string(i) + " has " + std::to_string(arr.Length()) +
           " entries, at most " + std::to_string(max_len) + " allowed");
    std::vector<int64_t> out(arr.Length());
    for (uint32_t k = 0; k < arr.Length(); ++k) {
      Napi::Value e = arr.Get(k);
      if (!e.IsNumber()) fail("argument " + std::to_string(i) + "[" + std::to_string(k) + "] is not a number");
      double d = e.As<Napi::Number>().DoubleValue();
      if (!(d == static_cast<double>(static_cast<int64_t>(d))))
        fail("argument " + std::to_string(i) + "[" + std::to_string(k) + "] is not a whole number");
      out[k] = static_cast<int64_t>(d);
    }
    return out;
  }

  // All buffers of one call must live on the same device.
  template <typename... B>
  bool same_device(const B&... bufs) const {
    int device = -1;
    bool ok = true;
    auto check = [&](bool on_device, bool present) {
      if (!present) return;
      int d = on_device ? 1 : 0;
      if (device == -1) device = d;
      else if (device != d) ok = false;
    };
    (check(bufs.on_device, bufs.ptr != nullptr), ...);
    if (!ok) fail("buffers are on different devices (cpu and cuda mixed in one call)");
    return device == 1;
  }

 private:
  Napi::Value arg(size_t i) const {
    if (i >= info_.Length()) fail("missing argument " + std::to_string(i));
    return info_[i];
  }

  template <typename T>
  Buf<T> buf(size_t i, int64_t min_len, Dtype want, bool optional) const {
    Napi::Value v = arg(i);
    Buf<T> out;
    const char* want_name = want == Dtype::F32 ? "float32" : "int32";
    if (optional && (v.IsNull() || v.IsUndefined())) return out;
    if (min_len < 0) fail("negative size for argument " + std::to_string(i));
    if (v.IsTypedArray()) {
      auto ta = v.As<Napi::TypedArray>();
      napi_typedarray_type type = ta.TypedArrayType();
      bool ok = (want == Dtype::F32 && type == napi_float32_array) ||
                (want == Dtype::I32 && type == napi_int32_array);
      if (!ok) fail("argument " + std::to_string(i) + " must be a " + want_name + " buffer");
      out.len = static_cast<int64_t>(ta.ElementLength());
      auto* base = static_cast<uint8_t*>(ta.ArrayBuffer().Data());
      if (out.len > 0 && base == nullptr) fail("argument " + std::to_string(i) + " is a detached buffer");
      out.ptr = reinterpret_cast<T*>(base + ta.ByteOffset());
    } else if (DeviceBlock* block = device_block(v)) {
      if (block->ptr == nullptr) fail("argument " + std::to_string(i) + " is a freed device buffer");
      if ((block->dtype == 0) != (want == Dtype::F32))
        fail("argument " + std::to_string(i) + " must be a " + want_name + " buffer");
      out.len = static_cast<int64_t>(block->bytes / sizeof(T));
      out.ptr = static_cast<T*>(block->ptr);
      out.on_device = true;
    } else {
      fail("argument " + std::to_string(i) + " must be a " + want_name + " buffer");
    }
    if (out.len < min_len)
      fail("argument " + std::to_string(i) + " holds " + std::to_string(out.len) +
           " elements, the kernel needs " + std::to_string(min_len));
    if (out.ptr == nullptr) out.ptr = reinterpret_cast<T*>(&empty_);  // a valid address for n == 0
    return out;
  }

  const Napi::CallbackInfo& info_;
  const char* kernel_;
  static inline double empty_ = 0;
};

// Dense row-major element count of a shape, checked for negative dims and overflow.
int64_t checked_numel(const Args& a, const std::vector<int64_t>& shape);

}  // namespace tl::binding
