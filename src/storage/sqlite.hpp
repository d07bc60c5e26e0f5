// The SQLite driver: WAL, foreign keys on, a busy timeout, one writer connection behind a
// mutex (SQLite allows one writer at a time) and a pool of reader connections.
#pragma once

#include <memory>
#include <string>

#include "storage/database.hpp"

namespace kelu::storage {

// The WAL's length, in pages, at which a thread of the database copies it into the file.
inline constexpr int kCheckpointPages = 8192;  // 32 MB

// Creates the file's folder when missing. Throws DatabaseUnavailable when it cannot open.
// `checkpoint_pages` <= 0 leaves checkpoints to SQLite's own (by the committing writer).
std::unique_ptr<Database> OpenSqlite(const std::string& path, int readers, int busy_timeout_ms,
                                     int checkpoint_pages = kCheckpointPages);

}  // namespace kelu::storage
