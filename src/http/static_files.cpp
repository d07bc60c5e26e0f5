#include "http/static_files.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "core/files.hpp"

namespace kelu::http {

namespace fs = std::filesystem;

namespace {

std::string_view ContentTypeOf(const fs::path& p) {
  static const std::map<std::string, std::string_view, std::less<>> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"}};
  auto it = types.find(p.extension().string());
  return it == types.end() ? std::string_view("application/octet-stream") : it->second;
}

bool Inside(const fs::path& base, const fs::path& p) {
  auto [b, r] = std::mismatch(base.begin(), base.end(), p.begin(), p.end());
  return b == base.end() && r != p.end();
}

}  // namespace

StaticFiles::StaticFiles(const std::string& dir) {
  std::error_code ec;
  fs::path base = fs::canonical(dir, ec);
  if (ec) return;  // not built: the server answers a placeholder page
  auto options = fs::directory_options::follow_directory_symlink;
  for (auto it = fs::recursive_directory_iterator(base, options, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    fs::path real = fs::canonical(it->path(), ec);
    if (ec || !Inside(base, real)) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      spdlog::warn("web app: {} leads outside {}; not served", it->path().string(), dir);
      ec.clear();
      continue;
    }
    if (!fs::is_regular_file(real, ec)) continue;
    auto body = ReadFile(real.string());
    if (!body) continue;
    std::string url = "/" + it->path().lexically_relative(base).generic_string();
    files_.emplace(url, File{std::move(*body), std::string(ContentTypeOf(real)),
                             url.starts_with("/assets/")});
  }
}

const StaticFiles::File* StaticFiles::Find(std::string_view path) const {
  auto it = files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

bool StaticFiles::IsAppRoute(std::string_view path, std::string_view target) {
  if (path.empty() || path.front() != '/' || path.size() > 1024) return false;
  if (path == "/") return true;
  if (path.starts_with("/assets/") || path == "/assets") return false;
  auto raw = target.substr(0, target.find('?'));
  for (std::string_view encoded : {"%2f", "%2F", "%5c", "%5C", "%00"}) {
    if (raw.find(encoded) != std::string_view::npos) return false;
  }
  std::string_view rest = path.substr(1);
  while (true) {
    auto slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    if (segment.empty() || segment == "." || segment == "..") {
      // Only a single trailing slash ("/customers/") may leave an empty segment.
      if (!(segment.empty() && slash == std::string_view::npos && rest.empty())) return false;
    }
    for (char c : segment) {
      auto u = static_cast<unsigned char>(c);
      if (c == '\\' || u < 0x20 || u == 0x7f) return false;
    }
    if (slash == std::string_view::npos) {
      return segment.find('.') == std::string_view::npos;  // "x.js" names a file, not a route
    }
    rest = rest.substr(slash + 1);
  }
}

}  // namespace kelu::http
