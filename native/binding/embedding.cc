#include "args.h"
#include "registry.h"

namespace tl::binding {

KernelList embedding_kernels() { return {}; }

}  // namespace tl::binding
