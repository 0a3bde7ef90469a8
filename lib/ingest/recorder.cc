#include "ingest/recorder.h"

#include <string>
#include <string_view>

#include "ingest/delta_buffer.h"
#include "ingest/meters.h"
#include "store/event_store.h"

namespace meter::ingest {

struct EventRecorder::Impl {
  Impl(store::Database& db, const catalog::Catalog& catalog) : events(db), stager(catalog) {}
  store::EventStore events;
  EventStager stager;  // for Record, Check and the events Write keys itself
  DeltaKeys keys;      // of the events Record or Write keyed since the last Flush()
  DeltaSums own_sums;  // of those events, by `keys`
  DeltaSums sums;      // of the events Write took staged with the caller's keys, by those keys
  std::vector<EventView> views;  // Write: the staged events in insert order
  std::vector<bool> inserted;
  // Flush: the batch's counter rows, kept (with their capacity) between
  // batches so their memory is not faulted in again each time.
  std::vector<store::CounterDelta> counter_rows;
  std::vector<store::UniqueValue> unique_rows;

  // Adds the contributions stager.Check found for `e` under keys of its own.
  Status AddChecked(const EventView& e) {
    for (const Contribution& c : stager.contributions())
      METER_RETURN_IF_ERROR(own_sums.Add(keys.Slot(e.tenant, e.timestamp, c.meter, c.unique), e.tenant, e.timestamp,
                                         c.meter, c.micros));
    return Status::OK();
  }

  // Writes the rows of `from` (by `keys`, whose ids in key order are given)
  // and empties it.
  Status FlushSums(DeltaSums& from, const DeltaKeys& keys, const std::vector<uint32_t>& sorted_counters,
                   const std::vector<uint32_t>& sorted_uniques) {
    if (from.empty()) {
      from.Clear();
      return Status::OK();
    }
    from.Counters(keys, sorted_counters, &counter_rows);
    from.Uniques(keys, sorted_uniques, &unique_rows);
    Status st = events.AddCounters(counter_rows);
    if (st.ok()) st = events.AddUniques(unique_rows);
    from.Clear();
    return st;
  }
};

EventRecorder::EventRecorder(store::Database& db, const catalog::Catalog& catalog)
    : impl_(std::make_unique<Impl>(db, catalog)) {}

EventRecorder::~EventRecorder() = default;

Status EventStager::Check(const EventView& e) {
  if (e.quantity_micros < 0) return Status::DataError("quantity must be non-negative");
  return meters_.Evaluate(e, &contributions_);
}

Status EventStager::Stage(const EventView& e, uint64_t tag, StagedEvents* stage, DeltaKeys* keys) {
  METER_RETURN_IF_ERROR(Check(e));
  slots_.clear();
  if (!contributions_.empty() && !keys) {
    slots_.assign(contributions_.size(), StagedEvents::kUnkeyed);
  } else if (!contributions_.empty()) {
    uint32_t tenant = keys->TenantId(e.tenant);
    for (const Contribution& c : contributions_) slots_.push_back(keys->Slot(tenant, e.timestamp, c.meter, c.unique));
  }
  stage->Add(e, tag, contributions_, slots_);
  return Status::OK();
}

Status EventRecorder::Check(const EventView& e) { return impl_->stager.Check(e); }

Result<bool> EventRecorder::Record(const EventView& e) {
  METER_RETURN_IF_ERROR(Check(e));
  METER_ASSIGN_OR_RETURN(bool inserted, impl_->events.Insert(e, Clock::Now()));
  if (inserted) METER_RETURN_IF_ERROR(impl_->AddChecked(e));
  return inserted;
}

// Two passes: the inserts in id order (the index's order), then the
// contributions and the callbacks in staging order. The contributions'
// keys were found when they were staged (summing them indexes arrays), or,
// staged unkeyed, are found here for the inserted events alone.
Status EventRecorder::Write(const StagedEvents& stage, const std::vector<uint32_t>& order, const StagedFn& done) {
  std::vector<EventView>& views = impl_->views;
  views.clear();
  views.reserve(order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    // The events are visited out of memory order: fetch ahead.
    if (k + 4 < order.size()) stage.Prefetch(order[k + 4]);
    views.push_back(stage.View(stage.event(order[k])));
  }
  std::vector<bool>& inserted_in_order = impl_->inserted;
  METER_RETURN_IF_ERROR(impl_->events.InsertMany(views, Clock::Now(), &inserted_in_order));
  std::vector<bool> inserted(stage.size());
  for (size_t k = 0; k < order.size(); ++k) inserted[order[k]] = inserted_in_order[k];
  for (size_t i = 0; i < stage.size(); ++i) {
    const StagedEvents::Event& s = stage.event(i);
    EventView view = stage.View(s);
    if (inserted[i] && s.first_contribution != s.end_contribution) {
      if (stage.contribution(s.first_contribution).slot != StagedEvents::kUnkeyed) {
        METER_RETURN_IF_ERROR(impl_->sums.AddStaged(stage, i));
      } else {
        // Staged unkeyed: its meters are evaluated again (the reader checked
        // them; the same catalog gives the same contributions) for the keys.
        METER_RETURN_IF_ERROR(impl_->stager.Check(view));
        METER_RETURN_IF_ERROR(impl_->AddChecked(view));
      }
    }
    METER_RETURN_IF_ERROR(done(s.tag, inserted[i], view));
  }
  return Status::OK();
}

Status EventRecorder::Flush() {
  Status st =
      impl_->FlushSums(impl_->own_sums, impl_->keys, impl_->keys.SortedCounters(), impl_->keys.SortedUniques());
  impl_->keys.Clear();
  return st;
}

Status EventRecorder::Flush(const DeltaKeys& keys, const std::vector<uint32_t>& sorted_counters,
                            const std::vector<uint32_t>& sorted_uniques) {
  return impl_->FlushSums(impl_->sums, keys, sorted_counters, sorted_uniques);
}

Status EventRecorder::FlushDays(const store::DayRows& days) {
  Status st = impl_->events.AddDays(days);
  impl_->sums.Clear();
  return st;
}

void EventRecorder::Discard() {
  impl_->keys.Clear();
  impl_->own_sums.Clear();
  impl_->sums.Clear();
}

}  // namespace meter::ingest
