// StagedEvents: checked events waiting to be written, as ingest hands them
// from the thread that reads and checks records to the thread that writes
// them: their text in one arena (no allocation per event), the meter
// contributions of each (with the id of the counter or distinct value each
// goes to, delta_buffer.h), and the order to insert them in. Cleared and
// reused from chunk to chunk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "core/event.h"
#include "ingest/meters.h"

namespace meter::ingest {

class StagedEvents {
 public:
  // A field's text in the arena. 32-bit offsets suffice: a chunk closes at
  // 32 MiB of text (ingest.cc) and no record is longer than 1 MiB; they
  // keep an event's record small, which the reader writes a million times.
  struct Text {
    uint32_t offset = 0;
    uint32_t length = 0;
  };
  // The slot of a contribution staged without its key.
  static constexpr uint32_t kUnkeyed = UINT32_MAX;
  struct StagedContribution {
    const catalog::Meter* meter;
    int64_t micros;
    uint32_t slot;  // DeltaKeys::Slot, or kUnkeyed
  };
  // An event with the fields of core/event.h held as arena texts, its tag
  // (ingest: the input it came from) and its contributions [first, end).
  struct Event : BasicEvent<Text> {
    uint64_t tag = 0;
    uint32_t first_contribution = 0;
    uint32_t end_contribution = 0;
  };

  // Copies `e` and its contributions (from MeterEvaluator::Evaluate), with
  // the key id of each (`slots`, one per contribution).
  void Add(const EventView& e, uint64_t tag, const std::vector<Contribution>& contributions,
           const std::vector<uint32_t>& slots);

  size_t size() const { return events_.size(); }
  // Bytes of text held (to bound a chunk's memory).
  size_t bytes() const { return arena_.size(); }
  const Event& event(size_t i) const { return events_[i]; }
  const StagedContribution& contribution(size_t i) const { return contributions_[i]; }
  std::string_view View(Text t) const { return std::string_view(arena_.data() + t.offset, t.length); }
  EventView View(const Event& e) const;
  // Asks the CPU to load the text of event `i` (its fields are adjacent).
  void Prefetch(size_t i) const;

  // The indexes of the staged events ordered by id (equal ids in staging
  // order), so that inserting them walks the id index in order. Sorts compact
  // keys (8 bytes after the prefix all ids share, then the index) and
  // compares whole ids only on ties, so sorting stays cheap.
  std::vector<uint32_t> ById() const;

  void Clear();

 private:
  size_t CommonIdPrefix() const;

  std::vector<Event> events_;
  std::vector<StagedContribution> contributions_;
  std::string arena_;
};

}  // namespace meter::ingest
