// The direct convolution kernels compiled for AVX2+FMA (the build adds -mavx2 -mfma to
// *_avx2.cc); AVX-512 machines use these too.
#define TL_DIRECT_NS avx2
#include "conv_direct_impl.h"
