// Start here for storage: one database interface over SQLite (the embedded default) and
// PostgreSQL (production). SQL is written once with `?` placeholders; the PostgreSQL driver
// numbers them. Integers, text and NULL cross the boundary; timestamps are stored as
// microseconds since the epoch (BIGINT), booleans as 0/1, money as integer fen.
//
// Reads run on a pooled connection; writes run in a transaction that is retried on
// SQLite "busy" and PostgreSQL serialization or deadlock failures (see RetryPolicy).
// A lost database raises DatabaseUnavailable, which the HTTP layer answers with 503.
// Database is thread-safe; a Connection belongs to one thread for the span of one call.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace kelu::storage {

enum class Dialect { kSqlite, kPostgres };

struct Null {};
using Value = std::variant<Null, std::int64_t, double, std::string>;

// Builds a Value from common C++ types (bool → 0/1, optional → NULL when empty).
inline Value V(std::int64_t v) { return v; }
inline Value V(int v) { return std::int64_t{v}; }
inline Value V(bool v) { return std::int64_t{v ? 1 : 0}; }
inline Value V(double v) { return v; }
inline Value V(std::string v) { return v; }
inline Value V(std::string_view v) { return std::string(v); }
inline Value V(const char* v) { return std::string(v); }
inline Value V(Null) { return Null{}; }
template <class T>
Value V(const std::optional<T>& v) {
  return v ? V(*v) : Value{Null{}};
}

using Params = std::vector<Value>;

// `n` placeholders for an IN (…) list: "?,?,…,?".
std::string Placeholders(std::size_t n);

// One result row. Accessors by column index; a NULL reads as 0 / "" / nullopt.
class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  std::size_t size() const { return values_.size(); }
  bool is_null(std::size_t i) const { return std::holds_alternative<Null>(values_.at(i)); }
  std::int64_t integer(std::size_t i) const;
  double real(std::size_t i) const;
  std::string text(std::size_t i) const;
  bool boolean(std::size_t i) const { return integer(i) != 0; }
  std::optional<std::int64_t> opt_integer(std::size_t i) const;
  std::optional<std::string> opt_text(std::size_t i) const;
  const Value& value(std::size_t i) const { return values_.at(i); }
  const std::vector<Value>& values() const { return values_; }
  // Gives the values back, for a driver that refills them for the next row.
  std::vector<Value> Release() && { return std::move(values_); }

 private:
  std::vector<Value> values_;
};

struct ResultSet {
  std::vector<std::string> columns;
  std::vector<Row> rows;
  bool empty() const { return rows.empty(); }
};

// Thrown when the database cannot be reached; answered as 503 database_unavailable.
class DatabaseUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown for an SQL error that is a bug or a broken invariant (constraint violations
// included); `sqlstate` is the PostgreSQL code or "sqlite:<extended code>".
class DatabaseError : public std::runtime_error {
 public:
  DatabaseError(const std::string& message, std::string sqlstate, bool unique_violation)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)), unique_(unique_violation) {}
  const std::string& sqlstate() const { return sqlstate_; }
  bool unique_violation() const { return unique_; }

 private:
  std::string sqlstate_;
  bool unique_;
};

// Thrown when a statement ran past the bound of the StatementTimeout in force (or was
// cancelled on the server); answered as 503 statement_timeout. Its transaction is rolled back
// and the connection serves the next call.
class StatementTimedOut : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bounds how long each statement run by this thread may take, while it lives; scopes nest and
// restore the bound they replaced. The HTTP layer opens one per request, so one runaway read
// cannot hold a pooled connection (or a server thread) for minutes; jobs open one of 0, which
// lifts the bound. Without any scope there is none. PostgreSQL enforces it as the connection's
// statement_timeout, SQLite with a progress handler.
class StatementTimeout {
 public:
  explicit StatementTimeout(int milliseconds);
  ~StatementTimeout();
  StatementTimeout(const StatementTimeout&) = delete;
  StatementTimeout& operator=(const StatementTimeout&) = delete;
  // The bound in force on this thread, in milliseconds; 0 when there is none.
  static int Current();

 private:
  int previous_;
};

// Thrown by drivers for failures worth retrying; Database::Write catches it.
class RetryableConflict : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A statement with its parameters, for calls that take several.
struct Statement {
  std::string sql;
  Params params;
};

