// Base64 (core/base64.h): RFC 4648 vectors, round trips, refusals.
#include <string>
#include <utility>

#include <doctest/doctest.h>

#include "core/base64.h"

namespace meter {
namespace {

TEST_CASE("base64: RFC 4648 test vectors encode and decode") {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
      {"foo", "Zm9v"},  {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}, {std::string("\xfb\xff", 2), "+/8="},
  };
  for (const auto& [raw, text] : vectors) {
    CHECK(Base64Encode(raw) == text);
    auto decoded = Base64Decode(text);
    REQUIRE(decoded.ok());
    CHECK(*decoded == raw);
  }
}

TEST_CASE("base64: every byte value round-trips and padding may be left out") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t len = 0; len <= all.size(); len += 37) {
    auto back = Base64Decode(Base64Encode(all.substr(0, len)));
    REQUIRE(back.ok());
    CHECK(*back == all.substr(0, len));
  }
  auto unpadded = Base64Decode("Zm9vYg");
  REQUIRE(unpadded.ok());
  CHECK(*unpadded == "foob");
}

TEST_CASE("base64: malformed text is refused rather than skipped") {
  for (const char* bad : {"Z", "Zg=", "Zm9v YmFy", "Zm9v\nYmFy", "-_8=", "Zg==Zg==", "=Zg=", "Zg===",
                          "Zm9v!"}) {
    auto r = Base64Decode(bad);
    CHECK_MESSAGE(!r.ok(), std::string(bad));
    if (!r.ok()) CHECK(r.status().IsInvalidArgument());
  }
}

}  // namespace
}  // namespace meter
