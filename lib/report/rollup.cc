#include "report/rollup.h"

#include <algorithm>

#include "store/counter_store.h"

namespace meter::report {

using catalog::Aggregation;

RawRollup::RawRollup(const catalog::Catalog& catalog)
    : evaluator_(std::make_unique<ingest::MeterEvaluator>(catalog)) {}

RawRollup::~RawRollup() = default;

void RawRollup::Add(const Event& e, const std::string& group) {
  if (!evaluator_->Evaluate(e, &scratch_).ok()) {
    ++skipped_;
    return;
  }
  for (const auto& c : scratch_) {
    Cell& cell = cells_[{group, c.meter->key}];
    cell.aggregation = c.meter->aggregation;
    switch (c.meter->aggregation) {
      case Aggregation::kSum:
      case Aggregation::kCount:
        cell.value += c.micros;
        break;
      case Aggregation::kMax:
        cell.value = cell.has_value ? std::max(cell.value, c.micros) : c.micros;
        break;
      case Aggregation::kLatest:
        // The same tie-break as the counters: the greatest (time, value).
        if (!cell.has_value || e.timestamp > cell.latest_ts ||
            (e.timestamp == cell.latest_ts && c.micros > cell.value)) {
          cell.value = c.micros;
          cell.latest_ts = e.timestamp;
        }
        break;
      case Aggregation::kUniqueCount:
        cell.uniques.emplace(c.unique);
        break;
    }
    cell.has_value = true;
  }
}

std::map<std::pair<std::string, std::string>, Decimal> RawRollup::Values() const {
  std::map<std::pair<std::string, std::string>, Decimal> out;
  for (const auto& [key, cell] : cells_) {
    if (cell.aggregation == Aggregation::kUniqueCount)
      out[key] = Decimal::FromInt(static_cast<int64_t>(cell.uniques.size()));
    else
      out[key] = Decimal::FromScaled(cell.value, store::kQuantityPlaces);
  }
  return out;
}

}  // namespace meter::report
