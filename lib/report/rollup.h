// RawRollup: meter values computed from stored raw events, grouped by a key
// the caller chooses (an operation, a user, a tenant). The counters of
// counter_store.h answer "how much per period"; this answers what they
// cannot: usage split by operation or user, and meters of another catalog
// (simulate) that no counter was kept for.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "core/decimal.h"
#include "core/event.h"
#include "core/status.h"
#include "ingest/meters.h"

namespace meter::report {

// Accumulates meter values per group; not thread-safe, one report at a time.
class RawRollup {
 public:
  // Evaluates `catalog`'s meters (with ingest's MeterEvaluator, so a meter
  // means the same here as in the counters). `catalog` must outlive this.
  explicit RawRollup(const catalog::Catalog& catalog);
  ~RawRollup();

  // Adds what `e` contributes to each meter it feeds, under `group`. An event
  // a meter cannot read (a value field that is not a number) adds nothing
  // and is counted in skipped().
  void Add(const Event& e, const std::string& group);

  // The value of each (group, meter key) that saw at least one contribution,
  // aggregated as the meter says (ingest::MeterValue).
  std::map<std::pair<std::string, std::string>, Decimal> Values() const;

  int64_t skipped() const { return skipped_; }

 private:
  std::unique_ptr<ingest::MeterEvaluator> evaluator_;
  std::vector<ingest::Contribution> scratch_;
  std::map<std::pair<std::string, std::string>, ingest::MeterValue> cells_;
  int64_t skipped_ = 0;
};

}  // namespace meter::report
