#include "storage/postgres.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <unordered_map>

namespace kelu::storage {

std::string NumberPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

// Raised inside the driver when the connection itself broke; the pool resets it.
class ConnectionLost : public DatabaseUnavailable {
 public:
  using DatabaseUnavailable::DatabaseUnavailable;
};

bool IsConnectionState(const std::string& state) {
  return state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03";
}

// Parameters as libpq takes them: text, with a null pointer for NULL.
class TextParams {
 public:
  explicit TextParams(const Params& params)
      : storage_(params.size()), values_(params.size(), nullptr) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (auto p = std::get_if<std::int64_t>(&v)) {
        storage_[i] = std::to_string(*p);
      } else if (auto d = std::get_if<double>(&v)) {
        storage_[i] = std::to_string(*d);
      } else if (auto t = std::get_if<std::string>(&v)) {
        storage_[i] = *t;
      } else {
        continue;  // NULL
      }
      values_[i] = storage_[i].c_str();
    }
  }
  TextParams(const TextParams&) = delete;  // values_ points into storage_
  TextParams& operator=(const TextParams&) = delete;
  int count() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return values_.data(); }

 private:
  std::vector<std::string> storage_;
  std::vector<const char*> values_;
};

class PgConnection final : public Connection {
 public:
  explicit PgConnection(const std::string& url) : url_(url) { Connect(); }
  ~PgConnection() override { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  Dialect dialect() const override { return Dialect::kPostgres; }

  bool healthy() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }

