#include "http/server.hpp"

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <vector>

namespace kelu::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto kAwait = net::as_tuple(net::use_awaitable);
// The first read of a request takes up to this much (the rest of a large header or body follows).
constexpr std::size_t kFirstRead = 8192;

struct Shared {
  ServerOptions options;
  RequestHandler handler;
  BodyRuleFor body_rule;
  ErrorResponder error_responder;
  std::atomic<bool> stopping{false};
  std::atomic<int> in_flight{0};
  // The slow lane: handlers that may take seconds run here while their shard serves on.
  std::unique_ptr<net::thread_pool> slow_lane;
};

using Clock = std::chrono::steady_clock;
struct Shard;

// A client connection and the deadline of the read or write it waits for. Deadlines are not
// timers: the shard's watchdog looks at them a few times a second and cancels what is late, so
// a request costs no timer system calls (a timer per read and write cost two a request).
class Conn {
 public:
  Conn(tcp::socket socket, Shard& shard);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  tcp::socket& socket() { return socket_; }
  // The next operations must end within `timeout`.
  void Arm(std::chrono::seconds timeout) {
    deadline_ = Clock::now() + timeout;
    timed_out_ = false;
  }
  // No deadline while the handler runs.
  void Disarm() { deadline_ = Clock::time_point::max(); }
  // Whether the last operation failed because its deadline passed.
  bool TimedOut(const boost::system::error_code& ec) const { return ec && timed_out_; }
  // Called by the watchdog: cancels the pending operation if its deadline has passed.
  void ExpireIfLate(Clock::time_point now) {
    if (now < deadline_) return;
    deadline_ = Clock::time_point::max();
    timed_out_ = true;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
  }

  Conn* prev = nullptr;
  Conn* next = nullptr;

 private:
  tcp::socket socket_;
  Shard& shard_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timed_out_ = false;
};

// One thread with an io_context of its own and the connections it serves, from read to
// write: nothing of a request crosses threads (one io_context shared by all threads woke
// another thread for most events, a few futex and epoll_ctl calls a request). The acceptor
// hands new connections to the shards in turn.
struct Shard {
  Conn* conns = nullptr;  // declared before the io_context, which destroys the sessions
  net::io_context ioc{1};

  void Add(Conn* c) {
    c->next = conns;
    if (conns) conns->prev = c;
    conns = c;
  }
  void Remove(Conn* c) {
    if (c->prev) c->prev->next = c->next;
    if (c->next) c->next->prev = c->prev;
    if (conns == c) conns = c->next;
  }
};

Conn::Conn(tcp::socket socket, Shard& shard) : socket_(std::move(socket)), shard_(shard) {
  shard_.Add(this);
}
Conn::~Conn() { shard_.Remove(this); }

// Ticks a few times a second and cancels the operations whose deadline has passed.
constexpr auto kWatchTick = std::chrono::milliseconds(250);
net::awaitable<void> Watch(Shard& shard) {
  net::steady_timer tick(co_await net::this_coro::executor);
  for (;;) {
    tick.expires_after(kWatchTick);
    auto [ec] = co_await tick.async_wait(kAwait);
    if (ec) co_return;
    auto now = Clock::now();
    for (Conn* c = shard.conns; c;) {
      Conn* next = c->next;
      c->ExpireIfLate(now);
      c = next;
    }
  }
}

// No body, and no length, for 1xx, 204 and 304 (RFC 9110 §8.6).
bool Bodiless(int status) { return status < 200 || status == 204 || status == 304; }

// The status line and header block of `r`, written directly (one buffer, no per-field
// allocation); the body follows it in the same write.
std::string ResponseHead(const Response& r, unsigned version, bool keep_alive) {
  std::string out;
  std::size_t size = 64;
  for (const auto& [k, v] : r.headers) size += k.size() + v.size() + 4;
  out.reserve(size);
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(r.status));
  out.append(reason.data(), reason.size());
  out += "\r\n";
  for (const auto& [k, v] : r.headers) {
    out += k;
    out += ": ";
    // A line break in a value would start a header of its own: it is written as a space.
    for (char c : v) out += c == '\r' || c == '\n' ? ' ' : c;
    out += "\r\n";
  }
  // HEAD has the GET's length.
  if (!Bodiless(r.status)) {
    out += "Content-Length: ";
    out += std::to_string(r.body.size());
    out += "\r\n";
  }
  if (version >= 11 && !keep_alive) out += "Connection: close\r\n";
  if (version < 11 && keep_alive) out += "Connection: keep-alive\r\n";
  out += "\r\n";
  return out;
}

