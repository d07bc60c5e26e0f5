// Versioned schema migrations, one SQL file per version and dialect, embedded in the
// binary. Applied in order, each in its own transaction, and recorded in kelu_schema.
// A database whose schema is newer than this binary is refused.
#pragma once

#include <string>

#include "core/result.hpp"
#include "core/time.hpp"
#include "storage/database.hpp"

namespace kelu::storage {

struct MigrationReport {
  int from_version = 0;
  int to_version = 0;
};

// The newest schema version this binary knows.
int LatestSchemaVersion();

// Brings the schema up to date. Error "schema_too_new" when the database is ahead.
Result<MigrationReport> Migrate(Database& db, Timestamp now);

// Writes planner statistics for the tenant tables of an SQLite database (Migrate calls it).
void TuneSqlitePlanner(Database& db);

// The version recorded in the database (0 for an empty one).
int CurrentSchemaVersion(Database& db);

}  // namespace kelu::storage
