// The parts of `quota reserve` behind ReserveQuota (quota.h): storing and
// finding decisions by reservation id, and turning an allowed reservation
// into usage events. Each runs inside the caller's transaction.
#pragma once

#include <optional>
#include <string>

#include "catalog/catalog.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"
#include "usage/quota.h"

namespace meter::usage {

// The decision stored under reservation id `id`, or nullopt.
Result<std::optional<QuotaDecision>> FindReservation(store::Database& db, const std::string& id);

// Stores `d` under d.reservation_id so a retry returns it unchanged.
Status StoreReservation(store::Database& db, const QuotaDecision& d, Timestamp now);

// Records d.requested of d.meter for d.tenant at `now` through
// ingest::EventRecorder: one event of the meter's metric (sum meters) or
// d.requested events (count meters), with the fields its `where` conditions
// ask for; the first event's id is d.reservation_id, further ones add
// "#2", "#3", ... Refuses (InvalidArgument) meters a reservation cannot add
// to (max, latest, unique_count), conditions no event can meet, fractional
// counts, and an id already used by an ingested event.
Status RecordReservedUsage(store::Database& db, const catalog::Catalog& c, const QuotaDecision& d, Timestamp now);

}  // namespace meter::usage
