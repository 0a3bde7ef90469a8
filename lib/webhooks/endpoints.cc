#include "webhooks/endpoints.h"

#include <fmt/format.h>

#include "webhooks/signer.h"

namespace meter::webhooks {

Status ValidateEventFilters(const std::vector<std::string>& events) {
  for (const std::string& e : events) {
    if (e.empty()) return Status::InvalidArgument("event filter is empty");
    if (e.find_first_of(" \t\r\n") != std::string::npos) {
      return Status::InvalidArgument(fmt::format("event filter '{}' contains whitespace", e));
    }
    const size_t star = e.find('*');
    const bool star_ok = e == "*" || (star == e.size() - 1 && e.size() >= 3 && e[e.size() - 2] == '.');
    if (star != std::string::npos && !star_ok) {
      return Status::InvalidArgument(fmt::format(
          "event filter '{}': '*' may only end a prefix, as in 'invoice.*', or stand alone", e));
    }
  }
  return Status::OK();
}

Status ValidateSecret(std::string_view secret) {
  // Signing a dummy message exercises exactly the rules replay will apply.
  auto signature = Sign(secret, "msg_check", 0, "");
  if (!signature.ok()) return Status::InvalidArgument(signature.status().message());
  return Status::OK();
}

std::vector<std::string> SigningSecrets(const store::WebhookEndpointRecord& e, Timestamp now) {
  std::vector<std::string> secrets{e.secret};
  if (e.previous_secret && now < e.previous_secret_until) secrets.push_back(*e.previous_secret);
  return secrets;
}

}  // namespace meter::webhooks
