// Identifiers for things meter creates (messages, drafts, leases).
#pragma once

#include <string>
#include <string_view>

namespace meter {

// `prefix` + 26 lowercase base32 characters: 48 bits of the clock's
// milliseconds (so ids sort by creation time) then 80 random bits from the
// OS's random source. E.g. RandomId("msg_").
std::string RandomId(std::string_view prefix);

// Fills `n` bytes from the OS's random source (getrandom); aborts if the
// kernel cannot supply them, which never happens on a working system.
std::string RandomBytes(size_t n);

}  // namespace meter
