// Validator (ingest/validator.h): unknown tenants and metrics, and times
// too far ahead of the clock, refused with one reason each.
#include <doctest/doctest.h>

#include "ingest/validator.h"
#include "support/ingest_catalog.h"

namespace meter::ingest {
namespace {

using testing::MakeEvent;
using testing::TestCatalog;

TEST_CASE("ingest.validator_tenant_metric_future") {
  Validator v(TestCatalog());
  Timestamp now = 1770000000000;
  CHECK(v.Check(MakeEvent("1", "acme", "api_calls", now), now).ok());
  CHECK(v.Check(MakeEvent("1", "acme", "ai", now + 5 * kMillisPerMinute), now).ok());
  CHECK(v.Check(MakeEvent("1", "acme2", "api_calls", now), now).message() == "unknown tenant 'acme2'");
  CHECK(v.Check(MakeEvent("1", "acme", "api_call", now), now).message() == "unknown metric 'api_call'");
  CHECK(v.Check(MakeEvent("1", "acme", "api_calls", now + 5 * kMillisPerMinute + 1), now).message() ==
        "timestamp '2026-02-02T02:45:00.001Z' is more than 5 minutes in the future");
  CHECK(v.Check(MakeEvent("1", "acme", "api_calls", now + kMillisPerDay), now, "time").message().rfind("time '", 0) == 0);
}

}  // namespace
}  // namespace meter::ingest
