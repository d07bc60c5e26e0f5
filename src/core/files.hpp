// Small file and text helpers shared by the server, the stores and the senders.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kelu {

// A whole file's bytes; nullopt when it cannot be opened.
std::optional<std::string> ReadFile(const std::string& path);

// Percent-encoding that keeps only RFC 3986's unreserved characters (letters, digits, - . _ ~):
// query values, and file names in RFC 5987 / RFC 6266 `filename*` parameters.
std::string PercentEncode(std::string_view text);

// The wait before retry number `attempt` (1-based) of a delivery: `base_seconds`, doubled after
// each attempt up to `max_doublings` times; in microseconds.
std::int64_t RetryBackoffMicros(int base_seconds, std::int64_t attempt, int max_doublings);

}  // namespace kelu
