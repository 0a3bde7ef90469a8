#include <doctest/doctest.h>

#include "core/suggest.h"

using namespace meter;

namespace {
const std::vector<std::string> kTop = {"init", "catalog", "tenants", "ingest", "aggregate", "quota", "entitlement",
                                       "limit", "alerts", "invoice", "webhooks", "report", "forecast",
                                       "recommend", "simulate", "completion"};
const std::vector<std::string> kInvoice = {"generate", "list", "show", "finalize", "mark-paid", "void",
                                           "sweep-overdue", "delete"};
}  // namespace

TEST_CASE("suggest.edit_distance") {
  struct { const char* a; const char* b; size_t d; } cases[] = {
      {"", "", 0},         {"quota", "quota", 0}, {"quotaa", "quota", 1}, {"qouta", "quota", 1},
      {"Quota", "quota", 0}, {"", "abc", 3},      {"abc", "", 3},         {"kitten", "sitting", 3},
      {"shwo", "show", 1}, {"ca", "abc", 3},      {"bogus", "void", 4},
  };
  for (const auto& c : cases) {
    CHECK_MESSAGE(EditDistance(c.a, c.b) == c.d, c.a, " / ", c.b);
    CHECK_MESSAGE(EditDistance(c.b, c.a) == c.d, c.b, " / ", c.a);
  }
}

TEST_CASE("suggest.closest_words_found") {
  struct { const char* typed; std::vector<std::string> want; } cases[] = {
      {"quotaa", {"quota"}},      {"qouta", {"quota"}},        {"QUOTA", {"quota"}},
      {"tenant", {"tenants"}},    {"invoices", {"invoice"}},   {"inv", {"invoice"}},
      {"forcast", {"forecast"}},  {"recomend", {"recommend"}}, {"webhook", {"webhooks"}},
      {"alert", {"alerts"}},      {"limits", {"limit"}},       {"re", {"report", "recommend"}},
      {"complete", {"completion"}},
  };
  for (const auto& c : cases) CHECK_MESSAGE(ClosestWords(c.typed, kTop) == c.want, c.typed);
  CHECK(ClosestWords("shwo", kInvoice) == std::vector<std::string>{"show"});
  CHECK(ClosestWords("finalise", kInvoice) == std::vector<std::string>{"finalize"});
  CHECK(ClosestWords("markpaid", kInvoice) == std::vector<std::string>{"mark-paid"});
  CHECK(ClosestWords("--tennant", {"--tenant", "--metric", "--amount"}) == std::vector<std::string>{"--tenant"});
}

TEST_CASE("suggest.closest_words_refused") {
  // Too far from every word to be a typo of one of them.
  for (const char* typed : {"", "x", "bogus", "frobnicate", "zz", "qqqqqq"})
    CHECK_MESSAGE(ClosestWords(typed, kTop).empty(), typed);
  CHECK(ClosestWords("bogus", kInvoice).empty());
  CHECK(ClosestWords("quota", {}).empty());
  CHECK(ClosestWords("--zzz", {"--db", "--now", "--json"}).empty());  // 3 edits from each
}

TEST_CASE("suggest.quoted_alternatives") {
  CHECK(QuotedAlternatives({}) == "");
  CHECK(QuotedAlternatives({"quota"}) == "'quota'");
  CHECK(QuotedAlternatives({"a", "b"}) == "'a' or 'b'");
  CHECK(QuotedAlternatives({"a", "b", "c"}) == "'a', 'b' or 'c'");
}
