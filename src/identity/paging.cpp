#include "identity/paging.hpp"

#include <charconv>
#include <cstdint>

namespace kelu::identity {

std::int64_t CursorBefore(const Page& page) {
  if (!page.cursor) return INT64_MAX;
  std::int64_t id = 0;
  auto [p, ec] =
      std::from_chars(page.cursor->data(), page.cursor->data() + page.cursor->size(), id);
  if (ec != std::errc{} || id <= 0) return 0;
  return id;
}

json::object PageOf(json::array items, const Page& page, std::int64_t last_id) {
  bool full = static_cast<int>(items.size()) >= page.limit;
  json::object out;
  out["items"] = std::move(items);
  out["next_cursor"] = full ? json::value(std::to_string(last_id)) : json::value(nullptr);
  return out;
}

json::object PageOfRows(const storage::ResultSet& rows, const Page& page,
                        const std::function<json::object(const storage::Row&)>& view) {
  json::array items;
  std::int64_t last = 0;
  for (const auto& r : rows.rows) {
    items.push_back(view(r));
    last = r.integer(0);
  }
  return PageOf(std::move(items), page, last);
}

}  // namespace kelu::identity
