// Small file and text helpers shared by the server, the stores and the senders.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace kelu {

// A whole file's bytes; nullopt when it cannot be opened.
std::optional<std::string> ReadFile(const std::string& path);

// The path `root/part/part/…`, the one way to name a file from text that came from outside the
// program (a request, a tenant's data, a database row). Each part must be one plain file name:
// refused when it is empty, "." or "..", holds '/', '\\' or a control character, or is longer
// than 255 bytes; the whole is refused when, with every symbolic link that exists resolved, it
// is not inside `root` resolved the same way. The error is kNotFound, code "path_refused".
Result<std::string> PathUnder(std::string_view root, std::initializer_list<std::string_view> parts);

// True when `text` is 64 lower-case hexadecimal digits (a SHA-256 as the blob stores name it).
bool IsSha256Hex(std::string_view text);

// Percent-encoding that keeps only RFC 3986's unreserved characters (letters, digits, - . _ ~):
// query values, and file names in RFC 5987 / RFC 6266 `filename*` parameters.
std::string PercentEncode(std::string_view text);

// The wait before retry number `attempt` (1-based) of a delivery: `base_seconds`, doubled after
// each attempt up to `max_doublings` times; in microseconds.
std::int64_t RetryBackoffMicros(int base_seconds, std::int64_t attempt, int max_doublings);

}  // namespace kelu
