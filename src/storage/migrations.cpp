#include "storage/migrations.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <vector>

namespace kelu::storage {

// Generated from migrations/*/*.sql by cmake/EmbedFiles.cmake.
std::vector<std::pair<std::string_view, std::string_view>> SqliteMigrationFiles();
std::vector<std::pair<std::string_view, std::string_view>> PostgresMigrationFiles();

namespace {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

std::vector<Migration> MigrationsFor(Dialect d) {
  auto files = d == Dialect::kSqlite ? SqliteMigrationFiles() : PostgresMigrationFiles();
  std::vector<Migration> out;
  out.reserve(files.size());
  for (const auto& [name, sql] : files) {
    out.push_back(Migration{std::stoi(std::string(name.substr(0, 4))), name, sql});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.version < b.version; });
  return out;
}

void EnsureSchemaTable(Connection& c) {
  c.ExecScript(
      "CREATE TABLE IF NOT EXISTS kelu_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
      "applied_at BIGINT NOT NULL)");
}

}  // namespace

int LatestSchemaVersion() {
  auto all = MigrationsFor(Dialect::kSqlite);
  return all.empty() ? 0 : all.back().version;
}

int CurrentSchemaVersion(Database& db) {
  return db.Read([](Connection& c) {
    bool exists =
        c.dialect() == Dialect::kSqlite
            ? c.QueryInt("SELECT count(*) FROM sqlite_master WHERE name = 'kelu_schema'") > 0
            : c.QueryInt(
                  "SELECT count(*) FROM information_schema.tables WHERE table_name = "
                  "'kelu_schema' AND table_schema = current_schema()") > 0;
    if (!exists) return 0;
    return static_cast<int>(c.QueryInt("SELECT coalesce(max(version), 0) FROM kelu_schema"));
  });
}

Result<MigrationReport> Migrate(Database& db, Timestamp now) {
  MigrationReport report;
  report.from_version = CurrentSchemaVersion(db);
  int latest = LatestSchemaVersion();
  if (report.from_version > latest) {
    return Error::Make(ErrorKind::kConflict, "schema_too_new",
                       fmt::format("The database schema is version {}, newer than this program "
                                   "knows ({}). Run a newer kelu.",
                                   report.from_version, latest));
  }
  for (const Migration& m : MigrationsFor(db.dialect())) {
    Status applied = db.Write([&](Connection& c) -> Status {
      if (c.dialect() == Dialect::kPostgres) {
        // One migrator at a time across processes.
        c.Query("SELECT pg_advisory_xact_lock(7150001)");
      }
      EnsureSchemaTable(c);
      if (c.QueryInt("SELECT count(*) FROM kelu_schema WHERE version = ?", {V(m.version)}) > 0) {
        return OkStatus();
      }
      c.ExecScript(m.sql);
      c.Exec("INSERT INTO kelu_schema (version, name, applied_at) VALUES (?, ?, ?)",
             {V(m.version), V(m.name), V(ToMicros(now))});
      return OkStatus();
    });
    KELU_RETURN_IF_ERROR(applied);
  }
  report.to_version = CurrentSchemaVersion(db);
  return report;
}

}  // namespace kelu::storage
