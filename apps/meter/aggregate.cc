// Placeholder: the aggregate command group is registered here.
#include "context.h"

namespace meter::cli {

void RegisterAggregateCommands(CLI::App&, Context&) {}

}  // namespace meter::cli
