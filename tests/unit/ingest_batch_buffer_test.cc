// BatchBuffer: the flat per-batch key tables keep every key apart through
// growth, give each key one dense id, and keep each distinct value once.
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
  // Enough keys to double the table several times; the second round finds
  // the ids the first one gave, in order of first appearance.
  std::map<std::tuple<uint32_t, const catalog::Meter*, Timestamp>, uint32_t> ids;
  for (int round = 0; round < 2; ++round)
    for (uint32_t t = 0; t < 50; ++t)
      for (int h = 0; h < 100; ++h) {
        const catalog::Meter* m = h % 2 ? &m1 : &m2;
        Timestamp hour = int64_t{h} * kMillisPerHour;
        uint32_t id = b.Counter(t, m, hour);
        if (round == 0) {
          CHECK(id == ids.size());
          ids[{t, m, hour}] = id;
        } else {
          CHECK(id == ids.at({t, m, hour}));
        }
      }
  CHECK(b.counters() == 5000);
  for (const auto& [key, id] : ids) {
    const CounterKey& k = b.counter(id);
    CHECK(std::make_tuple(k.tenant, k.meter, k.hour) == key);
  }
  b.Clear();
  CHECK(b.counters() == 0);
  CHECK(b.Counter(7, &m1, 3 * kMillisPerHour) == 0);
}

TEST_CASE("ingest.batch_buffer_keeps_distinct_values_once") {
  catalog::Meter m;
  BatchBuffer b;
  for (int round = 0; round < 3; ++round)
    for (int u = 0; u < 3000; ++u) b.Unique(u % 3, &m, 0, "user_" + std::to_string(u % 1000));
  // The distinct (tenant, value) pairs among those added.
  std::set<std::pair<uint32_t, std::string>> expected;
  for (int u = 0; u < 3000; ++u) expected.insert({u % 3, "user_" + std::to_string(u % 1000)});
  CHECK(b.uniques() == expected.size());
  std::set<std::pair<uint32_t, std::string>> got;
  for (uint32_t id = 0; id < b.uniques(); ++id) got.insert({b.unique(id).tenant, std::string(b.value(b.unique(id)))});
  CHECK(got == expected);
  CHECK(b.Unique(0, &m, kMillisPerHour, "user_1") == expected.size());  // another hour: another entry
  CHECK(b.uniques() == expected.size() + 1);
  CHECK(b.Unique(1, &m, 0, "user_1") < expected.size());  // seen: its id again
}

}  // namespace
}  // namespace meter::ingest
