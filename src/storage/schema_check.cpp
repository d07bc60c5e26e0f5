#include "storage/schema_check.hpp"

#include <algorithm>
#include <functional>
#include <map>

namespace kelu::storage {

const std::vector<std::string> kGlobalTables = {
    "kelu_schema",       "kelu_ids",       "kelu_settings", "job_runs",          "operators",
    "operator_sessions", "operator_audit", "price_lists",   "document_counters", "idempotency_keys",
    "calendar_years",    "outbox",         "announcements", "integrations",      "sensitive_words",
    "callback_signatures",
};

namespace {

struct TableInfo {
  std::vector<std::string> columns;
  std::vector<std::string> primary_key;  // in key order
  // Each foreign key: (local columns in order, referenced table, referenced columns).
  struct ForeignKey {
    std::vector<std::string> from;
    std::string table;
    std::vector<std::string> to;
  };
  std::vector<ForeignKey> foreign_keys;
};

std::map<std::string, TableInfo> ReadSqlite(Connection& c) {
  std::map<std::string, TableInfo> out;
  auto tables =
      c.Query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  // Virtual tables (the FTS5 index) and their shadow tables hold no keys of their own: the
  // rows they index live in an ordinary, checked table.
  std::vector<std::string> virtual_tables;
  for (const auto& r : c.Query("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE "
                               "'CREATE VIRTUAL TABLE%'")
                           .rows) {
    virtual_tables.push_back(r.text(0));
  }
  for (const auto& t : tables.rows) {
    std::string name = t.text(0);
    bool shadow = false;
    for (const auto& vt : virtual_tables) {
      shadow = shadow || name == vt || name.starts_with(vt + "_");
    }
    if (shadow) continue;
    TableInfo info;
    auto cols = c.Query("SELECT name, pk FROM pragma_table_info(?) ORDER BY cid", {V(name)});
    std::vector<std::pair<std::int64_t, std::string>> pk;
    for (const auto& col : cols.rows) {
      info.columns.push_back(col.text(0));
      if (col.integer(1) > 0) pk.emplace_back(col.integer(1), col.text(0));
    }
    std::sort(pk.begin(), pk.end());
    for (auto& [i, n] : pk) info.primary_key.push_back(n);
    auto fks = c.Query(
        "SELECT id, seq, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?) "
        "ORDER BY id, seq",
        {V(name)});
    std::int64_t current = -1;
    for (const auto& fk : fks.rows) {
      if (fk.integer(0) != current) {
        current = fk.integer(0);
        info.foreign_keys.push_back({{}, fk.text(2), {}});
      }
      info.foreign_keys.back().from.push_back(fk.text(3));
      info.foreign_keys.back().to.push_back(fk.text(4));
    }
    out.emplace(name, std::move(info));
  }
  return out;
}

std::map<std::string, TableInfo> ReadPostgres(Connection& c) {
  std::map<std::string, TableInfo> out;
  auto cols = c.Query(
      "SELECT table_name, column_name FROM information_schema.columns "
      "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position");
  for (const auto& r : cols.rows) out[r.text(0)].columns.push_back(r.text(1));
  // Constraint columns in key order, for primary and foreign keys.
  auto keys = c.Query(
      "SELECT con.conname, con.contype, rel.relname, "
      "  (SELECT relname FROM pg_class WHERE oid = con.confrelid), k.ord, "
      "  (SELECT attname FROM pg_attribute WHERE attrelid = con.conrelid AND attnum = k.attnum), "
      "  (SELECT attname FROM pg_attribute WHERE attrelid = con.confrelid "
      "     AND attnum = con.confkey[k.ord]) "
      "FROM pg_constraint con "
      "JOIN pg_class rel ON rel.oid = con.conrelid "
      "JOIN pg_namespace ns ON ns.oid = rel.relnamespace AND ns.nspname = current_schema() "
      "CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) "
      "WHERE con.contype IN ('p', 'f') ORDER BY rel.relname, con.conname, k.ord");
  std::string last_constraint;
  for (const auto& r : keys.rows) {
    TableInfo& info = out[r.text(2)];
    if (r.text(1) == "p") {
      info.primary_key.push_back(r.text(5));
      continue;
    }
    std::string constraint = r.text(2) + "." + r.text(0);
    if (constraint != last_constraint) {
      info.foreign_keys.push_back({{}, r.text(3), {}});
      last_constraint = constraint;
    }
    info.foreign_keys.back().from.push_back(r.text(5));
    info.foreign_keys.back().to.push_back(r.text(6));
  }
  return out;
}

}  // namespace

std::vector<std::string> TenantTablesChildrenFirst(Connection& c) {
  auto tables = c.dialect() == Dialect::kSqlite ? ReadSqlite(c) : ReadPostgres(c);
  std::vector<std::string> order;
  std::map<std::string, int> state;  // 0 unseen, 1 visiting, 2 done
  // A table goes after every table that references it (depth-first over "referenced by").
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    if (state[name] != 0) return;
    state[name] = 1;
    for (const auto& [other, info] : tables) {
      if (other == name) continue;
      for (const auto& fk : info.foreign_keys) {
        if (fk.table == name) visit(other);
      }
    }
    state[name] = 2;
    const auto& info = tables.at(name);
    if (std::find(info.columns.begin(), info.columns.end(), "tenant_id") != info.columns.end()) {
      order.push_back(name);
    }
  };
  for (const auto& entry : tables) visit(entry.first);
  return order;
}

std::vector<std::string> TenantKeyViolations(Database& db) {
  auto tables = db.Read([](Connection& c) {
    return c.dialect() == Dialect::kSqlite ? ReadSqlite(c) : ReadPostgres(c);
  });
  std::vector<std::string> problems;
  for (const auto& [name, info] : tables) {
    bool global =
        std::find(kGlobalTables.begin(), kGlobalTables.end(), name) != kGlobalTables.end();
    bool has_tenant =
        std::find(info.columns.begin(), info.columns.end(), "tenant_id") != info.columns.end();
    if (global) {
      if (has_tenant) problems.push_back(name + ": a global table must not have tenant_id");
      continue;
    }
    if (!has_tenant) {
      problems.push_back(name + ": neither tenant-owned (no tenant_id) nor listed as global");
      continue;
    }
    if (info.primary_key.empty() || info.primary_key.front() != "tenant_id") {
      problems.push_back(name + ": primary key does not start with tenant_id");
    }
    for (const auto& fk : info.foreign_keys) {
      if (fk.from.empty() || fk.from.front() != "tenant_id" || fk.to.empty() ||
          fk.to.front() != "tenant_id") {
        problems.push_back(name + ": foreign key to " + fk.table + " does not lead with tenant_id");
      }
    }
  }
  return problems;
}

}  // namespace kelu::storage
