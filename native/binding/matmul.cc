// Matrix products: gemm (with element offsets, for views into larger buffers), the
// matmul and linear kernel pairs, and the FMA peak probe the benchmarks divide by.
#include "../cpu/matmul.h"
#include "../cpu/peak.h"

#include "args.h"
#include "registry.h"
#ifdef TL_WITH_CUDA
#include "../cuda/matmul.h"
#endif

namespace tl::binding {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 31;

// Elements a rows x cols matrix with row stride ld needs past its offset.
int64_t extent(const Args& a, int64_t rows, int64_t cols, int64_t ld, const char* what) {
  if (ld < cols) a.fail(std::string(what) + ": leading dimension " + std::to_string(ld) + " is less than " + std::to_string(cols) + " columns");
  if (rows == 0 || cols == 0) return 0;
  return (rows - 1) * ld + cols;
}

int64_t product(const Args& a, int64_t x, int64_t y) {
  if (x != 0 && y > INT64_MAX / x) a.fail("sizes are too large");
  return x * y;
}

// (ta, tb, m, n, k, alpha, a, offA, lda, b, offB, ldb, beta, c, offC, ldc)
TL_KERNEL(gemm) {
  a.expect_count(16);
  bool ta = a.boolean(0), tb = a.boolean(1);
  int64_t m = a.integer(2, 0, kMaxDim), n = a.integer(3, 0, kMaxDim), k = a.integer(4, 0, kMaxDim);
  float alpha = static_cast<float>(a.number(5));
  int64_t oa = a.integer(7), lda = a.integer(8, 0, kMaxDim);
  int64_t ob = a.integer(10), ldb = a.integer(11, 0, kMaxDim);
  float beta = static_cast<float>(a.number(12));
  int64_t oc = a.integer(14), ldc = a.integer(15, 0, kMaxDim);
  int64_t ea = extent(a, ta ? k : m, ta ? m : k, lda, "a");
  int64_t eb = extent(a, tb ? n : k, tb ? k : n, ldb, "b");
  int64_t ec = extent(a, m, n, ldc, "c");
  auto A = a.f32(6, ea ? oa + ea : 0);
  auto B = a.f32(9, eb ? ob + eb : 0);
  auto C = a.f32(13, ec ? oc + ec : 0);
  if (m == 0 || n == 0) return;
  if (a.same_device(A, B, C))
    TL_ON_DEVICE(a, gemm(ta, tb, m, n, k, alpha, A.ptr + oa, lda, B.ptr + ob, ldb, beta, C.ptr + oc, ldc));
  else
    cpu::gemm(ta, tb, m, n, k, alpha, A.ptr + oa, lda, B.ptr + ob, ldb, beta, C.ptr + oc, ldc);
}

struct BatchDims {
  int64_t batch, m, n, k, sa, sb;
};

// (batch, m, n, k, sa, sb) at argument i; a batch stride is 0 (broadcast) or dense.
BatchDims batch_dims(const Args& a, size_t i) {
  BatchDims d;
  d.batch = a.integer(i, 0, kMaxDim);
  d.m = a.integer(i + 1, 0, kMaxDim);
  d.n = a.integer(i + 2, 0, kMaxDim);
  d.k = a.integer(i + 3, 0, kMaxDim);
  d.sa = a.integer(i + 4);
  d.sb = a.integer(i + 5);
  if (d.sa != 0 && d.sa != product(a, d.m, d.k)) a.fail("stride_a must be 0 or m*k");
  if (d.sb != 0 && d.sb != product(a, d.k, d.n)) a.fail("stride_b must be 0 or k*n");
  return d;
}

int64_t operand_len(const Args& a, const BatchDims& d, int64_t stride, int64_t rows, int64_t cols) {
  return stride == 0 ? product(a, rows, cols) : product(a, d.batch, stride);
}

// (out, a, b, batch, m, n, k, sa, sb)
TL_KERNEL(matmul_forward) {
  a.expect_count(9);
  BatchDims d = batch_dims(a, 3);
  auto out = a.f32(0, product(a, d.batch, product(a, d.m, d.n)));
  auto A = a.f32(1, operand_len(a, d, d.sa, d.m, d.k));
  auto B = a.f32(2, operand_len(a, d, d.sb, d.k, d.n));
  TL_DISPATCH(a.same_device(out, A, B), matmul_forward(out.ptr, A.ptr, B.ptr, d.batch, d.m, d.n, d.k, d.sa, d.sb));
}

// (ga, gb, g, a, b, batch, m, n, k, sa, sb); ga / gb may be null.
TL_KERNEL(matmul_backward) {
  a.expect_count(11);
  BatchDims d = batch_dims(a, 5);
  int64_t la = operand_len(a, d, d.sa, d.m, d.k), lb = operand_len(a, d, d.sb, d.k, d.n);
  auto ga = a.f32_opt(0, la);
  auto gb = a.f32_opt(1, lb);
  auto g = a.f32(2, product(a, d.batch, product(a, d.m, d.n)));
  auto A = a.f32(3, la);
  auto B = a.f32(4, lb);
  if (a.same_device(ga, gb, g, A, B))
    TL_ON_DEVICE(a, matmul_backward(ga.ptr, gb.ptr, g.ptr, A.ptr, B.ptr, d.batch, d.m, d.n, d.k, d.sa, d.sb));
  else
    cpu::matmul_backward(ga.ptr, gb.ptr, g.ptr, A.ptr, B.ptr, d.batch, d.m, d.n, d.k, d.sa, d.sb);
}

// (out, x, w, bias|null, m, n, k, act)
TL_KERNEL(linear_forward) {
  a.expect_count(8);
  int64_t m = a.integer(4, 0, kMaxDim), n = a.integer(5, 0, kMaxDim), k = a.integer(6, 0, kMaxDim);
  int act = static_cast<int>(a.integer(7, 0, 1));
  auto out = a.f32(0, product(a, m, n));
  auto x = a.f32(1, product(a, m, k));
  auto w = a.f32(2, product(a, n, k));
  auto bias = a.f32_opt(3, n);
  TL_DISPATCH(a.same_device(out, x, w, bias), linear_forward(out.ptr, x.ptr, w.ptr, bias.ptr, m, n, k, act));
}

// (gx|null, gw|null, gb|null, g, x, w, m, n, k)
TL_KERNEL(linear_backward) {
  a.expect_count(9);
  int64_t m = a.integer(6, 0, kMaxDim), n = a.integer(7, 0, kMaxDim), k = a.integer(8, 0, kMaxDim);
  auto gx = a.f32_opt(0, product(a, m, k));
  auto gw = a.f32_opt(1, product(a, n, k));
  auto gb = a.f32_opt(2, n);
  auto g = a.f32(3, product(a, m, n));
  auto x = a.f32(4, product(a, m, k));
  auto w = a.f32(5, product(a, n, k));
  if (a.same_device(gx, gw, gb, g, x, w))
    TL_ON_DEVICE(a, linear_backward(gx.ptr, gw.ptr, gb.ptr, g.ptr, x.ptr, w.ptr, m, n, k));
  else
    cpu::linear_backward(gx.ptr, gw.ptr, gb.ptr, g.ptr, x.ptr, w.ptr, m, n, k);
}

// (seconds, threads, accumulators) -> GFLOP/s
TL_KERNEL_VALUE(fma_peak) {
  a.expect_count(3);
  double seconds = a.number(0);
  if (!(seconds > 0 && seconds <= 10)) a.fail("seconds must be in (0, 10]");
  int threads = static_cast<int>(a.integer(1, 1, 1024));
  int acc = static_cast<int>(a.integer(2, 1, 64));
  return Napi::Number::New(info.Env(), cpu::fma_peak(seconds, threads, acc));
}

// (megabytes, threads, repeats) -> GB/s read + written
TL_KERNEL_VALUE(memory_bandwidth) {
  a.expect_count(3);
  double megabytes = a.number(0);
  if (!(megabytes >= 1 && megabytes <= 4096)) a.fail("megabytes must be in [1, 4096]");
  int threads = static_cast<int>(a.integer(1, 1, 1024));
  int repeats = static_cast<int>(a.integer(2, 1, 1000));
  return Napi::Number::New(info.Env(), cpu::memory_bandwidth(megabytes, threads, repeats));
}

TL_KERNEL_VALUE(gemm_kernel_name) {
  return Napi::String::New(info.Env(), cpu::gemm_kernel_name());
}

// (m, n): the kernel an m x n product runs on.
TL_KERNEL_VALUE(gemm_kernel_for) {
  a.expect_count(2);
  return Napi::String::New(info.Env(), cpu::gemm_kernel_for(a.integer(0, 1, kMaxDim), a.integer(1, 1, kMaxDim)));
}

// Names of the gemm kernels this CPU can run.
TL_KERNEL_VALUE(gemm_kernels) {
  Napi::Array out = Napi::Array::New(info.Env());
  for (int i = 0; i < cpu::gemm_kernel_count(); ++i) out.Set(i, cpu::gemm_kernel_at(i));
  return out;
}

// { kernel, how, candidates: [{ name, seconds }] }: see cpu::gemm_kernel_choice.
Napi::Value GemmKernelChoice(const Napi::CallbackInfo& info) {
  cpu::GemmChoice ch = cpu::gemm_kernel_choice();
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("kernel", ch.kernel);
  o.Set("how", ch.how);
  Napi::Array cand = Napi::Array::New(env);
  for (size_t i = 0; i < ch.candidates.size(); ++i) {
    Napi::Object c = Napi::Object::New(env);
    c.Set("name", ch.candidates[i].first);
    c.Set("seconds", ch.candidates[i].second);
    cand.Set(static_cast<uint32_t>(i), c);
  }
  o.Set("candidates", cand);
  return o;
}

// Probes again whatever the tuning cache says and records the answer: as gemm_kernel_choice.
TL_KERNEL_VALUE(gemm_retune) {
  cpu::gemm_retune();
  return GemmKernelChoice(info);
}

// { cache: the tuning cache's path ("" where there is none), cpu: the CPU as its key names it }
TL_KERNEL_VALUE(gemm_tune_info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("cache", cpu::gemm_tune_cache_path());
  o.Set("cpu", cpu::gemm_cpu_model());
  return o;
}

// (version): trunkline's version, part of the tuning cache's key.
TL_KERNEL(gemm_set_tune_version) {
  a.expect_count(1);
  if (!info[0].IsString()) a.fail("argument 0 must be a version string");
  cpu::set_gemm_tune_version(info[0].As<Napi::String>().Utf8Value().c_str());
}

// (name): forces that kernel ("" returns to the automatic choice).
TL_KERNEL(gemm_set_kernel) {
  a.expect_count(1);
  if (!info[0].IsString()) a.fail("argument 0 must be a kernel name");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (!cpu::set_gemm_kernel(name.c_str())) a.fail("no gemm kernel named '" + name + "' on this CPU");
}

}  // namespace

// A function the other kernels of this file call, so defined apart and registered here.
TL_KERNEL_ALIAS(gemm_kernel_choice, GemmKernelChoice);

}  // namespace tl::binding
