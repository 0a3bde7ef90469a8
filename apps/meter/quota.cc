// Placeholder: the quota command group is registered here.
#include "context.h"

namespace meter::cli {

void RegisterQuotaCommands(CLI::App&, Context&) {}

}  // namespace meter::cli
