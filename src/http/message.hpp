// HTTP requests and responses as plain values, so that handlers, middleware and tests never
// include Beast or Asio (only server.cpp does).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kelu::http {

struct Request {
  std::string method;  // "GET"
  std::string target;  // path and query as sent
  std::string path;    // decoded path, without the query
  std::multimap<std::string, std::string> query;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  // Set when the route spools its body to a file (uploads): the body is in this file, not in
  // `body`. The handler may move the file away; what is left is removed after it answers.
  std::string body_file;
  std::string remote_ip;
  bool secure = false;  // arrived over TLS (or a trusted proxy said so)

  // The first header named `name` (lower case), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
  std::optional<std::string> query_param(std::string_view name) const;
  // The value of cookie `name`, or nullopt.
  std::optional<std::string> cookie(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void set_header(std::string name, std::string value);
  std::optional<std::string_view> header(std::string_view name) const;
};

// Splits "a/b?x=1&y=%E5" into a decoded path and query parameters; false when malformed.
bool ParseTarget(std::string_view target, std::string& path,
                 std::multimap<std::string, std::string>& query);

}  // namespace kelu::http
