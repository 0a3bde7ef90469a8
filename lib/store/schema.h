// The versioned schema of meter's SQLite file and its forward migrations.
#pragma once

#include "core/status.h"
#include "store/database.h"

namespace meter::store {

// The newest schema version this build writes.
int LatestSchemaVersion();

// Brings the file's schema (PRAGMA user_version) up to LatestSchemaVersion(),
// each step in its own transaction, so a crash mid-migration leaves the file
// at the previous version. Refuses files newer than this build. A read-only
// open refuses a file that would need migrating.
Status Migrate(Database& db, bool read_only);

}  // namespace meter::store
