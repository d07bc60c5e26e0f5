// The HTTP/1.1 server (Boost.Beast on Asio, C++20 coroutines): keep-alive, N worker
// threads each serving the connections handed to it, header and body limits (per route through
// BodyRuleFor, which may also spool a body to a file), an idle timeout until a request's first
// byte and a read timeout from there to its end, and graceful shutdown on SIGTERM/SIGINT: stop
// accepting, let in-flight requests finish within the grace period, then stop. Handlers run on
// the worker threads and must be thread-safe; while one runs, the other connections of its
// thread wait. This header keeps Beast and Asio out of everything that includes it.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "http/message.hpp"

namespace kelu::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;  // 0: any free port (reported through on_listening)
  int threads = 1;
  std::size_t header_limit = std::size_t{16} * 1024;
  std::size_t body_limit = std::size_t{1024} * 1024;
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds shutdown_grace{10};
  bool trust_proxy = false;
};

using RequestHandler = std::function<Response(Request&)>;
// How a request's body is read, from its method and target (known once the header is in).
struct BodyRule {
  std::size_t limit = 0;  // 0 keeps the default
  std::string file;       // not empty: the body is written to this new file, not held in memory
  bool slow = false;      // the handler may take seconds: run it off the connection's thread
};
using BodyRuleFor = std::function<BodyRule(std::string_view method, std::string_view target)>;
// Called once the socket listens, with the port it is bound to.
using OnListening = std::function<void(unsigned short port)>;
// Builds the answer for a request the server refuses before any handler (400, 413, 431).
using ErrorResponder = std::function<Response(int status, std::string code, std::string message)>;

// Serves until SIGTERM or SIGINT. Throws std::runtime_error when it cannot listen.
void RunServer(const ServerOptions& options, RequestHandler handler, BodyRuleFor body_rule,
               ErrorResponder error_responder, const OnListening& on_listening);

}  // namespace kelu::http
