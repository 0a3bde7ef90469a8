// libFuzzer target: catalog documents through ParseCatalog, the entry point of
// `meter catalog apply` and `meter init --catalog`.
//
// A catalog that parses is stored as ToJson(c) and read back with
// ParseCatalog, so the round trip must hold: ToJson(c) dumps (DumpJson) without
// throwing, parses again, and gives the same document.
#include <cstddef>
#include <cstdint>
#include <string>

#include "catalog/catalog.h"
#include "core/json_util.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meter;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = catalog::ParseCatalog(text);
  if (!c.ok()) {
    METER_FUZZ_CHECK(c.status().IsDataError(), c.status().message());
    return 0;
  }
  const std::string stored = DumpJson(catalog::ToJson(*c));
  auto again = catalog::ParseCatalog(stored);
  METER_FUZZ_CHECK(again.ok(), again.ok() ? stored : again.status().message() + " in " + stored);
  const std::string restored = DumpJson(catalog::ToJson(*again));
  METER_FUZZ_CHECK(restored == stored, stored + " <> " + restored);
  return 0;
}
