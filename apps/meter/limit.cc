// Placeholder: the limit command group is registered here.
#include "context.h"

namespace meter::cli {

void RegisterLimitCommands(CLI::App&, Context&) {}

}  // namespace meter::cli
