// The finite check compiled for AVX2 (the build adds -mavx2 -mfma to *_avx2.cc).
#define TL_FINITE_NS avx2
#include "finite_check_impl.h"
