#include "usage/reservation.h"

#include <fmt/format.h>

#include <vector>

#include "core/event.h"
#include "core/json_util.h"
#include "ingest/recorder.h"
#include "store/usage_store.h"
#include "usage/units.h"

namespace meter::usage {

using catalog::Aggregation;
using nlohmann::json;

namespace {

// Every field of a decision, exact (decimals as strings), for storage.
json StoredJson(const QuotaDecision& d) {
  return {{"allowed", d.allowed},
          {"tenant", d.tenant},
          {"meter", d.meter},
          {"plan", d.plan},
          {"used", d.used.ToString()},
          {"requested", d.requested.ToString()},
          {"limit", d.limit.limit ? json(d.limit.limit->ToString()) : json(nullptr)},
          {"period", catalog::LimitPeriodName(d.limit.period)},
          {"enforcement", catalog::EnforcementName(d.limit.enforcement)},
          {"listed", d.limit.listed},
          {"period_start", d.period.start},
          {"period_end", d.period.end},
          {"suspended", d.suspended},
          {"over", d.over},
          {"next_plan", d.next_plan}};
}

Result<QuotaDecision> FromStoredJson(const json& j, const std::string& id) {
  QuotaDecision d;
  d.allowed = j.at("allowed").get<bool>();
  d.tenant = j.at("tenant").get<std::string>();
  d.meter = j.at("meter").get<std::string>();
  d.plan = j.at("plan").get<std::string>();
  METER_ASSIGN_OR_RETURN(d.used, Decimal::Parse(j.at("used").get<std::string>()));
  METER_ASSIGN_OR_RETURN(d.requested, Decimal::Parse(j.at("requested").get<std::string>()));
  if (!j.at("limit").is_null()) {
    METER_ASSIGN_OR_RETURN(Decimal limit, Decimal::Parse(j.at("limit").get<std::string>()));
    d.limit.limit = limit;
  }
  d.limit.period = j.at("period") == "day" ? catalog::LimitPeriod::kDay : catalog::LimitPeriod::kMonth;
  d.limit.enforcement = j.at("enforcement") == "soft" ? catalog::Enforcement::kSoft : catalog::Enforcement::kHard;
  d.limit.listed = j.at("listed").get<bool>();
  d.period = {j.at("period_start").get<Timestamp>(), j.at("period_end").get<Timestamp>()};
  d.suspended = j.at("suspended").get<bool>();
  d.over = j.at("over").get<bool>();
  d.next_plan = j.at("next_plan").get<std::string>();
  d.reservation_id = id;
  return d;
}

// Sets `value` at a dotted property path ("a.b" -> {"a": {"b": value}}).
void SetProperty(json* props, std::string_view path, json value) {
  if (path.starts_with("properties.")) path.remove_prefix(11);
  json* node = props;
  for (size_t dot; (dot = path.find('.')) != std::string_view::npos; path.remove_prefix(dot + 1)) {
    json& child = (*node)[std::string(path.substr(0, dot))];
    if (!child.is_object()) child = json::object();
    node = &child;
  }
  (*node)[std::string(path)] = std::move(value);
}

bool IsTextField(std::string_view f) { return f == "user" || f == "operation" || f == "status"; }

std::string* TextField(Event* e, std::string_view f) {
  if (f == "user") return &e->user;
  if (f == "operation") return &e->operation;
  return &e->status;
}

// Gives `e` the fields the meter's `where` conditions ask for.
Status ApplyWhere(const catalog::Meter& m, const std::string& tenant, Event* e, json* props) {
  auto impossible = [&](const catalog::WhereClause& w) {
    return Status::InvalidArgument(fmt::format(
        "meter '{}' selects events by {} = '{}', which a reservation cannot record", m.key, w.field, w.equals));
  };
  for (const auto& w : m.where) {
    if (IsTextField(w.field)) {
      *TextField(e, w.field) = w.equals;
    } else if (w.field == "metric" || w.field == "tenant") {
      if (w.equals != (w.field == "metric" ? m.event : tenant)) return impossible(w);
    } else if (w.field == "latency_ms") {
      auto n = Decimal::Parse(w.equals);
      if (!n.ok() || !n->IsInteger()) return impossible(w);
      e->latency_ms = *n->ToInt64();
    } else if (w.field == "id" || w.field == "quantity" || w.field == "cost") {
      return impossible(w);
    } else {
      SetProperty(props, w.field, w.equals);
    }
  }
  return Status::OK();
}

// Gives a sum meter's event its value.
Status ApplySumValue(const catalog::Meter& m, const Decimal& amount, Event* e, json* props) {
  if (m.value == "quantity") {
    METER_ASSIGN_OR_RETURN(e->quantity_micros, ToMicros(amount, "--amount"));
  } else if (m.value == "latency_ms" && amount.IsInteger()) {
    e->latency_ms = *amount.ToInt64();
  } else if (m.value.starts_with("properties.") ||
             (m.value.find('.') == std::string::npos && !IsTextField(m.value) && m.value != "latency_ms" &&
              m.value != "cost" && m.value != "metric" && m.value != "tenant" && m.value != "id")) {
    SetProperty(props, m.value, JsonNumber(amount));
  } else {
    return Status::InvalidArgument(
        fmt::format("meter '{}' sums '{}', which a reservation cannot record", m.key, m.value));
  }
  return Status::OK();
}

Result<std::vector<Event>> ReservationEvents(const catalog::Catalog& c, const QuotaDecision& d,
                                                          Timestamp now) {
  const catalog::Meter* m = c.FindMeter(d.meter);
  if (!m) return Status::NotFound(fmt::format("unknown meter '{}'", d.meter));
  if (m->aggregation != Aggregation::kSum && m->aggregation != Aggregation::kCount)
    return Status::InvalidArgument(fmt::format(
        "meter '{}' aggregates by {}: a reservation cannot add to it (use 'quota check')", m->key,
        catalog::AggregationName(m->aggregation)));
  Event e;
  e.id = d.reservation_id;
  e.tenant = d.tenant;
  e.metric = m->event;
  e.timestamp = now;
  json props = json::object();
  METER_RETURN_IF_ERROR(ApplyWhere(*m, d.tenant, &e, &props));
  int64_t copies = 1;
  if (m->aggregation == Aggregation::kSum) {
    METER_RETURN_IF_ERROR(ApplySumValue(*m, d.requested, &e, &props));
  } else {
    constexpr int64_t kMaxCount = 100000;
    if (!d.requested.IsInteger() || d.requested > Decimal::FromInt(kMaxCount))
      return Status::InvalidArgument(fmt::format(
          "meter '{}' counts events: --amount must be a whole number up to {} to reserve", m->key, kMaxCount));
    copies = *d.requested.ToInt64();
  }
  if (!props.empty()) e.properties = DumpJson(props);
  std::vector<Event> events;
  for (int64_t i = 0; i < copies; ++i) {
    events.push_back(e);
    if (i > 0) events.back().id = fmt::format("{}#{}", e.id, i + 1);
  }
  return events;
}

}  // namespace

Result<std::optional<QuotaDecision>> FindReservation(store::Database& db, const std::string& id) {
  METER_ASSIGN_OR_RETURN(auto r, store::ReservationStore(db).Find(id));
  if (!r) return std::optional<QuotaDecision>();
  json j = json::parse(r->decision, nullptr, false);
  if (j.is_discarded()) return Status::IOError(fmt::format("reservation '{}' is stored unreadably", id));
  METER_ASSIGN_OR_RETURN(QuotaDecision d, FromStoredJson(j, id));
  return std::optional<QuotaDecision>(std::move(d));
}

Status StoreReservation(store::Database& db, const QuotaDecision& d, Timestamp now) {
  METER_ASSIGN_OR_RETURN(int64_t amount, ToMicros(d.requested, "--amount"));
  return store::ReservationStore(db).Insert(
      {d.reservation_id, d.tenant, d.meter, amount, d.allowed, DumpJson(StoredJson(d)), now});
}

Status RecordReservedUsage(store::Database& db, const catalog::Catalog& c, const QuotaDecision& d, Timestamp now) {
  METER_ASSIGN_OR_RETURN(auto events, ReservationEvents(c, d, now));
  ingest::EventRecorder recorder(db, c);
  for (const auto& e : events) {
    METER_ASSIGN_OR_RETURN(bool added, recorder.Record(e));
    if (!added)
      return Status::InvalidArgument(fmt::format(
          "event id '{}' was already recorded by ingest; give the reservation another --id", e.id));
  }
  return recorder.Flush();
}

}  // namespace meter::usage
