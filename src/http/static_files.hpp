// The built web app (web/dist), indexed once when the server starts: a request path is looked
// up in that index and never joined to a directory, so no text of a request can name a file
// outside the app. Immutable after construction, so safe to share between threads.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace kelu::http {

class StaticFiles {
 public:
  struct File {
    std::string body;
    std::string content_type;
    bool immutable = false;  // under assets/: Vite names those files by their content
  };

  // Reads every regular file under `dir` (a missing directory is an empty app). Symbolic links
  // are followed only when what they name is itself inside `dir`.
  explicit StaticFiles(const std::string& dir);

  // The file at URL path `path` ("/assets/index-1a2b.js"), or nullptr.
  const File* Find(std::string_view path) const;
  // index.html, or nullptr when the app is not built.
  const File* Index() const { return Find("/index.html"); }
  // Whether `path` may be answered with the single page: an app route such as "/customers/12",
  // not a file name (an extension, anything under /assets/) and nothing a file path could hide
  // in (empty, "." or ".." segments, backslashes, control characters, a percent-encoded
  // separator in the raw `target`, more than 1 KiB).
  static bool IsAppRoute(std::string_view path, std::string_view target);
  std::size_t size() const { return files_.size(); }

 private:
  std::map<std::string, File, std::less<>> files_;
};

}  // namespace kelu::http
