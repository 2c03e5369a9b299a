#include "args.h"
#include "registry.h"

namespace tl::binding {

KernelList conv_kernels() { return {}; }

}  // namespace tl::binding
