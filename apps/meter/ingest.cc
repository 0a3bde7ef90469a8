// Placeholder: the ingest command group is registered here.
#include "context.h"

namespace meter::cli {

void RegisterIngestCommands(CLI::App&, Context&) {}

}  // namespace meter::cli