// Writes `r` whole: head and body in one gather write.
net::awaitable<boost::system::error_code> WriteResponse(tcp::socket& stream, const Response& r,
                                                        unsigned version, bool keep_alive,
                                                        bool head) {
  std::string first = ResponseHead(r, version, keep_alive);
  bool with_body = !head && !Bodiless(r.status);
  std::array<net::const_buffer, 2> buffers{net::buffer(first),
                                           with_body ? net::buffer(r.body) : net::const_buffer()};
  auto [ec, n] = co_await net::async_write(stream, buffers, kAwait);
  co_return ec;
}

// Answers a request the server refuses itself, within the read timeout.
net::awaitable<void> WriteError(Conn& conn, Shared& s, int status, std::string code,
                                std::string message) {
  Response r = s.error_responder(status, std::move(code), std::move(message));
  conn.Arm(s.options.read_timeout);
  co_await WriteResponse(conn.socket(), r, 11, false, false);
}

// After refusing a request whose body is still arriving, reads and discards the rest for a
// short while before closing, so the client receives the answer instead of a reset.
net::awaitable<void> LingeringClose(Conn& conn) {
  boost::system::error_code ignored;
  conn.socket().shutdown(tcp::socket::shutdown_send, ignored);
  conn.Arm(std::chrono::seconds(5));
  std::array<char, 16384> sink;
  std::size_t total = 0;
  while (total < (64u << 20)) {
    auto [ec, n] = co_await conn.socket().async_read_some(net::buffer(sink), kAwait);
    if (ec) break;
    total += n;
  }
}

// Answers 413 to a body over `limit` and winds the connection down.
net::awaitable<void> RefuseTooLarge(Conn& conn, Shared& s, std::size_t limit) {
  co_await WriteError(
      conn, s, 413, "payload_too_large",
      "The request body is larger than this route accepts (" + std::to_string(limit) + " bytes).");
  co_await LingeringClose(conn);
}

enum class BodyRead { kDone, kClose, kRefused };

// Reads the rest of a request into `parser` (whatever its body type); on failure answers what
// the client should hear. kRefused: the connection was answered (413, 507) and wound down.
template <class Parser>
net::awaitable<BodyRead> ReadBody(Conn& conn, beast::flat_buffer& buffer, Parser& parser,
                                  std::size_t limit, Shared& s) {
  conn.Arm(s.options.read_timeout);
  auto [ec, n] = co_await bhttp::async_read(conn.socket(), buffer, parser, kAwait);
  if (!ec) co_return BodyRead::kDone;
  if (ec == bhttp::error::body_limit) {
    co_await RefuseTooLarge(conn, s, limit);
    co_return BodyRead::kRefused;
  }
  if (conn.TimedOut(ec) || ec == net::error::connection_reset) co_return BodyRead::kClose;
  // Only the parser's own errors say the request is malformed; one from writing the spooled
  // body is the server's, which the client should hear as such (and may retry).
  if (ec == std::errc::no_space_on_device || ec == std::errc::file_too_large ||
      (ec.category() == boost::system::system_category() && ec.value() == EDQUOT)) {
    co_await WriteError(conn, s, 507, "insufficient_storage",
                        "The server's storage is full; nothing was saved. Try again later.");
    co_await LingeringClose(conn);
    co_return BodyRead::kRefused;
  }
  if (ec.category() == boost::system::system_category()) {
    co_await WriteError(conn, s, 503, "spool_failed",
                        "The server cannot take the upload right now; try again.");
    co_return BodyRead::kClose;
  }
  co_await WriteError(conn, s, 400, "bad_request", "The request is not valid HTTP/1.1.");
  co_return BodyRead::kClose;
}

