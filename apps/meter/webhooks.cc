// Placeholder: the webhooks command group is registered here.
#include "context.h"

namespace meter::cli {

void RegisterWebhookCommands(CLI::App&, Context&) {}

}  // namespace meter::cli
