#include "report/rollup.h"

namespace meter::report {

RawRollup::RawRollup(const catalog::Catalog& catalog)
    : evaluator_(std::make_unique<ingest::MeterEvaluator>(catalog)) {}

RawRollup::~RawRollup() = default;

void RawRollup::Add(const Event& e, const std::string& group) {
  if (!evaluator_->Evaluate(e, &scratch_).ok()) {
    ++skipped_;
    return;
  }
  for (const auto& c : scratch_)
    cells_.try_emplace({group, c.meter->key}, c.meter->aggregation).first->second.Add(c, e.timestamp);
}

std::map<std::pair<std::string, std::string>, Decimal> RawRollup::Values() const {
  std::map<std::pair<std::string, std::string>, Decimal> out;
  for (const auto& [key, cell] : cells_) out[key] = cell.value();
  return out;
}

}  // namespace meter::report
