#include "args.h"
#include "registry.h"

namespace tl::binding {

KernelList reduce_kernels() { return {}; }

}  // namespace tl::binding
