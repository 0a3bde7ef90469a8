#include "ingest/staged_events.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

namespace meter::ingest {

void StagedEvents::Add(const EventView& e, uint64_t tag, const std::vector<Contribution>& contributions,
                       const std::vector<uint32_t>& slots) {
  // The event's texts go into the arena one after the other, which grows
  // once for all of them.
  size_t total = 0;
  ForEachEventField(e, e, [&total](EventColumn, const auto& field, const auto&) {
    if constexpr (std::is_same_v<std::decay_t<decltype(field)>, std::string_view>) total += field.size();
  });
  size_t at = arena_.size();
  arena_.resize(at + total);
  char* arena = arena_.data();
  // Filled where it lies: the chunk's memory is cold, so each byte is
  // written once.
  Event& s = events_.emplace_back();
  ForEachEventField(s, e, [&at, arena](EventColumn, auto& to, const auto& from) {
    if constexpr (std::is_same_v<std::decay_t<decltype(to)>, Text>) {
      to = Text{static_cast<uint32_t>(at), static_cast<uint32_t>(from.size())};
      if (!from.empty()) std::memcpy(arena + at, from.data(), from.size());
      at += from.size();
    } else {
      to = from;
    }
  });
  s.tag = tag;
  s.first_contribution = static_cast<uint32_t>(contributions_.size());
  s.end_contribution = static_cast<uint32_t>(contributions_.size() + contributions.size());
  for (size_t i = 0; i < contributions.size(); ++i)
    contributions_.push_back({contributions[i].meter, contributions[i].micros, slots[i]});
}

EventView StagedEvents::View(const Event& e) const {
  EventView v;
  ForEachEventField(v, e, [this](EventColumn, auto& to, const auto& from) {
    if constexpr (std::is_same_v<std::decay_t<decltype(from)>, Text>) to = View(from);
    else to = from;
  });
  return v;
}

void StagedEvents::Prefetch(size_t i) const {
  const char* p = arena_.data() + events_[i].id.offset;
  __builtin_prefetch(p);
  __builtin_prefetch(p + 64);
}

// How many leading bytes every staged id shares ("evt_2602..." ids share
// several): they say nothing about the order.
size_t StagedEvents::CommonIdPrefix() const {
  if (events_.empty()) return 0;
  std::string_view first = View(events_.front().id);
  size_t common = first.size();
  for (const Event& e : events_) {
    std::string_view id = View(e.id);
    size_t n = 0, limit = std::min(common, id.size());
    while (n < limit && id[n] == first[n]) ++n;
    common = n;
  }
  return common;
}

std::vector<uint32_t> StagedEvents::ById() const {
  size_t common = CommonIdPrefix();
  struct Key {
    uint64_t head;
    uint32_t index;
  };
  std::vector<Key> keys;
  keys.reserve(events_.size());
  for (size_t i = 0; i < events_.size(); ++i) {
    std::string_view id = View(events_[i].id).substr(common);
    uint64_t head = 0;
    for (size_t b = 0; b < 8; ++b) head = head << 8 | (b < id.size() ? static_cast<unsigned char>(id[b]) : 0);
    keys.push_back({head, static_cast<uint32_t>(i)});
  }
  std::sort(keys.begin(), keys.end(), [this](const Key& a, const Key& b) {
    if (a.head != b.head) return a.head < b.head;
    std::string_view x = View(events_[a.index].id), y = View(events_[b.index].id);
    return x != y ? x < y : a.index < b.index;
  });
  std::vector<uint32_t> order;
  order.reserve(keys.size());
  for (const Key& k : keys) order.push_back(k.index);
  return order;
}

void StagedEvents::Clear() {
  events_.clear();
  contributions_.clear();
  arena_.clear();
}

}  // namespace meter::ingest
