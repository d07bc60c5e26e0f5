#include "storage/copy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace kelu::storage {
namespace {

// Tables kelu keeps for itself on each side, and the search indexes, which differ between
// the two (SQLite's full-text tables, PostgreSQL's bigram table) and are built again from the
// copied documents (search_docs).
bool Copied(const std::string& table) {
  return table != "kelu_schema" && table != "kelu_ids" && !table.starts_with("sqlite_") &&
         !table.starts_with("search_fts") && !table.starts_with("search_grams") &&
         table != "search_bigrams";
}

// Each table's columns, in order.
std::map<std::string, std::vector<std::string>> Tables(Connection& c) {
  std::map<std::string, std::vector<std::string>> out;
  if (c.dialect() == Dialect::kSqlite) {
    for (const auto& t : c.Query("SELECT name FROM sqlite_master WHERE type = 'table'").rows) {
      if (!Copied(t.text(0))) continue;
      auto& cols = out[t.text(0)];
      for (const auto& col : c.Query(fmt::format("PRAGMA table_info({})", t.text(0))).rows) {
        cols.push_back(col.text(1));
      }
    }
    return out;
  }
  for (const auto& r : c.Query("SELECT table_name, column_name FROM information_schema.columns "
                               "WHERE table_schema = current_schema() ORDER BY table_name, "
                               "ordinal_position")
                           .rows) {
    if (Copied(r.text(0))) out[r.text(0)].push_back(r.text(1));
  }
  return out;
}

// Each table's parents (the tables its foreign keys reference).
std::map<std::string, std::set<std::string>> Parents(Connection& c,
                                                     const std::vector<std::string>& tables) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& t : tables) out[t];
  if (c.dialect() == Dialect::kSqlite) {
    for (const auto& t : tables) {
      for (const auto& fk : c.Query(fmt::format("PRAGMA foreign_key_list({})", t)).rows) {
        if (fk.text(2) != t) out[t].insert(fk.text(2));
      }
    }
    return out;
  }
  for (const auto& r :
       c.Query("SELECT DISTINCT cl.relname, pcl.relname FROM pg_constraint k JOIN pg_class cl "
               "ON cl.oid = k.conrelid JOIN pg_class pcl ON pcl.oid = k.confrelid WHERE "
               "k.contype = 'f' AND cl.relnamespace = current_schema()::regnamespace")
           .rows) {
    if (r.text(0) != r.text(1) && out.count(r.text(0))) out[r.text(0)].insert(r.text(1));
  }
  return out;
}

}  // namespace

Status CopyDatabase(Database& from, Database& to,
                    const std::function<void(const std::string&, std::int64_t)>& progress) {
  auto source = from.Read([](Connection& c) { return Tables(c); });
  return to.Write([&](Connection& dest) -> Status {
    if (dest.QueryInt("SELECT count(*) FROM tenants") > 0 ||
        dest.QueryInt("SELECT count(*) FROM operators") > 0) {
      return Error::Conflict("destination_not_empty",
                             "The destination database already holds tenants or operators.");
    }
    auto target = Tables(dest);
    std::vector<std::string> names;
    for (const auto& [t, cols] : target) {
      if (!source.count(t)) {
        return Error::Conflict("schema_mismatch",
                               "Table " + t + " is missing from the source: migrate both first.");
      }
      names.push_back(t);
    }
    // Parents before children; a cycle would leave tables unplaced.
    auto parents = Parents(dest, names);
    std::vector<std::string> order;
    std::set<std::string> placed;
    while (order.size() < names.size()) {
      bool moved = false;
      for (const auto& t : names) {
        if (placed.count(t)) continue;
        bool ready = std::all_of(parents[t].begin(), parents[t].end(), [&](const std::string& p) {
          return placed.count(p) || !parents.count(p);
        });
        if (!ready) continue;
        order.push_back(t);
        placed.insert(t);
        moved = true;
      }
      if (!moved)
        return Error::Make(ErrorKind::kInternal, "fk_cycle", "Foreign keys form a cycle.");
    }
    // Whatever a fresh migration seeded goes first, children before parents.
    for (auto it = order.rbegin(); it != order.rend(); ++it) dest.Exec("DELETE FROM " + *it);
    for (const auto& t : order) {
      std::vector<std::string> cols;
      for (const auto& col : target.at(t)) {
        const auto& have = source.at(t);
        if (std::find(have.begin(), have.end(), col) != have.end()) cols.push_back(col);
      }
      std::string list;
      for (const auto& col : cols) list += (list.empty() ? "" : ", ") + col;
      std::int64_t rows = 0;
      dest.CopyIn(t, cols, [&](const Connection::RowSink& put) {
        from.Read([&](Connection& src) {
          src.ForEach(fmt::format("SELECT {} FROM {}", list, t), {}, [&](const Row& r) {
            put(r);
            ++rows;
          });
        });
      });
      if (progress) progress(t, rows);
    }
    std::int64_t last_id = from.Read([](Connection& c) {
      return c.dialect() == Dialect::kSqlite ? c.QueryInt("SELECT value FROM kelu_ids")
                                             : c.QueryInt("SELECT last_value FROM kelu_ids");
    });
    if (dest.dialect() == Dialect::kSqlite) {
      dest.Exec("UPDATE kelu_ids SET value = ?", {V(last_id)});
      dest.Exec("INSERT INTO search_fts (search_fts) VALUES ('rebuild')");
      dest.Exec("INSERT INTO search_grams (search_grams) VALUES ('rebuild')");
    } else {
      dest.QueryInt("SELECT setval('kelu_ids', ?)", {V(last_id)});
      // Each document's 2-character tokens are 't' tenant '.' pair, each once (see
      // crm/search.cpp). In key order, so the index is written front to back. The rows come
      // from the documents, so their foreign key is checked once, as the constraint is put
      // back (one join), instead of once per row: a third of the time.
      auto keys = dest.Query(
          "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = "
          "'search_bigrams'::regclass AND contype = 'f'");
      for (const auto& k : keys.rows) {
        dest.Exec(fmt::format("ALTER TABLE search_bigrams DROP CONSTRAINT \"{}\"", k.text(0)));
      }
      dest.Exec(
          "INSERT INTO search_bigrams (tenant_id, gram, doc_id) SELECT d.tenant_id, "
          "substr(t.token, strpos(t.token, '.') + 1), d.doc_id FROM search_docs d CROSS JOIN "
          "LATERAL unnest(string_to_array(d.grams, ' ')) AS t(token) WHERE d.grams <> '' "
          "ORDER BY 1, 2, 3");
      for (const auto& k : keys.rows) {
        dest.Exec(fmt::format("ALTER TABLE search_bigrams ADD CONSTRAINT \"{}\" {}", k.text(0),
                              k.text(1)));
      }
    }
    return OkStatus();
  });
}

}  // namespace kelu::storage
