// The SQLite driver: WAL, foreign keys on, a busy timeout, one writer connection behind a
// mutex (SQLite allows one writer at a time) and a pool of reader connections.
#pragma once

#include <memory>
#include <string>

#include "storage/database.hpp"

namespace kelu::storage {

// Creates the file's folder when missing. Throws DatabaseUnavailable when it cannot open.
std::unique_ptr<Database> OpenSqlite(const std::string& path, int readers, int busy_timeout_ms);

}  // namespace kelu::storage