  void Reset() {
    statements_.clear();
    queued_.clear();
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
      throw DatabaseUnavailable(std::string("PostgreSQL: ") + PQerrorMessage(conn_));
    }
    Configure();
  }

  ResultSet Query(std::string_view sql, const Params& params = {}) override {
    return ToResultSet(Answer(sql, params));
  }

  ResultSet QueryPlannedEachCall(std::string_view sql, const Params& params) override {
    Flush();
    TextParams p(params);
    std::string key(sql);
    PGresult* res = PQexecParams(conn_, NumberPlaceholders(sql).c_str(), p.count(), nullptr,
                                 p.values(), nullptr, nullptr, 0);
    Check(res, key);
    return ToResultSet(res);
  }

  std::vector<ResultSet> QueryAll(const std::vector<Statement>& statements) override {
    std::vector<Statement> batch;
    batch.swap(queued_);
    std::size_t first = batch.size();
    batch.insert(batch.end(), statements.begin(), statements.end());
    std::vector<ResultSet> out;
    for (PGresult* res : Pipeline(batch, first)) out.push_back(ToResultSet(res));
    return out;
  }

  std::int64_t Exec(std::string_view sql, const Params& params = {}) override {
    // Ids reserved for one transaction are not carried into the next.
    // (A rollback to a savepoint keeps them: sequences are not transactional.)
    if (sql == "BEGIN" || sql == "COMMIT" || sql == "ROLLBACK") reserved_.clear();
    // What was kept for a transaction being rolled back need not be sent at all.
    if (sql == "ROLLBACK") queued_.clear();
    PGresult* res = Answer(sql, params);
    const char* n = PQcmdTuples(res);
    std::int64_t changed = (n && *n) ? std::stoll(n) : 0;
    PQclear(res);
    return changed;
  }

  void ExecScript(std::string_view sql) override {
    Flush();
    std::string text(sql);
    PGresult* res = PQexec(conn_, text.c_str());
    Check(res);
    PQclear(res);
  }

  std::int64_t NextId() override {
    if (!reserved_.empty()) {
      std::int64_t id = reserved_.front();
      reserved_.pop_front();
      return id;
    }
    return QueryInt("SELECT nextval('kelu_ids')");
  }

  void ReserveIds(int n) override {
    if (n <= 1) return;
    for (const auto& r :
         Query("SELECT nextval('kelu_ids') FROM generate_series(1, ?)", {V(n)}).rows) {
      reserved_.push_back(r.integer(0));
    }
  }

  // Makes the server's statement_timeout the bound in force on this thread (StatementTimeout),
  // in a round trip of its own when it changed: outside any transaction, so that no rollback
  // undoes it behind the value kept here.
  void ApplyStatementTimeout() {
    int ms = StatementTimeout::Current();
    if (ms == statement_timeout_ms_) return;
    PGresult* res = PQexec(conn_, fmt::format("SET statement_timeout = {}", ms).c_str());
    Check(res);
    PQclear(res);
    statement_timeout_ms_ = ms;
  }

  // Forgets what Queue kept (the call that kept it failed before sending it).
  void DropQueued() { queued_.clear(); }

  void Queue(std::string_view sql, const Params& params = {}) override {
    queued_.push_back(Statement{std::string(sql), params});
    if (queued_.size() >= kMaxQueued) Flush();
  }

  void Flush() override {
    if (queued_.empty()) return;
    std::vector<Statement> batch;
    batch.swap(queued_);
    Pipeline(batch, batch.size());
  }

 private:
  void Connect() {
    const char* keys[] = {"dbname", "connect_timeout", nullptr};
    const char* values[] = {url_.c_str(), "3", nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(conn_);
      PQfinish(conn_);
      conn_ = nullptr;
      throw DatabaseUnavailable("PostgreSQL: " + msg);
    }
    Configure();
  }

  void Configure() {
    PGresult* res = PQexec(
        conn_, "SET client_min_messages = warning; SET TIME ZONE 'UTC'; SET statement_timeout = 0");
    Check(res);
    PQclear(res);
    statement_timeout_ms_ = 0;
  }

  // A query's rows as values; clears `res`.
  static ResultSet ToResultSet(PGresult* res) {
    ResultSet rs;
    int cols = PQnfields(res);
    int rows = PQntuples(res);
    rs.columns.reserve(cols);
    for (int i = 0; i < cols; ++i) rs.columns.emplace_back(PQfname(res, i));
    rs.rows.reserve(rows);
    for (int r = 0; r < rows; ++r) {
      std::vector<Value> values;
      values.reserve(cols);
      for (int i = 0; i < cols; ++i) {
        if (PQgetisnull(res, r, i)) {
          values.emplace_back(Null{});
          continue;
        }
        const char* v = PQgetvalue(res, r, i);
        switch (PQftype(res, i)) {
          case 20:
          case 21:
          case 23:
            values.emplace_back(static_cast<std::int64_t>(std::stoll(v)));
            break;
          case 16:
            values.emplace_back(std::int64_t{v[0] == 't' ? 1 : 0});
            break;
          case 700:
          case 701:
            values.emplace_back(std::stod(v));
            break;
          default:
            values.emplace_back(std::string(v, PQgetlength(res, r, i)));
        }
      }
      rs.rows.emplace_back(std::move(values));
    }
    PQclear(res);
    return rs;
  }

  // The result of one statement, sent after what Queue kept (in the same round trip).
  PGresult* Answer(std::string_view sql, const Params& params) {
    if (queued_.empty()) return Run(sql, params);
    std::vector<Statement> batch;
    batch.swap(queued_);
    batch.push_back(Statement{std::string(sql), params});
    return Pipeline(batch, batch.size() - 1).front();
  }

  // Sends `batch` as one pipeline: each statement prepared on first use, all executed, one
  // sync at the end; one round trip instead of one per statement. After a failure the server
  // skips the rest up to the sync, and the first failure is thrown. Answers the results of the
  // statements from `answer_from` on (the caller clears them).
  std::vector<PGresult*> Pipeline(const std::vector<Statement>& batch, std::size_t answer_from) {
    if (PQenterPipelineMode(conn_) != 1) {
      throw ConnectionLost(std::string("PostgreSQL pipeline: ") + PQerrorMessage(conn_));
    }
    std::vector<std::string> prepared;  // statements first prepared by this pipeline
    struct Sent {
      const std::string* sql;
      bool answered;
    };
    std::vector<Sent> sent;  // per command sent (a preparation or an execution)
    bool ok = true;
    for (std::size_t i = 0; ok && i < batch.size(); ++i) {
      const Statement& q = batch[i];
      auto it = statements_.find(q.sql);
      if (it == statements_.end()) {
        std::string name = "s" + std::to_string(next_statement_++);
        ok = PQsendPrepare(conn_, name.c_str(), NumberPlaceholders(q.sql).c_str(), 0, nullptr);
        if (!ok) break;
        it = statements_.emplace(q.sql, std::move(name)).first;
        prepared.push_back(q.sql);
        sent.push_back({&it->first, false});
      }
      TextParams p(q.params);
      ok = PQsendQueryPrepared(conn_, it->second.c_str(), p.count(), p.values(), nullptr, nullptr,
                               0);
      sent.push_back({&it->first, i >= answer_from});
    }
    if (!ok || PQpipelineSync(conn_) != 1) {
      throw ConnectionLost(std::string("PostgreSQL pipeline: ") + PQerrorMessage(conn_));
    }
    PGresult* failed = nullptr;
    std::string failed_sql;
    std::vector<PGresult*> answers;
    auto clear = [&] {
      PQclear(failed);
      for (PGresult* a : answers) PQclear(a);
    };
    for (const Sent& command : sent) {
      PGresult* answer = nullptr;
      while (PGresult* res = PQgetResult(conn_)) {
        auto status = PQresultStatus(res);
        if (!failed && status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK &&
            status != PGRES_PIPELINE_ABORTED) {
          failed = res;
          failed_sql = *command.sql;
        } else if (command.answered && !answer && status != PGRES_PIPELINE_ABORTED) {
          answer = res;
        } else {
          PQclear(res);
        }
      }
      if (command.answered) answers.push_back(answer);
    }
    PGresult* sync = PQgetResult(conn_);
    bool synced = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    if (!synced || PQexitPipelineMode(conn_) != 1) {
      clear();
      throw ConnectionLost(std::string("PostgreSQL pipeline: ") + PQerrorMessage(conn_));
    }
    if (!failed) return answers;
    for (PGresult* a : answers) PQclear(a);
    // A statement prepared after the failure was skipped, and one whose own prepare failed
    // does not exist: forget this pipeline's preparations (names are never reused).
    for (const auto& sql : prepared) statements_.erase(sql);
    Check(failed, failed_sql);
    return {};  // not reached: Check throws
  }

  PGresult* Run(std::string_view sql, const Params& params) {
    std::string key(sql);
    auto it = statements_.find(key);
    if (it == statements_.end()) {
      std::string name = "s" + std::to_string(next_statement_++);
      PGresult* prep = PQprepare(conn_, name.c_str(), NumberPlaceholders(sql).c_str(), 0, nullptr);
      Check(prep, key);
      PQclear(prep);
      it = statements_.emplace(std::move(key), std::move(name)).first;
    }
    TextParams p(params);
    PGresult* res =
        PQexecPrepared(conn_, it->second.c_str(), p.count(), p.values(), nullptr, nullptr, 0);
    Check(res, it->first);
    return res;
  }

  void CopyIn(std::string_view table, const std::vector<std::string>& columns,
              const std::function<void(const RowSink&)>& produce) override {
    Flush();
    std::string sql = fmt::format("COPY {} (", table);
    for (std::size_t i = 0; i < columns.size(); ++i) sql += (i ? ", " : "") + columns[i];
    sql += ") FROM STDIN";
    PGresult* res = PQexec(conn_, sql.c_str());
    if (!res || PQresultStatus(res) != PGRES_COPY_IN) {
      Check(res, sql);
      throw DatabaseError("PostgreSQL: COPY did not start", "", false);
    }
    PQclear(res);
    // COPY's text format: tab-separated, \N for NULL, backslash escapes.
    std::string buffer;
    auto flush = [&] {
      if (PQputCopyData(conn_, buffer.data(), static_cast<int>(buffer.size())) != 1) {
        throw ConnectionLost(std::string("PostgreSQL COPY: ") + PQerrorMessage(conn_));
      }
      buffer.clear();
    };
    auto put = [&](const Row& row) {
      const std::vector<Value>& values = row.values();
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) buffer += '\t';
        const Value& v = values[i];
        if (std::holds_alternative<Null>(v)) {
          buffer += "\\N";
        } else if (auto p = std::get_if<std::int64_t>(&v)) {
          buffer += std::to_string(*p);
        } else if (auto d = std::get_if<double>(&v)) {
          buffer += fmt::format("{}", *d);
        } else {
          for (char ch : std::get<std::string>(v)) {
            switch (ch) {
              case '\\':
                buffer += "\\\\";
                break;
              case '\t':
                buffer += "\\t";
                break;
              case '\n':
                buffer += "\\n";
                break;
              case '\r':
                buffer += "\\r";
                break;
              default:
                buffer += ch;
            }
          }
        }
      }
      buffer += '\n';
      if (buffer.size() > (1 << 20)) flush();
    };
    try {
      produce(put);
      if (!buffer.empty()) flush();
    } catch (...) {
      // End the COPY so the connection can roll back and be used again.
      PQputCopyEnd(conn_, "aborted");
      while ((res = PQgetResult(conn_)) != nullptr) PQclear(res);
      throw;
    }
    if (PQputCopyEnd(conn_, nullptr) != 1) {
      throw ConnectionLost(std::string("PostgreSQL COPY: ") + PQerrorMessage(conn_));
    }
    while ((res = PQgetResult(conn_)) != nullptr) Check(res, sql), PQclear(res);
  }

  void Check(PGresult* res, const std::string& sql = {}) {
    auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    std::string state;
    std::string msg = PQerrorMessage(conn_);
    if (res) {
      if (const char* s = PQresultErrorField(res, PG_DIAG_SQLSTATE)) state = s;
      if (const char* m = PQresultErrorMessage(res); m && *m) msg = m;
      PQclear(res);
    }
    if (PQstatus(conn_) != CONNECTION_OK || IsConnectionState(state) || state.empty()) {
      throw ConnectionLost("PostgreSQL connection lost: " + msg);
    }
    if (state == "40001" || state == "40P01") throw RetryableConflict(msg);
    if (state == "57014") throw StatementTimedOut("PostgreSQL: " + msg);  // query_canceled
    if (!sql.empty()) msg += " in: " + sql;
    throw DatabaseError("PostgreSQL: " + msg, state, state == "23505");
  }

  std::string url_;
  PGconn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> statements_;  // SQL → prepared statement name
  int next_statement_ = 0;
  std::deque<std::int64_t> reserved_;  // see ReserveIds
  int statement_timeout_ms_ = 0;       // the session's statement_timeout (0: none)
  // Statements kept by Queue; a pipeline's results for this many fit the socket
  // buffers many times over, so sending all before reading any cannot stall.
  static constexpr std::size_t kMaxQueued = 256;
  std::vector<Statement> queued_;
};

