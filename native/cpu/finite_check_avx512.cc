// The finite check compiled for AVX-512 (the build adds -mavx512f ... to *_avx512.cc).
#define TL_FINITE_NS avx512
#include "finite_check_impl.h"
