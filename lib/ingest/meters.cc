#include "ingest/meters.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/decimal.h"
#include "core/json_util.h"
#include "ingest/json_record.h"
#include "ingest/record.h"
#include "ingest/string_hash.h"

namespace meter::ingest {
namespace {

using catalog::Aggregation;

enum class FieldRef { kQuantity, kLatency, kCost, kUser, kOperation, kStatus, kMetric, kTenant, kId, kProperty };

// A field named in a meter's `value` or `where`, resolved once.
struct FieldSpec {
  FieldRef ref = FieldRef::kQuantity;
  std::string name;               // as the catalog spells it, for messages
  std::vector<std::string> path;  // property path: "a.b" -> {"a", "b"}
};

FieldSpec Resolve(const std::string& name) {
  static const std::pair<const char*, FieldRef> kNative[] = {
      {"quantity", FieldRef::kQuantity}, {"latency_ms", FieldRef::kLatency}, {"cost", FieldRef::kCost},
      {"user", FieldRef::kUser}, {"operation", FieldRef::kOperation}, {"status", FieldRef::kStatus},
      {"metric", FieldRef::kMetric}, {"tenant", FieldRef::kTenant}, {"id", FieldRef::kId}};
  FieldSpec f;
  f.name = name;
  for (const auto& [n, ref] : kNative)
    if (name == n) {
      f.ref = ref;
      return f;
    }
  // "properties.x.y", or a bare name that is no native field: a property.
  f.ref = FieldRef::kProperty;
  std::string_view rest = name;
  if (rest.starts_with("properties.")) rest.remove_prefix(11);
  for (size_t dot; (dot = rest.find('.')) != std::string_view::npos; rest.remove_prefix(dot + 1))
    f.path.emplace_back(rest.substr(0, dot));
  f.path.emplace_back(rest);
  return f;
}

struct CompiledMeter {
  const catalog::Meter* meter;
  FieldSpec value;
  std::vector<std::pair<FieldSpec, std::string>> where;
};

bool SameNumber(std::string_view a, std::string_view b) {
  if (!IsJsonNumber(a) || !IsJsonNumber(b)) return false;
  auto x = ParseDecimalNumberText(a), y = ParseDecimalNumberText(b);
  return x.ok() && y.ok() && *x == *y;
}

}  // namespace

struct MeterEvaluator::Impl {
  std::unordered_map<std::string, std::vector<CompiledMeter>, StringHash, std::equal_to<>> by_metric;
  std::vector<FieldSpec> extra_fields;
  // A copy of the view last given to Evaluate (its fields still point into
  // the caller's buffers), so AddField's readers never see a dead temporary.
  EventView current;
  bool properties_read = false;
  Status properties_status;
  JsonObjectReader reader;
  JsonObjectReader nested_reader;
  std::vector<JsonEntry> entries;
  std::vector<JsonEntry> nested_entries;
  std::string nested_text;
  std::string number_text;