class PgDatabase final : public Database {
 public:
  PgDatabase(std::string url, int pool_size) : url_(std::move(url)), max_(pool_size) {
    Release(std::make_unique<PgConnection>(url_), /*counted=*/false);
  }

  Dialect dialect() const override { return Dialect::kPostgres; }

  bool Ping() override {
    try {
      Read([](Connection& c) { c.QueryInt("SELECT 1"); });
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

  PoolStats Stats() const override {
    std::lock_guard lock(mutex_);
    return PoolStats{in_use_, static_cast<int>(idle_.size())};
  }

 protected:
  void RunRead(const std::function<void(Connection&)>& f) override {
    WithConnection([&](PgConnection& c) {
      f(c);
      c.Flush();
    });
  }

  void RunWrite(const std::function<bool(Connection&)>& f) override {
    for (int attempt = 1;; ++attempt) {
      try {
        WithConnection([&](PgConnection& c) {
          c.Exec("BEGIN");
          try {
            bool commit = f(c);
            c.Exec(commit ? "COMMIT" : "ROLLBACK");
          } catch (const ConnectionLost&) {
            throw;
          } catch (...) {
            try {
              c.Exec("ROLLBACK");
            } catch (const std::exception&) {
              // The connection broke while rolling back; the server discards the transaction.
            }
            throw;
          }
        });
        return;
      } catch (const RetryableConflict&) {
        if (attempt >= retry_.max_attempts) throw;
        Backoff(retry_, attempt);
      }
    }
  }

 private:
  // Runs `f` on a pooled connection. A connection found broken is reset; when it broke
  // under `f` before anything was committed, `f` is run once more on the reset connection.
  void WithConnection(const std::function<void(PgConnection&)>& f) {
    std::unique_ptr<PgConnection> c = Acquire();
    bool retried = false;
    for (;;) {
      try {
        if (!c->healthy()) c->Reset();
        c->ApplyStatementTimeout();
        f(*c);
        Release(std::move(c));
        return;
      } catch (const ConnectionLost& e) {
        if (retried) {
          Release(std::move(c));
          throw DatabaseUnavailable(e.what());
        }
        retried = true;
        try {
          c->Reset();
        } catch (const DatabaseUnavailable&) {
          Release(std::move(c));
          throw;
        }
      } catch (...) {
        Release(std::move(c));
        throw;
      }
    }
  }

  std::unique_ptr<PgConnection> Acquire() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return !idle_.empty() || in_use_ < max_; });
    ++in_use_;
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    lock.unlock();
    try {
      return std::make_unique<PgConnection>(url_);
    } catch (...) {
      std::lock_guard relock(mutex_);
      --in_use_;
      cv_.notify_one();
      throw;
    }
  }

  void Release(std::unique_ptr<PgConnection> c, bool counted = true) {
    c->DropQueued();  // nothing of one call is sent in the next
    std::lock_guard lock(mutex_);
    if (counted) --in_use_;
    idle_.push_back(std::move(c));
    cv_.notify_one();
  }

  std::string url_;
  int max_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int in_use_ = 0;
};

}  // namespace

std::unique_ptr<Database> OpenPostgres(const std::string& url, int pool_size) {
  return std::make_unique<PgDatabase>(url, pool_size);
}

}  // namespace kelu::storage
