#include "args.h"
#include "registry.h"

namespace tl::binding {

KernelList shape_kernels() { return {}; }

}  // namespace tl::binding
