// Copies every row of one kelu database into another, empty one: how a deployment moves from
// the embedded SQLite to PostgreSQL (`kelu copy-db --to postgresql://…`). Both must be at the
// same schema version (the caller migrates them). Tables are copied parents first, each
// streamed (PostgreSQL receives COPY), all in one transaction on the destination; the id
// sequence continues after the source's last id. SQLite's full-text tables are rebuilt
// from search_docs when the destination is SQLite; PostgreSQL indexes search_docs itself.
#pragma once

#include <functional>
#include <string>

#include "core/result.hpp"
#include "storage/database.hpp"

namespace kelu::storage {

// `progress(table, rows)` after each table. 409 destination_not_empty when the destination
// holds a tenant or an operator.
Status CopyDatabase(Database& from, Database& to,
                    const std::function<void(const std::string&, std::int64_t)>& progress);

}  // namespace kelu::storage
