#include "core/files.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kelu {

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return std::move(out).str();
}

namespace {

Error Refused(std::string_view why) {
  return Error::Make(ErrorKind::kNotFound, "path_refused", "No such file (" + std::string(why) + ").");
}

bool PlainName(std::string_view part) {
  if (part.empty() || part == "." || part == ".." || part.size() > 255) return false;
  return std::none_of(part.begin(), part.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return c == '/' || c == '\\' || u < 0x20 || u == 0x7f;
  });
}

}  // namespace

Result<std::string> PathUnder(std::string_view root, std::initializer_list<std::string_view> parts) {
  namespace fs = std::filesystem;
  if (root.empty()) return Refused("no root");
  fs::path path(root);
  for (auto part : parts) {
    if (!PlainName(part)) return Refused("not a plain file name");
    path /= fs::path(part);
  }
  std::error_code ec;
  fs::path base = fs::weakly_canonical(fs::absolute(fs::path(root), ec), ec);
  if (ec) return Refused("root unreadable");
  fs::path resolved = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) return Refused("path unreadable");
  // Inside means every component of the root, in order, then at least one more.
  auto b = base.begin();
  auto r = resolved.begin();
  for (; b != base.end(); ++b, ++r) {
    if (b->empty() && std::next(b) == base.end()) break;  // a trailing separator
    if (r == resolved.end() || *r != *b) return Refused("outside its directory");
  }
  if (r == resolved.end()) return Refused("the directory itself");
  return path.string();
}

bool IsSha256Hex(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string PercentEncode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::int64_t RetryBackoffMicros(int base_seconds, std::int64_t attempt, int max_doublings) {
  return std::int64_t{base_seconds} * 1000000
         << std::clamp<std::int64_t>(attempt - 1, 0, max_doublings);
}

}  // namespace kelu