template <class Body>
Request ToRequest(const bhttp::request<Body>& msg, const std::string& remote) {
  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  req.remote_ip = remote;
  for (const auto& f : msg) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  return req;
}

net::awaitable<void> Session(tcp::socket socket, Shard& shard, std::shared_ptr<Shared> s) {
  Conn conn(std::move(socket), shard);
  tcp::socket& stream = conn.socket();
  std::string remote;
  {
    boost::system::error_code ec;
    auto ep = stream.remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string();
  }
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(s->options.header_limit));
    // The limit depends on the route, known once the header is read; Beast would check a
    // Content-Length against it while parsing the header, so it is lifted until then.
    parser.body_limit(boost::none);
    // Waiting for the first byte of a request is idle time; the rest is read time.
    boost::system::error_code ec;
    // (A read, not a wait for readability: Asio re-arms epoll for every such wait, a system
    // call a request.)
    if (buffer.size() == 0) {
      conn.Arm(s->options.idle_timeout);
      std::size_t got = 0;
      std::tie(ec, got) = co_await stream.async_read_some(buffer.prepare(kFirstRead), kAwait);
      if (ec) break;
      buffer.commit(got);
    }
    conn.Arm(s->options.read_timeout);
    std::tie(ec, std::ignore) = co_await bhttp::async_read_header(stream, buffer, parser, kAwait);
    if (ec) {
      if (ec == bhttp::error::header_limit) {
        co_await WriteError(conn, *s, 431, "header_too_large",
                            "The request headers are too large.");
      } else if (ec != bhttp::error::end_of_stream && ec != net::error::operation_aborted &&
                 ec != net::error::connection_reset && ec != net::error::eof) {
        co_await WriteError(conn, *s, 400, "bad_request", "The request is not valid HTTP/1.1.");
      }
      break;
    }
    s->in_flight.fetch_add(1);
    struct Done {
      Shared& s;
      ~Done() { s.in_flight.fetch_sub(1); }
    } done{*s};

    auto& header = parser.get();
    unsigned header_version = header.version();
    BodyRule rule;
    if (s->body_rule) {
      rule = s->body_rule(
          std::string_view(header.method_string().data(), header.method_string().size()),
          std::string_view(header.target().data(), header.target().size()));
    }
    std::size_t limit = rule.limit ? rule.limit : s->options.body_limit;
    parser.body_limit(limit);
    if (auto len = parser.content_length(); len && *len > limit) {
      co_await RefuseTooLarge(conn, *s, limit);
      co_return;
    }
    if (bhttp::token_list{header[bhttp::field::expect]}.exists("100-continue")) {
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, header.version()};
      conn.Arm(s->options.read_timeout);
      auto [wec, wn] = co_await bhttp::async_write(stream, cont, kAwait);
      if (wec) break;
    }
    Request req;
    bool keep_alive = false;
    if (rule.file.empty()) {
      BodyRead got = co_await ReadBody(conn, buffer, parser, limit, *s);
      if (got == BodyRead::kRefused) co_return;
      if (got == BodyRead::kClose) break;
      auto msg = parser.release();
      req = ToRequest(msg, remote);
      req.body = std::move(msg.body());
      keep_alive = msg.keep_alive();
    } else {
      // Spooled: the body goes to the file as it arrives, never whole in memory.
      bhttp::request_parser<bhttp::file_body> spool{std::move(parser)};
      spool.body_limit(limit);
      beast::error_code opened;
      spool.get().body().open(rule.file.c_str(), beast::file_mode::write_new, opened);
      if (opened) {
        co_await WriteError(conn, *s, 503, "spool_failed",
                            "The server cannot take the upload right now; try again.");
        break;
      }
      BodyRead got = co_await ReadBody(conn, buffer, spool, limit, *s);
      if (got != BodyRead::kDone) {
        std::error_code ignored;
        spool.get().body().close();
        std::filesystem::remove(rule.file, ignored);
        if (got == BodyRead::kRefused) co_return;
        break;
      }
      auto msg = spool.release();
      msg.body().close();
      req = ToRequest(msg, remote);
      req.body_file = rule.file;
      keep_alive = msg.keep_alive();
    }
    keep_alive = keep_alive && !s->stopping.load();
    conn.Disarm();
    Response r;
    if (rule.slow) {
      r = co_await net::co_spawn(
          *s->slow_lane, [&]() -> net::awaitable<Response> { co_return s->handler(req); },
          net::use_awaitable);
    } else {
      r = s->handler(req);
    }
    conn.Arm(s->options.read_timeout);
    auto wec = co_await WriteResponse(stream, r, header_version, keep_alive, req.method == "HEAD");
    if (wec || !keep_alive) break;
  }
  boost::system::error_code ignored;
  stream.shutdown(tcp::socket::shutdown_send, ignored);
}

