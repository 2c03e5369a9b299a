#include "args.h"
#include "registry.h"

namespace tl::binding {

KernelList loss_kernels() { return {}; }

}  // namespace tl::binding