// A connection for the span of one Read or Write call.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual ResultSet Query(std::string_view sql, const Params& params = {}) = 0;
  // Query, planned for these parameter values on every call. PostgreSQL otherwise prepares a
  // statement once per connection, and after a few calls may keep a generic plan made for the
  // average value: for a query by tenant, the average tenant, which can be the wrong plan for
  // a big one. This runs as an unnamed statement instead. SQLite plans alike either way.
  virtual ResultSet QueryPlannedEachCall(std::string_view sql, const Params& params) {
    return Query(sql, params);
  }
  // Runs several queries whose answers are all wanted, in order: PostgreSQL sends them (after
  // what Queue kept) in one round trip. Each answer as Query gives it.
  virtual std::vector<ResultSet> QueryAll(const std::vector<Statement>& statements);
  // Executes a statement; returns the number of rows changed.
  virtual std::int64_t Exec(std::string_view sql, const Params& params = {}) = 0;
  // Executes a statement whose only wanted outcome is that it succeeds, perhaps later: a
  // driver that pays a round trip per statement (PostgreSQL) keeps it, and sends what it keeps
  // in one go with the next statement that answers something (a query, Exec, COMMIT) or at
  // Flush(); a failure is thrown there. ROLLBACK drops what is kept. SQLite runs it at once.
  // For writes that nothing catches one by one (an insert whose failure fails the
  // transaction anyway).
  virtual void Queue(std::string_view sql, const Params& params = {}) { Exec(sql, params); }
  // Sends what Queue kept; throws the first failure.
  virtual void Flush() {}
  // Runs a script of several statements without parameters (migrations).
  virtual void ExecScript(std::string_view sql) = 0;
  // A new id, unique across the database and increasing.
  virtual std::int64_t NextId() = 0;
  // Says about `n` ids will be wanted before the transaction ends, so a driver that pays a
  // round trip per id can fetch them at once (PostgreSQL); unused ones are dropped at the
  // transaction's end. SQLite already reserves ids in blocks and ignores it.
  virtual void ReserveIds(int /*n*/) {}
  virtual Dialect dialect() const = 0;

  // Calls `f` for each row of a query without holding them all (SQLite streams, refilling one
  // row's storage; the default reads them all first). A row is valid only during its call.
  virtual void ForEach(std::string_view sql, const Params& params,
                       const std::function<void(const Row&)>& f);
  // Appends rows to `table`: `produce` is called once and hands each row (its values in
  // `columns` order) to the function it is given. PostgreSQL uses COPY; SQLite an insert.
  using RowSink = std::function<void(const Row&)>;
  virtual void CopyIn(std::string_view table, const std::vector<std::string>& columns,
                      const std::function<void(const RowSink&)>& produce) = 0;

  // Conveniences.
  std::optional<Row> QueryOne(std::string_view sql, const Params& params = {});
  std::int64_t QueryInt(std::string_view sql, const Params& params = {});
};

struct RetryPolicy {
  int max_attempts = 8;  // the first try plus seven retries
  int first_backoff_ms = 2;
  int max_backoff_ms = 200;
};

struct PoolStats {
  int in_use = 0;
  int idle = 0;
};

class Database {
 public:
  virtual ~Database() = default;

  // Opens "sqlite:PATH" or "postgresql://…". Throws DatabaseUnavailable when it cannot.
  static std::unique_ptr<Database> Open(const std::string& url, int pool_size, int busy_timeout_ms);

  virtual Dialect dialect() const = 0;
  virtual bool Ping() = 0;
  virtual PoolStats Stats() const = 0;

  // Runs `f(Connection&)` on a pooled connection, for reading. On SQLite the call is one read
  // transaction (one snapshot); on PostgreSQL each statement runs on its own.
  template <class F>
  auto Read(F&& f) -> decltype(f(std::declval<Connection&>())) {
    using R = decltype(f(std::declval<Connection&>()));
    if constexpr (std::is_void_v<R>) {
      RunRead([&](Connection& c) { f(c); });
    } else {
      std::optional<R> out;
      RunRead([&](Connection& c) { out.emplace(f(c)); });
      return std::move(*out);
    }
  }

  // Runs `f(Connection&)` in a write transaction. `f` returns a Result or Status: the
  // transaction commits when it is ok and rolls back otherwise; or `f` returns nothing, and it
  // commits unless `f` throws. Retried per the policy.
  template <class F>
  auto Write(F&& f) -> decltype(f(std::declval<Connection&>())) {
    using R = decltype(f(std::declval<Connection&>()));
    struct Counted {  // counted once the transaction has ended, however it ended
      std::atomic<std::uint64_t>& n;
      ~Counted() { n.fetch_add(1, std::memory_order_acq_rel); }
    } counted{writes_};
    if constexpr (std::is_void_v<R>) {
      RunWrite([&](Connection& c) {
        f(c);
        return true;
      });
    } else {
      std::optional<R> out;
      RunWrite([&](Connection& c) {
        out.reset();
        out.emplace(f(c));
        return out->ok();
      });
      return std::move(*out);
    }
  }

  void set_retry_policy(RetryPolicy p) { retry_ = p; }

  // How many write transactions of this process have ended. Whoever keeps something read from
  // the database takes this count before reading, and knows the copy may be stale once it has
  // moved (other processes' writes are not counted: such caches also expire with time).
  std::uint64_t write_count() const { return writes_.load(std::memory_order_acquire); }

 protected:
  virtual void RunRead(const std::function<void(Connection&)>& f) = 0;
  // `f` returns true to commit. Implementations retry on RetryableConflict.
  virtual void RunWrite(const std::function<bool(Connection&)>& f) = 0;
  RetryPolicy retry_;

 private:
  std::atomic<std::uint64_t> writes_{0};
};

// Sleeps the backoff for `attempt` (1-based) of `policy`. Used by drivers.
void Backoff(const RetryPolicy& policy, int attempt);

}  // namespace kelu::storage