// Accepts connections and hands them to the shards in turn.
net::awaitable<void> Listen(tcp::acceptor& acceptor, std::vector<std::unique_ptr<Shard>>& shards,
                            std::shared_ptr<Shared> s) {
  std::size_t turn = 0;
  for (;;) {
    Shard& shard = *shards[turn];
    turn = (turn + 1) % shards.size();
    auto [ec, socket] = co_await acceptor.async_accept(shard.ioc, kAwait);
    if (ec) {
      if (!acceptor.is_open() || s->stopping.load()) co_return;
      continue;  // e.g. too many open files: keep serving the others
    }
    socket.set_option(tcp::no_delay(true), ec);
    net::co_spawn(shard.ioc, Session(std::move(socket), shard, s), net::detached);
  }
}

}  // namespace

void RunServer(const ServerOptions& options, RequestHandler handler, BodyRuleFor body_rule,
               ErrorResponder error_responder, const OnListening& on_listening) {
  auto shared = std::make_shared<Shared>();
  shared->options = options;
  shared->handler = std::move(handler);
  shared->body_rule = std::move(body_rule);
  shared->error_responder = std::move(error_responder);

  int threads = options.threads > 0 ? options.threads : 1;
  shared->slow_lane = std::make_unique<net::thread_pool>(threads);
  std::vector<std::unique_ptr<Shard>> shards;
  for (int i = 0; i < threads; ++i) shards.push_back(std::make_unique<Shard>());
  auto stop_all = [&shards] {
    for (auto& shard : shards) shard->ioc.stop();
  };
  // The acceptor, the signals and the drain live on the first shard, whose thread is this one.
  net::io_context& ioc = shards.front()->ioc;
  boost::system::error_code ec;
  auto address = net::ip::make_address(options.host, ec);
  if (ec) throw std::runtime_error("invalid listen address " + options.host);
  tcp::acceptor acceptor(ioc);
  tcp::endpoint endpoint(address, options.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + options.host + ":" +
                             std::to_string(options.port) + ": " + ec.message());
  }
  // Signals are caught before anyone is told the server listens.
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  net::co_spawn(ioc, Listen(acceptor, shards, shared), net::detached);
  for (auto& shard : shards) net::co_spawn(shard->ioc, Watch(*shard), net::detached);
  net::steady_timer drain(ioc);
  auto deadline = std::make_shared<Clock::time_point>();
  std::function<void()> wait_drain = [&] {
    drain.expires_after(std::chrono::milliseconds(20));
    drain.async_wait([&](boost::system::error_code) {
      if (shared->in_flight.load() == 0 || Clock::now() >= *deadline) {
        stop_all();
      } else {
        wait_drain();
      }
    });
  };
  signals.async_wait([&](boost::system::error_code e, int) {
    if (e) return;
    shared->stopping.store(true);
    boost::system::error_code ignored;
    acceptor.close(ignored);
    *deadline = Clock::now() + options.shutdown_grace;
    wait_drain();
  });

  if (on_listening) on_listening(acceptor.local_endpoint().port());
  std::vector<std::thread> pool;
  for (std::size_t i = 1; i < shards.size(); ++i) {
    pool.emplace_back([&shard = *shards[i]] { shard.ioc.run(); });
  }
  ioc.run();
  for (auto& t : pool) t.join();
  // A slow handler still running past the grace period finishes before the shards go (its
  // answer is then dropped with its connection).
  shared->slow_lane->join();
}

}  // namespace kelu::http
