#include "args.h"
#include "registry.h"

namespace tl::binding {

KernelList matmul_kernels() { return {}; }

}  // namespace tl::binding
