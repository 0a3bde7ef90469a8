// Ids for records that arrive without one.
#pragma once

#include <string>
#include <string_view>

namespace meter::ingest {

// "sha256:" + the first 32 hex digits (128 bits) of SHA-256 over `context`,
// a newline when context is not empty, and `content`. Ingest passes a
// record's trimmed raw text (and, for CSV, its header as context), so the
// same record re-ingested gets the same id and is counted once; two
// byte-identical records without an id are therefore one event.
std::string ContentId(std::string_view context, std::string_view content);

}  // namespace meter::ingest
