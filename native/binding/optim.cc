#include "args.h"
#include "registry.h"

namespace tl::binding {

KernelList optim_kernels() { return {}; }

}  // namespace tl::binding
