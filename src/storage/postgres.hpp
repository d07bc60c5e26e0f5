// The PostgreSQL driver: libpq, a pool of connections created on demand, prepared
// statements cached per connection, and automatic reconnection after the server restarts.
#pragma once

#include <memory>
#include <string>

#include "storage/database.hpp"

namespace kelu::storage {

// Connects lazily; throws DatabaseUnavailable only when the first connection fails.
std::unique_ptr<Database> OpenPostgres(const std::string& url, int pool_size);

// Rewrites `?` placeholders (outside quotes) to $1, $2, …
std::string NumberPlaceholders(std::string_view sql);

}  // namespace kelu::storage
