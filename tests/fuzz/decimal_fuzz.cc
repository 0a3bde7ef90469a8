// libFuzzer target: the exact-decimal parsers money and quantities go through.
//
// * Decimal::Parse (prices, amounts, --amount flags): what parses formats
//   canonically and parses back to the same value; rounding to any number of
//   places agrees with ToString(places); RoundToMinor agrees with
//   MoneyString.
// * ParseDecimalNumberText (quantities and costs in events, catalog numbers):
//   agrees with Decimal::Parse on plain notation, and ingest's fast
//   ParseMicros agrees with it (same acceptance, same value).
// * ParseJsonExact + DecimalFromJson (catalog numbers): every JSON number
//   comes out exactly as written (or is refused), and JsonNumber + DumpJson
//   print it back with the same value.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/json_util.h"
#include "core/money.h"
#include "fuzz_support.h"

namespace meter::fuzz {
namespace {

// [+-]digits[.digits]: Decimal::Parse's grammar, without its range limits.
bool PlainNotation(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? "1" : s.substr(dot + 1);
  auto digits = [](std::string_view d) {
    return !d.empty() && d.find_first_not_of("0123456789") == std::string_view::npos;
  };
  return digits(whole) && digits(frac);
}

void CheckRoundTrip(std::string_view text, const Decimal& d) {
  const std::string canonical = d.ToString();
  auto back = Decimal::Parse(canonical);
  METER_FUZZ_CHECK(back.ok() && *back == d, canonical);
  METER_FUZZ_CHECK(d.FractionalDigits() <= Decimal::kScaleDigits, canonical);
  METER_FUZZ_CHECK(d.Negated().Negated() == d, canonical);
  for (int places = 0; places <= Decimal::kScaleDigits; ++places) {
    const std::string fixed = d.ToString(places);
    auto rounded = d.Round(places, Rounding::kHalfAwayFromZero);
    if (rounded.ok()) METER_FUZZ_CHECK(rounded->ToString(places) == fixed, std::string(text) + " -> " + fixed);
    // (At the very top of the range the rounded text may exceed it: only
    // in-range roundings must read back.)
    if (rounded.ok()) {
      auto fixed_back = Decimal::Parse(fixed);
      METER_FUZZ_CHECK(fixed_back.ok() && *fixed_back == *rounded, fixed);
    }
    auto down = d.Round(places, Rounding::kDown);
    METER_FUZZ_CHECK(down.ok() && down->Abs() <= d.Abs(), canonical);
    auto up = d.Round(places, Rounding::kUp);
    if (up.ok()) METER_FUZZ_CHECK(up->Abs() >= d.Abs(), canonical);
  }
  for (const char* currency : {"USD", "JPY", "KWD", "CLF"}) {
    auto minor = RoundToMinor(d, currency);
    if (minor.ok()) METER_FUZZ_CHECK(minor->ToString(MinorUnitDigits(currency)) == MoneyString(d, currency), canonical);
  }
}

// ParseMicros (ingest's fast path) must accept exactly what the exact path
// accepts as a non-negative quantity with at most 6 places fitting in int64.
void CheckMicros(std::string_view text) {
  auto micros = ingest::ParseMicros(text, "quantity");
  auto exact = ExactValue(text);
  bool fits = exact.ok() && !exact->IsNegative() && exact->FractionalDigits() <= 6 &&
              exact->ToScaledInt64(6).ok();
  // Past 18 fractional digits the fast path still reads trailing zeros by
  // value while the exact path refuses the text: either answer is fine.
  size_t dot = text.find('.');
  bool long_fraction = dot != std::string_view::npos && text.size() - dot - 1 > 18;
  if (!long_fraction) METER_FUZZ_CHECK(micros.ok() == fits, text);
  if (micros.ok()) {
    METER_FUZZ_CHECK(exact.ok() && Decimal::FromScaled(*micros, 6) == *exact, text);
  } else {
    METER_FUZZ_CHECK(micros.status().IsDataError(), micros.status().message());
  }
}

// A JSON number read by ParseJsonExact must come out of DecimalFromJson as
// exactly the written value (or be refused), and print back through
// JsonNumber and DumpJson as text of the same value.
void CheckJsonNumber(std::string_view text) {
  if (!ingest::IsJsonNumber(text)) return;
  auto j = ParseJsonExact(text);
  if (!j.ok()) return;  // beyond double's range: nlohmann refuses it
  auto from_json = DecimalFromJson(*j);
  auto exact = ParseDecimalNumberText(text);
  METER_FUZZ_CHECK(from_json.ok() == exact.ok(), text);
  if (!exact.ok()) return;  // refused with a message: fine
  METER_FUZZ_CHECK(*from_json == *exact, std::string(text) + " -> " + from_json->ToString());
  std::string printed = DumpJson(JsonNumber(*exact));
  auto back = ParseDecimalNumberText(printed);
  METER_FUZZ_CHECK(back.ok() && *back == *exact, std::string(text) + " printed as " + printed);
}

}  // namespace
}  // namespace meter::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meter;
  using namespace meter::fuzz;
  if (size > 256) return 0;  // long inputs only repeat digits
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto d = Decimal::Parse(text);
  if (d.ok()) CheckRoundTrip(text, *d);
  else METER_FUZZ_CHECK(d.status().IsInvalidArgument(), d.status().message());
  auto n = ParseDecimalNumberText(text);
  if (text.find_first_of("eE") == std::string_view::npos) {
    METER_FUZZ_CHECK(n.ok() == d.ok(), text);
    if (n.ok()) METER_FUZZ_CHECK(*n == *d, text);
  } else if (n.ok()) {
    // Exponent notation follows the same grammar as plain notation (JSON's):
    // digits on both sides of a '.'.
    std::string_view mantissa = text.substr(0, text.find_first_of("eE"));
    METER_FUZZ_CHECK(PlainNotation(mantissa), text);
  }
  CheckMicros(text);
  CheckJsonNumber(text);
  return 0;
}
