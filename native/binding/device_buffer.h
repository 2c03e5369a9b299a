// How a device (CUDA) allocation is seen from JS: an External wrapping a DeviceBlock.
// Defined here so the argument checker can recognise one without knowing about CUDA.
#pragma once
#include <napi.h>

#include <cstddef>

namespace tl::binding {

struct DeviceBlock {
  void* ptr = nullptr;
  size_t bytes = 0;
  int dtype = 0;  // 0 float32, 1 int32
};

// The DeviceBlock behind a JS value, or nullptr when the value is not a device buffer.
DeviceBlock* device_block(const Napi::Value& v);

}  // namespace tl::binding
