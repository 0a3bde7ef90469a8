// ProgressSink: how far a long job has got (ingest, aggregate, invoice
// generation over many tenants, webhook replay --drain, db copy). lib/ never
// prints: it reports here, and apps/meter draws a bar with the rate and the
// time left on a terminal, or nothing at all (--quiet, no TTY, cron).
#pragma once

#include <cstdint>
#include <string_view>

namespace meter {

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;

  // A phase of the job begins: `label` names it for a person ("aggregate",
  // "invoices 2026-02", "copy events"), `total` is how many `unit`s it will do
  // ("events", "tenants", "bytes", "rows"), 0 when that is not known. A new
  // Begin ends the phase before it.
  virtual void Begin(std::string_view label, uint64_t total, std::string_view unit) = 0;

  // `done` units of the phase are done so far (a running count, not an
  // increment). Cheap enough to call per unit: drawing is throttled by the
  // implementation. A count that goes back or past the total is clamped.
  virtual void Update(uint64_t done) = 0;

  // The phase is over; whatever was drawn is cleared.
  virtual void End() = 0;
};

// A sink that ignores everything: the default for callers that show nothing.
ProgressSink& NoProgress();

}  // namespace meter
