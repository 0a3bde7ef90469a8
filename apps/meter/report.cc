// Placeholder: the report command group is registered here.
#include "context.h"

namespace meter::cli {

void RegisterReportCommands(CLI::App&, Context&) {}

}  // namespace meter::cli
