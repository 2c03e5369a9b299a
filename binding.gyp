{
  "variables": {
    "core_sources": ["<!@(node -e \"for (const f of require('fs').readdirSync('native/core')) if (f.endsWith('.cc')) console.log('native/core/' + f)\")"],
    "cpu_sources": ["<!@(node -e \"for (const f of require('fs').readdirSync('native/cpu')) if (/(?<!_avx2|_avx512)\\.cc$/.test(f)) console.log('native/cpu/' + f)\")"],
    "avx2_sources": ["<!@(node -e \"for (const f of require('fs').readdirSync('native/cpu')) if (f.endsWith('_avx2.cc')) console.log('native/cpu/' + f)\")"],
    "avx512_sources": ["<!@(node -e \"for (const f of require('fs').readdirSync('native/cpu')) if (f.endsWith('_avx512.cc')) console.log('native/cpu/' + f)\")"],
    "binding_sources": ["<!@(node -e \"for (const f of require('fs').readdirSync('native/binding')) if (f.endsWith('.cc')) console.log('native/binding/' + f)\")"]
  },
  "target_defaults": {
    "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fno-trapping-math", "-fexceptions", "-Wno-psabi"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17" }
  },
  "targets": [
    {
      "target_name": "trunkline_simd",
      "type": "static_library",
      "conditions": [
        ["target_arch=='x64'", {
          "sources": ["<@(avx2_sources)"],
          "cflags_cc": ["-mavx2", "-mfma", "-mf16c"],
          "dependencies": ["trunkline_avx512"]
        }]
      ]
    },
    {
      "target_name": "trunkline_avx512",
      "type": "static_library",
      "conditions": [
        ["target_arch=='x64'", {
          "sources": ["<@(avx512_sources)"],
          "cflags_cc": ["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma", "-mf16c"]
        }]
      ]
    },
    {
      "target_name": "trunkline",
      # MPI and NCCL are cmake-js-only options: node-gyp always compiles the communicator's
      # stubs, so tl.distributed reports that this build has no MPI.
      "sources": ["<@(core_sources)", "<@(cpu_sources)", "<@(binding_sources)", "native/dist/comm_stub.cc", "native/dist/device_stub.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "TL_DIST_NO_MPI"],
      "dependencies": ["trunkline_simd"],
      "conditions": [
        ["target_arch=='x64'", { "dependencies": ["trunkline_avx512"] }]
      ]
    }
  ]
}
