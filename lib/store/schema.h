// The versioned schema of meter's database (SQLite file or PostgreSQL schema)
// and its forward migrations. Migrations are written in SQLite's DDL; the
// PostgreSQL driver rewrites types (store/dialect.h).
#pragma once

#include "core/status.h"
#include "store/database.h"

namespace meter::store {

// The newest schema version this build writes.
int LatestSchemaVersion();

// Brings the schema version (SQLite: PRAGMA user_version; PostgreSQL: the
// meter_schema table) up to LatestSchemaVersion(),
// each step in its own transaction, so a crash mid-migration leaves the file
// at the previous version. Refuses files newer than this build. A read-only
// open refuses a file that would need migrating.
Status Migrate(Database& db, bool read_only);

}  // namespace meter::store
