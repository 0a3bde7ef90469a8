// counter_days (store/counter_days.h): the day rows' text, written and read
// back, in its one canonical form, and merged by each meter's rule.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "store/counter_days.h"

namespace meter::store::counter_days {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
// 2026-02-03T00:00:00Z
constexpr Timestamp kDay = 1770076800000;
constexpr Timestamp H(int h) { return kDay + h * kHourMs; }

std::vector<CounterHour> Counters(std::string_view text, Timestamp day = kDay) {
  std::vector<CounterHour> out;
  REQUIRE(DecodeCounters(day, text, &out).ok());
  return out;
}

std::vector<UniqueHour> Uniques(std::string_view text, Timestamp day = kDay) {
  std::vector<UniqueHour> out;
  REQUIRE(DecodeUniques(day, text, &out).ok());
  return out;
}

TEST_CASE("counter_days: the day of an instant, before 1970 too") {
  CHECK(DayOf(kDay) == kDay);
  CHECK(DayOf(kDay + kDayMs - 1) == kDay);
  CHECK(DayOf(0) == 0);
  CHECK(DayOf(-1) == -kDayMs);
  CHECK(DayOf(-kDayMs) == -kDayMs);
}

TEST_CASE("counter_days: counters in their canonical text and back") {
  std::vector<CounterHour> hours = {{H(0), 1500000, 2, std::nullopt},
                                    {H(3), -7, 1, std::nullopt},
                                    {H(23), kMax, kMax, kMin},
                                    };
  std::string text = EncodeCounters(kDay, hours);
  CHECK(text == "0:1500000:2:;3:-7:1:;23:9223372036854775807:9223372036854775807:-9223372036854775808;");
  CHECK(Counters(text) == hours);
  CHECK(EncodeCounters(kDay, {}) == "");
  CHECK(Counters("").empty());
  // latest_ts 0 is a time, not an absent one
  std::vector<CounterHour> zero = {{H(5), kMin, 0, 0}};
  CHECK(EncodeCounters(kDay, zero) == "5:-9223372036854775808:0:0;");
  CHECK(Counters("5:-9223372036854775808:0:0;") == zero);
  // Hours are relative to the day they are stored under.
  CHECK(Counters("1:4:1:;", 0) == std::vector<CounterHour>{{kHourMs, 4, 1, std::nullopt}});
}

TEST_CASE("counter_days: only whole hours of the day are encoded") {
  CHECK_THROWS(EncodeCounters(kDay, {{H(1) + 1, 1, 1, std::nullopt}}));
  CHECK_THROWS(EncodeCounters(kDay, {{H(24), 1, 1, std::nullopt}}));
  CHECK_THROWS(EncodeUniques(kDay, {{H(-1), "a"}}));
}

TEST_CASE("counter_days: distinct values length-prefixed, never escaped") {
  // Byte order: digits < ':' < ';' < letters < '|' < UTF-8 lead bytes.
  std::vector<UniqueHour> values = {{H(2), ""},     {H(2), "12"},  {H(2), "3:4"},     {H(2), ";"},
                                    {H(2), "a|b"},  {H(2), "é"},   {H(7), "0:x;"},    {H(7), "日本"}};
  std::string text = EncodeUniques(kDay, values);
  CHECK(text == "2:0:2:123:3:41:;3:a|b2:\xc3\xa9;7:4:0:x;6:\xe6\x97\xa5\xe6\x9c\xac;");
  CHECK(Uniques(text) == values);
  CHECK(EncodeUniques(kDay, {}) == "");
  CHECK(Uniques("0:0:;") == std::vector<UniqueHour>{{kDay, ""}});
}

TEST_CASE("counter_days: text that this unit did not write is a DataError") {
  std::vector<CounterHour> c;
  std::vector<UniqueHour> u;
  for (const char* bad : {"x", "0:1:1", "0:1:1:", "24:1:1:;", "-1:1:1:;", "0:1:1:x;", "0:99999999999999999999:1:;"})
    CHECK(DecodeCounters(kDay, bad, &c).code() == Status::Code::kDataError);
  for (const char* bad : {"0:", "0:5:abc;", "0:2:ab", "0:x;", "25:1:a;", "0:-1:;"})
    CHECK(DecodeUniques(kDay, bad, &u).code() == Status::Code::kDataError);
}

TEST_CASE("counter_days: merge rules as ingest's upserts had them") {
  CounterHour stored{H(1), 10, 2, std::nullopt};
  SUBCASE("add sums value and events") {
    REQUIRE(Merge(CounterMerge::kAdd, {H(1), 5, 1, std::nullopt}, &stored).ok());
    CHECK(stored == CounterHour{H(1), 15, 3, std::nullopt});
  }
  SUBCASE("add past int64 fails and changes nothing") {
    stored.value = kMax - 1;
    Status s = Merge(CounterMerge::kAdd, {H(1), 2, 1, std::nullopt}, &stored);
    CHECK(s.code() == Status::Code::kDataError);
    CHECK(s.message().find("integer overflow") != std::string::npos);
    CHECK(stored == CounterHour{H(1), kMax - 1, 2, std::nullopt});
    CHECK(Merge(CounterMerge::kAdd, {H(1), 1, 1, std::nullopt}, &stored).ok());
    CHECK(stored.value == kMax);
  }
  SUBCASE("max keeps the larger value and sums events") {
    REQUIRE(Merge(CounterMerge::kMax, {H(1), 4, 1, std::nullopt}, &stored).ok());
    CHECK(stored == CounterHour{H(1), 10, 3, std::nullopt});
    REQUIRE(Merge(CounterMerge::kMax, {H(1), 11, 1, std::nullopt}, &stored).ok());
    CHECK(stored == CounterHour{H(1), 11, 4, std::nullopt});
  }
  SUBCASE("latest keeps the greatest (latest_ts, value)") {
    // A stored row without a time loses to any delta.
    REQUIRE(Merge(CounterMerge::kLatest, {H(1), 3, 1, 500}, &stored).ok());
    CHECK(stored == CounterHour{H(1), 3, 3, 500});
    REQUIRE(Merge(CounterMerge::kLatest, {H(1), 9, 1, 400}, &stored).ok());  // older: stays
    CHECK(stored == CounterHour{H(1), 3, 4, 500});
    REQUIRE(Merge(CounterMerge::kLatest, {H(1), 2, 1, 500}, &stored).ok());  // tie, smaller: stays
    CHECK(stored == CounterHour{H(1), 3, 5, 500});
    REQUIRE(Merge(CounterMerge::kLatest, {H(1), 8, 1, 500}, &stored).ok());  // tie, larger: wins
    CHECK(stored == CounterHour{H(1), 8, 6, 500});
    REQUIRE(Merge(CounterMerge::kLatest, {H(1), -1, 1, 501}, &stored).ok());
    CHECK(stored == CounterHour{H(1), -1, 7, 501});
  }
  SUBCASE("events past int64 fail too") {
    stored.events = kMax;
    CHECK_FALSE(Merge(CounterMerge::kMax, {H(1), 1, 1, std::nullopt}, &stored).ok());
    CHECK(stored.events == kMax);
  }
}

TEST_CASE("counter_days: day texts merge hour by hour, in canonical order") {
  std::string out;
  REQUIRE(MergeCounterText(CounterMerge::kAdd, "1:5:1:;4:1:1:;", "0:2:1:;4:3:2:;9:1:1:;", &out).ok());
  CHECK(out == "0:2:1:;1:5:1:;4:4:3:;9:1:1:;");
  REQUIRE(MergeCounterText(CounterMerge::kAdd, "", "2:1:1:;", &out).ok());
  CHECK(out == "2:1:1:;");
  CHECK(MergeCounterText(CounterMerge::kAdd, "1:9223372036854775807:1:;", "1:1:1:;", &out).code() ==
        Status::Code::kDataError);
  REQUIRE(MergeCounterText(CounterMerge::kLatest, "3:7:1:100;", "3:6:1:200;", &out).ok());
  CHECK(out == "3:6:2:200;");

  REQUIRE(MergeUniqueText("1:1:b1:d;5:1:a;", "0:1:z;1:1:a1:b1:c;", &out).ok());
  CHECK(out == "0:1:z;1:1:a1:b1:c1:d;5:1:a;");
  REQUIRE(MergeUniqueText("1:3:a:b;", "1:0:3:a:b;", &out).ok());  // kept once, "" first
  CHECK(out == "1:0:3:a:b;");
  CHECK(MergeUniqueText("1:9:a;", "", &out).code() == Status::Code::kDataError);
}

}  // namespace
}  // namespace meter::store::counter_days
