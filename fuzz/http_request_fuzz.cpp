// An HTTP/1.1 request as a client sends it, through Beast's parser with the server's limits,
// then the request target through ParseTarget, its cookies, and the static files' route check.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstdint>

#include "http/message.hpp"
#include "http/static_files.hpp"

namespace bhttp = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1024 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) return 0;
  const auto& msg = parser.get();
  kelu::http::Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  for (const auto& field : msg) {
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  if (kelu::http::ParseTarget(req.target, req.path, req.query)) {
    kelu::http::StaticFiles::IsAppRoute(req.path, req.target);
    for (const auto& [k, v] : req.query) req.query_param(k);
  }
  req.cookie("kelu_session");
  return 0;
}
