// The row primitives compiled for AVX-512 (the build adds -mavx512f ... to *_avx512.cc).
#define TL_ROWS_NS avx512
#include "softmax_rows_impl.h"
