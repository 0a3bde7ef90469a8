// Ids (core/ids.h): prefix + 26 base32 characters whose first 48 bits are the
// clock's milliseconds, so ids sort by creation time; random bytes.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include "core/ids.h"
#include "core/time.h"

namespace meter {
namespace {

constexpr std::string_view kAlphabet = "0123456789abcdefghjkmnpqrstvwxyz";

// The milliseconds an id's characters carry in their first 48 bits.
Timestamp TimeOf(std::string_view id) {
  unsigned __int128 bits = 0;
  for (char ch : id) bits = bits << 5 | kAlphabet.find(ch);
  return static_cast<Timestamp>(bits >> 80);
}

TEST_CASE("ids: a prefix, 26 base32 characters, the creation time first") {
  Timestamp before = Clock::Now();
  std::string id = RandomId("msg_");
  Timestamp after = Clock::Now();
  REQUIRE(id.size() == 4 + 26);
  CHECK(id.starts_with("msg_"));
  for (char ch : id.substr(4)) {
    CAPTURE(ch);
    CHECK(kAlphabet.find(ch) != std::string_view::npos);
  }
  Timestamp t = TimeOf(id.substr(4));
  CHECK(t >= (before & 0xffffffffffffLL));
  CHECK(t <= (after & 0xffffffffffffLL));
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::string later = RandomId("msg_");
  CHECK(later > id);
  CHECK(RandomId("") != RandomId(""));  // 80 random bits each
}

TEST_CASE("ids: random bytes of the length asked") {
  CHECK(RandomBytes(0).empty());
  CHECK(RandomBytes(33).size() == 33);
  CHECK(RandomBytes(16) != RandomBytes(16));
}

}  // namespace
}  // namespace meter