  Result<RawValue> Property(const FieldSpec& f);
  Result<RawValue> Field(const FieldSpec& f);
  Result<bool> Matches(const CompiledMeter& m);
  Status Contribute(const CompiledMeter& m, std::vector<Contribution>* out);
};

// The value of a property path, read from the event's properties text the
// first time an event needs one.
Result<RawValue> MeterEvaluator::Impl::Property(const FieldSpec& f) {
  if (!properties_read) {
    properties_read = true;
    entries.clear();
    properties_status = current.properties.empty()
                            ? Status::OK()
                            : reader.Read(current.properties, "properties", &entries);
  }
  METER_RETURN_IF_ERROR(properties_status);
  const std::vector<JsonEntry>* level = &entries;
  for (size_t i = 0;; ++i) {
    RawValue found;
    for (const JsonEntry& e : *level)
      if (e.key == f.path[i]) found = e.value;
    if (i + 1 == f.path.size()) return found;
    if (found.kind != ValueKind::kObject) return RawValue{};
    nested_text.assign(found.text);  // Read reuses the buffer `found` points into
    METER_RETURN_IF_ERROR(nested_reader.Read(nested_text, "properties", &nested_entries));
    level = &nested_entries;
  }
}

Result<RawValue> MeterEvaluator::Impl::Field(const FieldSpec& f) {
  const EventView& e = current;
  auto text = [](std::string_view s) {
    return s.empty() ? RawValue{} : RawValue{ValueKind::kString, s};
  };
  switch (f.ref) {
    case FieldRef::kQuantity:
      number_text = Decimal::FromScaled(e.quantity_micros, 6).ToString();
      return RawValue{ValueKind::kNumber, number_text};
    case FieldRef::kLatency:
      if (!e.latency_ms) return RawValue{};
      number_text = std::to_string(*e.latency_ms);
      return RawValue{ValueKind::kNumber, number_text};
    case FieldRef::kCost:
      return e.cost.empty() ? RawValue{} : RawValue{ValueKind::kNumber, e.cost};
    case FieldRef::kUser: return text(e.user);
    case FieldRef::kOperation: return text(e.operation);
    case FieldRef::kStatus: return text(e.status);
    case FieldRef::kMetric: return text(e.metric);
    case FieldRef::kTenant: return text(e.tenant);
    case FieldRef::kId: return text(e.id);
    case FieldRef::kProperty: return Property(f);
  }
  return RawValue{};
}

namespace {

// A `where` comparison: the text as written, or the same number.
bool Equals(const RawValue& v, std::string_view equals) {
  return v.present() && (v.text == equals || (v.kind == ValueKind::kNumber && SameNumber(v.text, equals)));
}

}  // namespace

Result<bool> MeterEvaluator::Impl::Matches(const CompiledMeter& m) {
  for (const auto& [field, equals] : m.where) {
    METER_ASSIGN_OR_RETURN(RawValue v, Field(field));
    if (!Equals(v, equals)) return false;
  }
  return true;
}

Status MeterEvaluator::Impl::Contribute(const CompiledMeter& m, std::vector<Contribution>* out) {
  Aggregation agg = m.meter->aggregation;
  if (agg == Aggregation::kCount) {
    out->push_back({m.meter, 1000000, {}});
    return Status::OK();
  }
  if (m.value.ref == FieldRef::kQuantity && agg != Aggregation::kUniqueCount) {
    out->push_back({m.meter, current.quantity_micros, {}});  // the common case, already exact
    return Status::OK();
  }
  METER_ASSIGN_OR_RETURN(RawValue v, Field(m.value));
  if (!v.present()) return Status::OK();  // no value: no contribution to this meter
  if (agg == Aggregation::kUniqueCount) {
    if (!v.text.empty()) out->push_back({m.meter, 0, std::string(v.text)});
    return Status::OK();
  }
  auto reader = [&] { return fmt::format(" (read by meter '{}')", m.meter->key); };
  if (v.kind != ValueKind::kNumber && v.kind != ValueKind::kString)
    return Status::DataError(fmt::format("{} must be a number{}", m.value.name, reader()));
  auto micros = ParseMicros(v.text, m.value.name);
  if (!micros.ok()) return Status::DataError(micros.status().message() + reader());
  out->push_back({m.meter, *micros, {}});
  return Status::OK();
}

namespace {

std::vector<const catalog::Meter*> MetersOf(const catalog::Catalog& catalog) {
  std::vector<const catalog::Meter*> out;
  for (const catalog::Meter& m : catalog.meters) out.push_back(&m);
  return out;
}

}  // namespace

MeterEvaluator::MeterEvaluator(const catalog::Catalog& catalog) : MeterEvaluator(MetersOf(catalog)) {}

MeterEvaluator::MeterEvaluator(const std::vector<const catalog::Meter*>& meters) : impl_(std::make_unique<Impl>()) {
  for (const catalog::Meter* m : meters) {
    CompiledMeter c{m, Resolve(m->value), {}};
    for (const catalog::WhereClause& w : m->where) c.where.emplace_back(Resolve(w.field), w.equals);
    impl_->by_metric[m->event].push_back(std::move(c));
  }
}

MeterEvaluator::~MeterEvaluator() = default;

bool MeterEvaluator::KnowsMetric(std::string_view metric) const {
  return impl_->by_metric.find(metric) != impl_->by_metric.end();
}

Status MeterEvaluator::Evaluate(const EventView& e, std::vector<Contribution>* out) {
  out->clear();
  impl_->current = e;
  impl_->properties_read = false;
  auto it = impl_->by_metric.find(e.metric);
  if (it == impl_->by_metric.end()) return Status::OK();
  for (const CompiledMeter& m : it->second) {
    METER_ASSIGN_OR_RETURN(bool match, impl_->Matches(m));
    if (match) METER_RETURN_IF_ERROR(impl_->Contribute(m, out));
  }
  return Status::OK();
}

size_t MeterEvaluator::AddField(const std::string& name) {
  impl_->extra_fields.push_back(Resolve(name));
  return impl_->extra_fields.size() - 1;
}

Result<bool> MeterEvaluator::FieldIn(size_t id, const std::vector<std::string>& values) {
  METER_ASSIGN_OR_RETURN(RawValue v, impl_->Field(impl_->extra_fields.at(id)));
  for (const std::string& equals : values)
    if (Equals(v, equals)) return true;
  return false;
}

Result<std::optional<std::string>> MeterEvaluator::FieldText(size_t id) {
  METER_ASSIGN_OR_RETURN(RawValue v, impl_->Field(impl_->extra_fields.at(id)));
  if (!v.present()) return std::optional<std::string>();
  return std::optional<std::string>(std::string(v.text));
}

template <typename V>
bool Combine(Aggregation a, V micros, Timestamp ts, bool fresh, V* value, Timestamp* latest_ts) {
  switch (a) {
    case Aggregation::kSum:
    case Aggregation::kCount:
      if (fresh) {
        *value = micros;
      } else {
        V sum;
        if (__builtin_add_overflow(*value, micros, &sum)) return false;
        *value = sum;
      }
      return true;
    case Aggregation::kMax:
      *value = fresh ? micros : std::max(*value, micros);
      return true;
    case Aggregation::kLatest:
      if (fresh || ts > *latest_ts || (ts == *latest_ts && micros > *value)) {
        *value = micros;
        *latest_ts = ts;
      }
      return true;
    case Aggregation::kUniqueCount:
      return true;
  }
  return true;
}

template bool Combine<int64_t>(Aggregation, int64_t, Timestamp, bool, int64_t*, Timestamp*);
template bool Combine<__int128>(Aggregation, __int128, Timestamp, bool, __int128*, Timestamp*);

std::string MeterDefinition(const catalog::Meter& m) {
  nlohmann::json where = nlohmann::json::array();
  for (const auto& w : m.where) where.push_back({w.field, w.equals});
  return DumpJson(nlohmann::json{{"v", 1}, {"event", m.event}, {"aggregation", catalog::AggregationName(m.aggregation)},
                                 {"value", m.value}, {"where", where}});
}

store::CounterMerge MergeFor(Aggregation a) {
  if (a == Aggregation::kMax) return store::CounterMerge::kMax;
  if (a == Aggregation::kLatest) return store::CounterMerge::kLatest;
  return store::CounterMerge::kAdd;
}

void MeterValue::Add(const Contribution& c, Timestamp ts) {
  if (aggregation_ == Aggregation::kUniqueCount) {
    uniques_.insert(c.unique);
    ++events_;
    return;
  }
  AddPartial(c.micros, 1, ts);
}

void MeterValue::AddPartial(int64_t micros, int64_t events, Timestamp latest_ts) {
  AddWide(micros, events, latest_ts);
}

void MeterValue::AddWide(__int128 micros, int64_t events, Timestamp latest_ts) {
  if (events <= 0) return;
  // 2^127 millionths is beyond any sum of int64 contributions a process can add.
  (void)Combine<__int128>(aggregation_, micros, latest_ts, !has_value_, &value_, &latest_ts_);
  has_value_ = true;
  events_ += events;
}

void MeterValue::AddUniques(const std::vector<std::string>& values, int64_t events) {
  uniques_.insert(values.begin(), values.end());
  events_ += events;
}

void MeterValue::Merge(const MeterValue& other) {
  if (aggregation_ == Aggregation::kUniqueCount) {
    uniques_.insert(other.uniques_.begin(), other.uniques_.end());
    events_ += other.events_;
    return;
  }
  if (other.has_value_) AddWide(other.value_, other.events_, other.latest_ts_);
}

__int128 MeterValue::WideMicros() const {
  if (aggregation_ == Aggregation::kUniqueCount) return static_cast<__int128>(uniques_.size()) * kMicrosPerUnit;
  return has_value_ ? value_ : 0;
}

Result<int64_t> MeterValue::micros() const {
  __int128 v = WideMicros();
  if (v > std::numeric_limits<int64_t>::max())
    return Status::DataError(
        fmt::format("a total of {} units is more than one counter holds ({})", value().ToString(), kCounterCapacity));
  return static_cast<int64_t>(v);
}

Decimal MeterValue::value() const { return Decimal::FromRaw(WideMicros() * 1000000000000); }

}  // namespace meter::ingest
