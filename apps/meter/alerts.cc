// Placeholder: the alerts command group is registered here.
#include "context.h"

namespace meter::cli {

void RegisterAlertCommands(CLI::App&, Context&) {}

}  // namespace meter::cli
