// GEMM on the device without cuBLAS.
//  * fp32 SIMT: BMxBN block tiles (128x128 or 64x64 for small problems), BK = 8, each
//    thread owning an 8x8 register block; the next K-tile is prefetched into registers
//    while the current one is multiplied from shared memory.
//  * Tensor cores (sm_80+) through WMMA: TF32 m16n16k8 or BF16 m16n16k16 with fp32
//    accumulation, 128x128x32 block tiles, 8 warps each computing 64x32.
// Every kernel handles any transpose, leading dimension and ragged edge (tiles are
// zero-padded on load), alpha/beta (beta == 0 never reads C), and batches via grid.z.
#include <cuda_bf16.h>
#include <mma.h>

#include <stdexcept>
#include <string>

#include "launch.cuh"
#include "matmul.h"

namespace tl::cuda {
namespace {

struct GemmArgs {
  const float* a;
  const float* b;
  float* c;
  int64_t lda, ldb, ldc;
  int64_t sa, sb, sc;  // batch strides (0 broadcasts)
  int64_t m, n, k;
  float alpha, beta;
  bool ta, tb;
  const float* bias;  // epilogue: + bias[j] on column j (null: none)
  bool relu;          // epilogue: then max(0, .)
};

// op(A)[i, p] and op(B)[p, j], zero outside the matrix.
__device__ __forceinline__ float load_a(const GemmArgs& g, const float* a, int64_t i, int64_t p) {
  if (i >= g.m || p >= g.k) return 0.0f;
  return g.ta ? a[p * g.lda + i] : a[i * g.lda + p];
}
__device__ __forceinline__ float load_b(const GemmArgs& g, const float* b, int64_t p, int64_t j) {
  if (p >= g.k || j >= g.n) return 0.0f;
  return g.tb ? b[j * g.ldb + p] : b[p * g.ldb + j];
}

__device__ __forceinline__ void store_c(const GemmArgs& g, float* c, int64_t i, int64_t j, float acc) {
  if (i >= g.m || j >= g.n) return;
  float* p = c + i * g.ldc + j;
  float v = g.alpha * acc;
  if (g.beta != 0.0f) v += g.beta * *p;
  if (g.bias) v += g.bias[j];
  if (g.relu) v = v <= 0.0f ? 0.0f : v;  // NaN passes, as in PyTorch (fmaxf would drop it)
  *p = v;
}

// ---- fp32 SIMT ---------------------------------------------------------------------

// Which (row, k) of an A tile / (k, col) of a B tile load slot e of thread tid covers:
// consecutive threads walk the contiguous direction of the stored matrix so loads
// coalesce. Shared by the SIMT and tensor-core kernels.
template <int BM, int BK, int NT>
__device__ inline void a_slot(bool ta, int tid, int e, int& r, int& p) {
  int idx = tid + e * NT;
  if (!ta) { r = idx / BK; p = idx % BK; } else { r = idx % BM; p = idx / BM; }
}
template <int BN, int BK, int NT>
__device__ inline void b_slot(bool tb, int tid, int e, int& p, int& col) {
  int idx = tid + e * NT;
  if (!tb) { p = idx / BN; col = idx % BN; } else { p = idx % BK; col = idx / BK; }
}

template <int BM, int BN>
__global__ void __launch_bounds__((BM / 8) * (BN / 8)) sgemm_simt(GemmArgs g, int64_t batch0) {
  constexpr int BK = 8;
  constexpr int NT = (BM / 8) * (BN / 8);
  constexpr int LA = BM * BK / NT;  // A elements each thread loads per K-tile
  constexpr int LB = BK * BN / NT;
  // +4 breaks the bank pattern of the transposing stores and keeps float4 alignment.
  __shared__ __align__(16) float As[BK][BM + 4];
  __shared__ __align__(16) float Bs[BK][BN + 4];

  const int64_t batch = batch0 + blockIdx.z;
  const float* a = g.a + batch * g.sa;
  const float* b = g.b + batch * g.sb;
  float* c = g.c + batch * g.sc;
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * BM;
  const int64_t col0 = static_cast<int64_t>(blockIdx.y) * BN;
  const int tid = threadIdx.x;
  const int tx = tid % (BN / 8), ty = tid / (BN / 8);

  auto a_pos = [&](int e, int& r, int& p) { a_slot<BM, BK, NT>(g.ta, tid, e, r, p); };
  auto b_pos = [&](int e, int& p, int& col) { b_slot<BN, BK, NT>(g.tb, tid, e, p, col); };

  float ra[LA], rb[LB];
  auto fetch = [&](int64_t k0) {
#pragma unroll
    for (int e = 0; e < LA; ++e) {
      int r, p;
      a_pos(e, r, p);
      ra[e] = load_a(g, a, row0 + r, k0 + p);
    }
#pragma unroll
    for (int e = 0; e < LB; ++e) {
      int p, col;
      b_pos(e, p, col);
      rb[e] = load_b(g, b, k0 + p, col0 + col);
    }
  };

  float acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[i][j] = 0.0f;

  if (g.k > 0) fetch(0);
  for (int64_t k0 = 0; k0 < g.k; k0 += BK) {
#pragma unroll
    for (int e = 0; e < LA; ++e) {
      int r, p;
      a_pos(e, r, p);
      As[p][r] = ra[e];
    }
#pragma unroll
    for (int e = 0; e < LB; ++e) {
      int p, col;
      b_pos(e, p, col);
      Bs[p][col] = rb[e];
    }
    __syncthreads();
    if (k0 + BK < g.k) fetch(k0 + BK);  // in flight while we multiply
#pragma unroll
    for (int p = 0; p < BK; ++p) {
      // Rows ty*4..+3 and BM/2+ty*4..+3 (likewise columns): two float4 reads each.
      float4 a0 = *reinterpret_cast<const float4*>(&As[p][ty * 4]);
      float4 a1 = *reinterpret_cast<const float4*>(&As[p][BM / 2 + ty * 4]);
      float4 b0 = *reinterpret_cast<const float4*>(&Bs[p][tx * 4]);
      float4 b1 = *reinterpret_cast<const float4*>(&Bs[p][BN / 2 + tx * 4]);
      float ar[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      float br[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(ar[i], br[j], acc[i][j]);
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < 8; ++i) {
    int64_t row = row0 + (i < 4 ? ty * 4 + i : BM / 2 + ty * 4 + (i - 4));
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      int64_t col = col0 + (j < 4 ? tx * 4 + j : BN / 2 + tx * 4 + (j - 4));
      store_c(g, c, row, col, acc[i][j]);
    }
  }
}

// ---- tensor cores (WMMA) -----------------------------------------------------------

namespace wmma = nvcuda::wmma;

// Per-precision types: the smem element, the fragment element and the MMA K.
struct Tf32 {
  using Smem = float;
  using Frag = wmma::precision::tf32;
  static constexpr int KS = 8;
  static constexpr int PAD = 4;  // keeps every fragment pointer 32-byte aligned
  __device__ static float convert(float v) { return wmma::__float_to_tf32(v); }
};
struct Bf16 {
  using Smem = __nv_bfloat16;
  using Frag = __nv_bfloat16;
  static constexpr int KS = 16;
  static constexpr int PAD = 8;
  __device__ static __nv_bfloat16 convert(float v) { return __float2bfloat16_rn(v); }
};

template <typename P>
__global__ void __launch_bounds__(256) gemm_wmma(GemmArgs g, int64_t batch0) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  constexpr int BM = 128, BN = 128, BK = 32, NT = 256;
  constexpr int LDA = BK + P::PAD, LDB = BN + P::PAD;
  constexpr int LA = BM * BK / NT, LB = BK * BN / NT;
  using T = typename P::Smem;
  __shared__ __align__(128) T As[BM * LDA];
  __shared__ __align__(128) T Bs[BK * LDB];
  __shared__ __align__(128) float Cs[8][16 * 16];  // one staging tile per warp

  const int64_t batch = batch0 + blockIdx.z;
  const float* a = g.a + batch * g.sa;
  const float* b = g.b + batch * g.sb;
  float* c = g.c + batch * g.sc;
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * BM;
  const int64_t col0 = static_cast<int64_t>(blockIdx.y) * BN;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int warp_m = warp / 4, warp_n = warp % 4;  // 2 x 4 warps, each 64 x 32

  auto a_pos = [&](int e, int& r, int& p) { a_slot<BM, BK, NT>(g.ta, tid, e, r, p); };
  auto b_pos = [&](int e, int& p, int& col) { b_slot<BN, BK, NT>(g.tb, tid, e, p, col); };
  wmma::fragment<wmma::accumulator, 16, 16, P::KS, float> acc[4][2];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);

  // No register prefetch here: with 64 accumulator registers it would spill.
  for (int64_t k0 = 0; k0 < g.k; k0 += BK) {
#pragma unroll 4
    for (int e = 0; e < LA; ++e) {
      int r, p;
      a_pos(e, r, p);
      As[r * LDA + p] = P::convert(load_a(g, a, row0 + r, k0 + p));
    }
#pragma unroll 4
    for (int e = 0; e < LB; ++e) {
      int p, col;
      b_pos(e, p, col);
      Bs[p * LDB + col] = P::convert(load_b(g, b, k0 + p, col0 + col));
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; kk += P::KS) {
      wmma::fragment<wmma::matrix_a, 16, 16, P::KS, typename P::Frag, wmma::row_major> fa[4];
      wmma::fragment<wmma::matrix_b, 16, 16, P::KS, typename P::Frag, wmma::row_major> fb[2];
#pragma unroll
      for (int i = 0; i < 4; ++i) wmma::load_matrix_sync(fa[i], As + (warp_m * 64 + i * 16) * LDA + kk, LDA);
#pragma unroll
      for (int j = 0; j < 2; ++j) wmma::load_matrix_sync(fb[j], Bs + kk * LDB + warp_n * 32 + j * 16, LDB);
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
    }
    __syncthreads();
  }

  // Epilogue through a per-warp staging tile, so ragged edges and alpha/beta are exact.
  float* stage = Cs[warp];
#pragma unroll
  for (int i = 0; i < 4; ++i) {
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      wmma::store_matrix_sync(stage, acc[i][j], 16, wmma::mem_row_major);
      __syncwarp();
#pragma unroll
      for (int t = 0; t < 8; ++t) {
        int e = lane * 8 + t;
        int64_t row = row0 + warp_m * 64 + i * 16 + e / 16;
        int64_t col = col0 + warp_n * 32 + j * 16 + e % 16;
        store_c(g, c, row, col, stage[e]);
      }
      __syncwarp();
    }
  }
#endif
}

int sm_count() {
  static int n = [] {
    int dev = 0, v = 0;
    cudaGetDevice(&dev);
    if (cudaDeviceGetAttribute(&v, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess) {
      cudaGetLastError();
      v = 80;
    }
    return v;
  }();
  return n;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Launches one kernel over the batch in chunks of at most 65535 (the grid.z limit).
template <typename Launch>
void over_batches(int64_t batch, int64_t tiles_m, int64_t tiles_n, Launch launch) {
  if (tiles_m > 0x7fffffffLL || tiles_n > 65535)
    throw std::invalid_argument("gemm: the matrix is too large for one CUDA grid (" + std::to_string(tiles_m) +
                                " x " + std::to_string(tiles_n) + " tiles)");
  for (int64_t b0 = 0; b0 < batch; b0 += 65535) {
    unsigned nb = static_cast<unsigned>(std::min<int64_t>(65535, batch - b0));
    launch(dim3(static_cast<unsigned>(tiles_m), static_cast<unsigned>(tiles_n), nb), b0);
  }
}

void launch_gemm(const GemmArgs& g, int64_t batch) {
  int64_t m = g.m, n = g.n;
  cudaStream_t s = stream();
  switch (matmul_precision()) {
    case MatmulPrecision::High:
      over_batches(batch, ceil_div(m, 128), ceil_div(n, 128),
                   [&](dim3 grid, int64_t b0) { gemm_wmma<Tf32><<<grid, 256, 0, s>>>(g, b0); });
      break;
    case MatmulPrecision::Medium:
      over_batches(batch, ceil_div(m, 128), ceil_div(n, 128),
                   [&](dim3 grid, int64_t b0) { gemm_wmma<Bf16><<<grid, 256, 0, s>>>(g, b0); });
      break;
    default: {
      // Big tiles only when they still give every SM at least one block.
      int64_t big_tiles = ceil_div(m, 128) * ceil_div(n, 128) * batch;
      if (big_tiles >= sm_count())
        over_batches(batch, ceil_div(m, 128), ceil_div(n, 128),
                     [&](dim3 grid, int64_t b0) { sgemm_simt<128, 128><<<grid, 256, 0, s>>>(g, b0); });
      else
        over_batches(batch, ceil_div(m, 64), ceil_div(n, 64),
                     [&](dim3 grid, int64_t b0) { sgemm_simt<64, 64><<<grid, 64, 0, s>>>(g, b0); });
    }
  }
  check_launch("gemm");
}

}  // namespace

void gemm_batched(bool ta, bool tb, int64_t batch, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, int64_t sa, const float* b, int64_t ldb, int64_t sb,
                  float beta, float* c, int64_t ldc, int64_t sc) {
  if (batch <= 0 || m <= 0 || n <= 0) return;
  launch_gemm(GemmArgs{a, b, c, lda, ldb, ldc, sa, sb, sc, m, n, k, alpha, beta, ta, tb, nullptr, false}, batch);
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  gemm_batched(ta, tb, 1, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0);
}

void matmul_forward(float* out, const float* a, const float* b, int64_t batch, int64_t m, int64_t n,
                    int64_t k, int64_t sa, int64_t sb) {
  gemm_batched(false, false, batch, m, n, k, 1.0f, a, k, sa, b, n, sb, 0.0f, out, n, m * n);
}

void matmul_backward(float* ga, float* gb, const float* g, const float* a, const float* b, int64_t batch,
                     int64_t m, int64_t n, int64_t k, int64_t sa, int64_t sb) {
  // A dense gradient takes one batched launch; a broadcast one (stride 0) is summed by
  // launches in stream order, so no two blocks ever add into it at once.
  if (ga) {
    if (sa != 0 || batch == 1)
      gemm_batched(false, true, batch, m, k, n, 1.0f, g, n, m * n, b, n, sb, 1.0f, ga, k, sa);
    else
      for (int64_t i = 0; i < batch; ++i)
        gemm(false, true, m, k, n, 1.0f, g + i * m * n, n, b + i * sb, n, 1.0f, ga, k);
  }
  if (gb) {
    if (sb == 0 && batch > 1 && sa == m * k)
      // a's batches are stacked rows: one gemm over batch*m rows sums them all.
      gemm(true, false, k, n, batch * m, 1.0f, a, k, g, n, 1.0f, gb, n);
    else if (sb != 0 || batch == 1)
      gemm_batched(true, false, batch, k, n, m, 1.0f, a, k, sa, g, n, m * n, 1.0f, gb, n, sb);
    else
      for (int64_t i = 0; i < batch; ++i)
        gemm(true, false, k, n, m, 1.0f, a + i * sa, k, g + i * m * n, n, 1.0f, gb, n);
  }
}

namespace {

// gb[j] += sum_i g[i, j]: threads own columns (coalesced), blocks take row chunks and
// add their partial sums atomically.
__global__ void column_sums_kernel(float* gb, const float* g, int64_t m, int64_t n, int64_t rows_per_chunk) {
  int64_t j = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (j >= n) return;
  int64_t r0 = blockIdx.y * rows_per_chunk, r1 = min(m, r0 + rows_per_chunk);
  float acc = 0;
  for (int64_t i = r0; i < r1; ++i) acc += g[i * n + j];
  atomicAdd(gb + j, acc);
}

}  // namespace

void column_sums(float* gb, const float* g, int64_t m, int64_t n) {
  if (m <= 0 || n <= 0) return;
  int64_t chunks = std::min<int64_t>(65535, std::max<int64_t>(1, m / 256));
  int64_t per = (m + chunks - 1) / chunks;
  dim3 grid(static_cast<unsigned>((n + 255) / 256), static_cast<unsigned>(chunks));
  column_sums_kernel<<<grid, 256, 0, stream()>>>(gb, g, m, n, per);
  check_launch("column_sums");
}

void linear_forward(float* out, const float* x, const float* w, const float* bias, int64_t m, int64_t n, int64_t k,
                    int act) {
  if (m <= 0 || n <= 0) return;
  // out = x @ w^T with the bias (and relu) applied as the tile is stored.
  launch_gemm(GemmArgs{x, w, out, k, k, n, 0, 0, 0, m, n, k, 1.0f, 0.0f, false, true, bias, act == 1}, 1);
}

void linear_backward(float* gx, float* gw, float* gb, const float* g, const float* x, const float* w, int64_t m,
                     int64_t n, int64_t k) {
  if (gx) gemm(false, false, m, k, n, 1.0f, g, n, w, k, 1.0f, gx, k);
  if (gw) gemm(true, false, n, k, m, 1.0f, g, n, x, k, 1.0f, gw, k);
  if (gb) column_sums(gb, g, m, n);
}

}  // namespace tl::cuda
