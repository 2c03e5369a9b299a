// The row primitives compiled for AVX2+FMA (the build adds -mavx2 -mfma to *_avx2.cc).
#define TL_ROWS_NS avx2
#include "softmax_rows_impl.h"
