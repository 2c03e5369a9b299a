// Internal to the gemm driver: the register-blocked micro-kernels and the blocking
// sizes of each instruction set. The driver (matmul.cc) packs panels and calls these.
#pragma once
#include <cstdint>
#include <string>

namespace tl::cpu::gemm_detail {

// C[0:mr, 0:nr] = acc (beta == 0, C not read) or beta * C + acc, where
// acc[i][j] = sum_p pa[p*mr + i] * pb[p*nr + j]. Always a full mr x nr tile.
using MicroKernel = void (*)(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc,
                             float beta);

struct GemmArch {
  int mr, nr;         // register tile
  int64_t mc, kc, nc; // cache blocks (mc a multiple of mr, nc of nr)
  MicroKernel kernel;
  const char* name;
};

// The kernels of one instruction set, the default first (empty where the file was
// compiled for another architecture).
struct ArchList {
  const GemmArch* archs;
  int count;
};

const GemmArch& portable_arch();
ArchList avx2_archs();
ArchList avx512_archs();

// CPU time of the calling thread in seconds (wall time where there is no such clock):
// the probe counts only time it actually ran, so other processes sharing the core do
// not lower the peak it reads.
double thread_seconds();

// The fused-multiply-add throughput probe (GFLOP/s on the calling thread) with
// `accumulators` independent chains; width 8 (AVX2) or 16 (AVX-512) lanes.
double fma_probe_avx2(int accumulators, double seconds);
double fma_probe_avx512(int accumulators, double seconds);

// The tuning cache (gemm_tune.cc): the probe's choice per key, a line "key<TAB>kernel"
// in $XDG_CACHE_HOME/trunkline/gemm-kernels.tsv (else ~/.cache/trunkline/).
std::string cpu_model();        // brand string, family, model and stepping
std::string tune_cache_path();  // "" where there is no cache directory
void set_tune_version(const std::string& version);  // trunkline's version, part of the key
std::string tune_version();
bool tune_cache_read(const std::string& key, std::string& kernel);
void tune_cache_write(const std::string& key, const std::string& kernel);

}  // namespace tl::cpu::gemm_detail
