// MeterEvaluator: what one event contributes to each meter of the catalog.
//
// A meter reads the events whose metric equals its `event` and that pass all
// of its `where` conditions. Its `value` field ("quantity", "latency_ms",
// "cost", a native text field, or "properties.<name>", nested names with
// dots) gives the number for sum / max / latest and the text for
// unique_count; count meters count matching events whatever their value.
// An event that lacks a meter's value field does not contribute to that
// meter; one whose value field is present but not a non-negative number with
// at most 6 decimal places is refused as a whole.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "core/event.h"
#include "core/status.h"

namespace meter::ingest {

struct Contribution {
  const catalog::Meter* meter = nullptr;
  // sum: the value to add; count: 1000000; max / latest: the value. In
  // millionths of a unit.
  int64_t micros = 0;
  // unique_count: the distinct value's text.
  std::string unique;
};

class MeterEvaluator {
 public:
  // Keeps a pointer to `catalog`, which must outlive the evaluator.
  explicit MeterEvaluator(const catalog::Catalog& catalog);
  ~MeterEvaluator();
  MeterEvaluator(const MeterEvaluator&) = delete;
  MeterEvaluator& operator=(const MeterEvaluator&) = delete;

  // True when some meter reads events of `metric`.
  bool KnowsMetric(std::string_view metric) const;

  // Replaces `out` with the contributions of `e`, one per meter it feeds.
  // DataError naming the field and the meter when a value field is present
  // but unusable ("properties.tokens 'abc' is not a number (read by meter
  // 'llm_tokens')"), or when properties is not valid JSON.
  Status Evaluate(const EventView& e, std::vector<Contribution>* out);
  Status Evaluate(const Event& e, std::vector<Contribution>* out) { return Evaluate(ViewOf(e), out); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meter::ingest
