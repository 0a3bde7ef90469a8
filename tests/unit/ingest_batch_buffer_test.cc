// BatchBuffer: the flat per-batch tables keep every key apart through growth
// and keep each distinct value once.
#include <map>
#include <set>
#include <string>
#include <tuple>

#include <doctest/doctest.h>

#include "catalog/catalog.h"
#include "ingest/batch_buffer.h"

namespace meter::ingest {
namespace {

TEST_CASE("ingest.batch_buffer_counters_survive_growth") {
  catalog::Meter m1, m2;
  BatchBuffer b;
  // Enough keys to double the table several times.
  for (int round = 0; round < 2; ++round)
    for (uint32_t t = 0; t < 50; ++t)
      for (int h = 0; h < 100; ++h) {
        bool fresh = false;
        Accumulated& a = b.Counter(t, h % 2 ? &m1 : &m2, int64_t{h} * kMillisPerHour, &fresh);
        CHECK(fresh == (round == 0));
        a.value += t * 1000 + h;
        ++a.events;
      }
  CHECK(b.counters() == 5000);
  std::map<std::tuple<uint32_t, const catalog::Meter*, Timestamp>, int64_t> seen;
  b.ForEachCounter([&](uint32_t t, const catalog::Meter* m, Timestamp hour, const Accumulated& a) {
    CHECK(a.events == 2);
    seen[{t, m, hour}] = a.value;
  });
  CHECK(seen.size() == 5000);
  CHECK(seen[{7, &m1, 3 * kMillisPerHour}] == 2 * (7000 + 3));
  b.Clear();
  CHECK(b.counters() == 0);
  bool fresh = false;
  b.Counter(7, &m1, 3 * kMillisPerHour, &fresh);
  CHECK(fresh);
}

TEST_CASE("ingest.batch_buffer_keeps_distinct_values_once") {
  catalog::Meter m;
  BatchBuffer b;
  for (int round = 0; round < 3; ++round)
    for (int u = 0; u < 3000; ++u) b.AddUnique(u % 3, &m, 0, "user_" + std::to_string(u % 1000));
  // The distinct (tenant, value) pairs among those added.
  std::set<std::pair<uint32_t, std::string>> expected;
  for (int u = 0; u < 3000; ++u) expected.insert({u % 3, "user_" + std::to_string(u % 1000)});
  CHECK(b.uniques() == expected.size());
  std::set<std::pair<uint32_t, std::string>> got;
  b.ForEachUnique([&](uint32_t t, const catalog::Meter*, Timestamp, std::string_view v) {
    got.insert({t, std::string(v)});
  });
  CHECK(got == expected);
  b.AddUnique(0, &m, kMillisPerHour, "user_1");  // another hour: another entry
  CHECK(b.uniques() == expected.size() + 1);
}

}  // namespace
}  // namespace meter::ingest
