// Placeholder: the invoice command group is registered here.
#include "context.h"

namespace meter::cli {

void RegisterInvoiceCommands(CLI::App&, Context&) {}

}  // namespace meter::cli
