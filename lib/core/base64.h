// Base64 (RFC 4648, standard alphabet): webhook secrets and signatures, and
// CloudEvents' data_base64.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace meter {

// Encodes `bytes` as standard base64 (RFC 4648 alphabet "+/", "=" padded, no
// line breaks). Never fails.
std::string Base64Encode(std::string_view bytes);

// Decodes standard base64, with or without "=" padding. Refuses (InvalidArgument)
// whitespace, the URL-safe alphabet, misplaced "=" and impossible lengths
// rather than skipping them, so a mistyped secret is reported, not guessed at.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace meter
