// The gemm tuning cache: the kernel the run-time probe (matmul.cc) chose, kept per CPU
// model, instruction set, candidate kernels and trunkline version in
// $XDG_CACHE_HOME/trunkline/gemm-kernels.tsv (else ~/.cache/trunkline/), so a process
// skips the probe and, above all, every process on a machine uses the same kernel
// instead of one chosen by a probe that a busy neighbour may have swayed. A file that
// cannot be read or written only means probing again.
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif
#include <unistd.h>

#include "gemm_kernels.h"

namespace tl::cpu::gemm_detail {
namespace {

std::mutex version_mutex;
std::string version = "unknown";

void strip(std::string& s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  s.erase(0, i);
}

}  // namespace

void set_tune_version(const std::string& v) {
  std::lock_guard<std::mutex> lock(version_mutex);
  version = v.empty() ? "unknown" : v;
}

std::string tune_version() {
  std::lock_guard<std::mutex> lock(version_mutex);
  return version;
}

std::string cpu_model() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  std::string brand;
  if (__get_cpuid(0x80000000u, &eax, &ebx, &ecx, &edx) && eax >= 0x80000004u) {
    for (unsigned leaf = 0x80000002u; leaf <= 0x80000004u; ++leaf) {
      __get_cpuid(leaf, &eax, &ebx, &ecx, &edx);
      unsigned regs[4] = {eax, ebx, ecx, edx};
      brand.append(reinterpret_cast<const char*>(regs), sizeof(regs));
    }
    strip(brand);
  }
  // A VM's brand string can be as bare as "AMD EPYC": family and model tell Zen 4 (25)
  // from Zen 5 (26).
  unsigned family = 0, model = 0, stepping = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
    family = (eax >> 8) & 0xf;
    model = (eax >> 4) & 0xf;
    stepping = eax & 0xf;
    if (family == 0xf) family += (eax >> 20) & 0xff;
    if (family == 0x6 || family >= 0xf) model += ((eax >> 16) & 0xf) << 4;
  }
  char buf[96];
  std::snprintf(buf, sizeof(buf), " (family %u model %u stepping %u)", family, model, stepping);
  return (brand.empty() ? std::string("x86-64") : brand) + buf;
#else
  return "unknown CPU";
#endif
}

std::string tune_cache_path() {
  std::string dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/') dir = xdg;
  else if (const char* home = std::getenv("HOME"); home && *home) dir = std::string(home) + "/.cache";
  else return "";
  return dir + "/trunkline/gemm-kernels.tsv";
}

bool tune_cache_read(const std::string& key, std::string& kernel) {
  std::string path = tune_cache_path();
  if (path.empty()) return false;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t tab = line.rfind('\t');
    if (tab != std::string::npos && line.compare(0, tab, key) == 0 && tab == key.size()) {
      kernel = line.substr(tab + 1);
      return !kernel.empty();
    }
  }
  return false;
}

void tune_cache_write(const std::string& key, const std::string& kernel) {
  std::string path = tune_cache_path();
  if (path.empty() || key.find('\n') != std::string::npos) return;
  std::string dir = path.substr(0, path.rfind('/'));
  ::mkdir(dir.substr(0, dir.rfind('/')).c_str(), 0755);  // ~/.cache may not exist yet
  ::mkdir(dir.c_str(), 0755);
  // Every other line kept, this key's replaced; written to a temporary file and renamed
  // over the old one, so a reader never sees half a file (two writers at once may lose
  // one line, which only costs a probe).
  std::ostringstream out;
  {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      size_t tab = line.rfind('\t');
      if (tab == std::string::npos || line.compare(0, tab, key) != 0 || tab != key.size()) out << line << '\n';
    }
  }
  out << key << '\t' << kernel << '\n';
  std::string tmp = path + ".tmp" + std::to_string(static_cast<long>(::getpid()));
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << out.str();
    if (!f.good()) {
      f.close();
      std::remove(tmp.c_str());
      return;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) std::remove(tmp.c_str());
}

}  // namespace tl::cpu::gemm_detail
