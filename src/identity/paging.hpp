// Keyset pagination shared by every list: a page is `limit` rows below a cursor, and the
// cursor of the next page is the last row's id. Lists answer {"items", "next_cursor"}.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/json.hpp"
#include "storage/database.hpp"

namespace kelu::identity {

struct Page {
  std::optional<std::string> cursor;
  int limit = 25;
};

// The id to continue below (INT64_MAX for the first page, 0 for a malformed cursor).
std::int64_t CursorBefore(const Page& page);
// {"items": items, "next_cursor": …}: a full page gets `last_id` as the cursor.
json::object PageOf(json::array items, const Page& page, std::int64_t last_id);
// The page of `rows` (keyed by a descending id in column 0), each made JSON by `view`.
json::object PageOfRows(const storage::ResultSet& rows, const Page& page,
                        const std::function<json::object(const storage::Row&)>& view);

}  // namespace kelu::identity
