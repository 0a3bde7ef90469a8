// Internal to lib/store: PostgreSQL's bulk path. Rows go by COPY (BulkInsert)
// into a temporary table of the session, then one statement moves them:
// a few round trips for a batch instead of one per row.
#pragma once

#include <string>

#include "store/statement.h"

namespace meter::store {

// An empty temporary table `name` of this session shaped like `shape`
// ("SELECT a, b FROM table"), made on first use. ON COMMIT DELETE ROWS
// empties it at each commit; the TRUNCATE covers a second batch in one
// transaction. One round trip. PostgreSQL only; throws on failures.
inline void EmptyStage(Database& db, const std::string& name, const std::string& shape) {
  Exec(db, "CREATE TEMP TABLE IF NOT EXISTS " + name + " ON COMMIT DELETE ROWS AS " + shape + " WITH NO DATA; " +
               "TRUNCATE " + name);
}

}  // namespace meter::store
