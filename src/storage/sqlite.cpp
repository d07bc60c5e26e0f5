#include "storage/sqlite.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace kelu::storage {
namespace {

// Before the library starts: no memory statistics, whose global mutex every allocation would
// otherwise take (the process never reads them).
void ConfigureLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(const std::string& path, int busy_timeout_ms) {
    ConfigureLibrary();
    int rc =
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw DatabaseUnavailable("cannot open SQLite database " + path + ": " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, busy_timeout_ms);
    ExecScript(
        "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;"
        "PRAGMA temp_store=MEMORY;");
  }
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Dialect dialect() const override { return Dialect::kSqlite; }

  ResultSet Query(std::string_view sql, const Params& params = {}) override {
    sqlite3_stmt* stmt = Prepare(sql, params);
    ResultSet rs;
    int cols = sqlite3_column_count(stmt);
    rs.columns.reserve(cols);
    for (int i = 0; i < cols; ++i) rs.columns.emplace_back(sqlite3_column_name(stmt, i));
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) Fail(rc, stmt);
      rs.rows.emplace_back(ReadRow(stmt, cols));
    }
    sqlite3_reset(stmt);
    return rs;
  }

  void ForEach(std::string_view sql, const Params& params,
               const std::function<void(const Row&)>& f) override {
    sqlite3_stmt* stmt = Prepare(sql, params);
    int cols = sqlite3_column_count(stmt);
    std::vector<Value> values;  // one row's storage, refilled: its strings keep their capacity
    try {
      for (;;) {
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) Fail(rc, stmt);
        FillRow(stmt, cols, values);
        Row row(std::move(values));
        f(row);
        values = std::move(row).Release();
      }
    } catch (...) {
      sqlite3_reset(stmt);
      throw;
    }
    sqlite3_reset(stmt);
  }

  void CopyIn(std::string_view table, const std::vector<std::string>& columns,
              const std::function<void(const RowSink&)>& produce) override {
    std::string sql = fmt::format("INSERT INTO {} (", table);
    for (std::size_t i = 0; i < columns.size(); ++i) sql += (i ? ", " : "") + columns[i];
    sql += ") VALUES (";
    for (std::size_t i = 0; i < columns.size(); ++i) sql += i ? ", ?" : "?";
    sql += ")";
    produce([&](const Row& r) { Exec(sql, r.values()); });
  }

  std::int64_t Exec(std::string_view sql, const Params& params = {}) override {
    if (sql.starts_with("ROLLBACK")) ForgetIdBlock();
    sqlite3_stmt* stmt = Prepare(sql, params);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) Fail(rc, stmt);
    sqlite3_reset(stmt);
    return sqlite3_changes64(db_);
  }

  void ExecScript(std::string_view sql) override {
    if (sql.find("ROLLBACK") != std::string_view::npos) ForgetIdBlock();
    ArmDeadline();
    char* err = nullptr;
    std::string text(sql);
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      Throw(rc, msg);
    }
  }

  // Calls `committed(wal_pages)` after each commit, with the WAL's length in pages, instead of
  // letting the commit copy the WAL into the database itself (SQLite's automatic checkpoint is
  // a WAL hook too: this one replaces it).
  void OnCommit(std::function<void(int)> committed) {
    on_commit_ = std::move(committed);
    sqlite3_wal_hook(
        db_,
        [](void* self, sqlite3*, const char*, int pages) {
          static_cast<SqliteConnection*>(self)->on_commit_(pages);
          return SQLITE_OK;
        },
        this);
  }

  // Copies what it can of the WAL into the database without waiting for any lock (readers and
  // the writer go on meanwhile). Returns the WAL's pages and how many of them are copied;
  // -1, -1 when another connection was checkpointing.
  std::pair<int, int> CheckpointPassive() {
    int log = -1, copied = -1;
    int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    if ((rc & 0xff) == SQLITE_BUSY) return {-1, -1};
    if (rc != SQLITE_OK) Throw(rc, sqlite3_errmsg(db_));
    return {log, copied};
  }

  // Ids are reserved from kelu_ids in blocks, so most calls touch no table. A rollback (of
  // the transaction, or to a savepoint) may undo the reservation of the current block, so it
  // forgets the block (see Exec); a block is never handed out twice.
  std::int64_t NextId() override {
    if (next_id_ == id_limit_) {
      id_limit_ =
          QueryInt(fmt::format("UPDATE kelu_ids SET value = value + {} RETURNING value", kIdBlock));
      next_id_ = id_limit_ - kIdBlock;
    }
    return ++next_id_;
  }

 private:
  static std::vector<Value> ReadRow(sqlite3_stmt* stmt, int cols) {
    std::vector<Value> values;
    FillRow(stmt, cols, values);
    return values;
  }

  // Reads the current row into `values`, reusing what it holds (a text column read into a
  // string that is already there allocates only when it is longer). Each column is taken as
  // its sqlite3_value, whose accessors skip the per-call API checks of sqlite3_column_*; that
  // is safe because a connection serves one thread at a time.
  static void FillRow(sqlite3_stmt* stmt, int cols, std::vector<Value>& values) {
    values.resize(cols);
    for (int i = 0; i < cols; ++i) {
      Value& v = values[i];
      sqlite3_value* column = sqlite3_column_value(stmt, i);
      switch (sqlite3_value_type(column)) {
        case SQLITE_INTEGER:
          v = static_cast<std::int64_t>(sqlite3_value_int64(column));
          break;
        case SQLITE_FLOAT:
          v = sqlite3_value_double(column);
          break;
        case SQLITE_NULL:
          v = Null{};
          break;
        default: {
          auto* p = reinterpret_cast<const char*>(sqlite3_value_text(column));
          std::size_t n = static_cast<std::size_t>(sqlite3_value_bytes(column));
          if (auto* s = std::get_if<std::string>(&v)) {
            s->assign(p ? p : "", n);
          } else {
            v.emplace<std::string>(p ? p : "", n);
          }
        }
      }
    }
  }

  static constexpr std::int64_t kIdBlock = 64;
  void ForgetIdBlock() { next_id_ = id_limit_ = 0; }

  // Bounds the statement about to run by the StatementTimeout in force: the progress handler,
  // called every kProgressSteps virtual machine steps, interrupts it past the deadline
  // (SQLITE_INTERRUPT, which rolls back the open transaction of an interrupted write).
  void ArmDeadline() {
    int ms = StatementTimeout::Current();
    if (ms == 0) {
      if (progress_armed_) sqlite3_progress_handler(db_, 0, nullptr, nullptr);
      progress_armed_ = false;
      return;
    }
    deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    if (progress_armed_) return;
    sqlite3_progress_handler(
        db_, kProgressSteps,
        [](void* self) -> int {
          return std::chrono::steady_clock::now() >=
                 static_cast<SqliteConnection*>(self)->deadline_;
        },
        this);
    progress_armed_ = true;
  }

  sqlite3_stmt* Prepare(std::string_view sql, const Params& params) {
    ArmDeadline();
    std::string key(sql);
    sqlite3_stmt* stmt = nullptr;
    if (auto it = cache_.find(key); it != cache_.end()) {
      stmt = it->second;
    } else {
      int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                                  SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) Throw(rc, std::string(sqlite3_errmsg(db_)) + " in: " + key);
      cache_.emplace(std::move(key), stmt);
    }
    sqlite3_clear_bindings(stmt);
    if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) {
      throw DatabaseError("parameter count mismatch in: " + std::string(sql), "sqlite:bind", false);
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i) + 1;
      const Value& v = params[i];
      if (auto p = std::get_if<std::int64_t>(&v)) {
        sqlite3_bind_int64(stmt, idx, *p);
      } else if (auto p = std::get_if<double>(&v)) {
        sqlite3_bind_double(stmt, idx, *p);
      } else if (auto p = std::get_if<std::string>(&v)) {
        sqlite3_bind_text(stmt, idx, p->data(), static_cast<int>(p->size()), SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_null(stmt, idx);
      }
    }
    return stmt;
  }

  [[noreturn]] void Fail(int rc, sqlite3_stmt* stmt) {
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_reset(stmt);
    Throw(rc, msg);
  }

  [[noreturn]] static void Throw(int rc, const std::string& msg) {
    int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw RetryableConflict(msg);
    if (primary == SQLITE_INTERRUPT) throw StatementTimedOut("SQLite: " + msg);
    if (primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR || primary == SQLITE_FULL ||
        primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
      throw DatabaseUnavailable("SQLite: " + msg);
    }
    bool unique = rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY;
    throw DatabaseError("SQLite: " + msg, "sqlite:" + std::to_string(rc), unique);
  }

  // About a millisecond of work or less between two looks at the clock.
  static constexpr int kProgressSteps = 10000;

  sqlite3* db_ = nullptr;
  bool progress_armed_ = false;
  std::chrono::steady_clock::time_point deadline_;
  std::int64_t next_id_ = 0;   // the last id handed out of the current block
  std::int64_t id_limit_ = 0;  // the block's last id
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
  std::function<void(int)> on_commit_;
};

// Copies the WAL into the database file on a thread of its own, so that no commit waits for
// a checkpoint: with SQLite's automatic checkpoint, the commit that takes the WAL past its
// limit copies every page of it (for an import batch, tens of megabytes read and written)
// while the writer lock is held. A passive checkpoint takes no lock that the writer or the
// readers wait for.
//
// The WAL starts over from its beginning only when a write begins with all of it copied. A
// writer that never pauses would outrun the copying and grow the WAL without end, so a
// writer about to begin while the WAL is `kBehindFactor` times the threshold waits (up to
// `kMaxWait`) for a checkpoint that starts after it stopped writing: that one copies all.
class Checkpointer {
 public:
  static constexpr int kBehindFactor = 4;
  static constexpr auto kMaxWait = std::chrono::seconds(5);

  Checkpointer(std::string path, int busy_timeout_ms, int threshold_pages)
      : path_(std::move(path)),
        busy_timeout_ms_(busy_timeout_ms),
        threshold_pages_(threshold_pages) {}
  ~Checkpointer() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // From the writer's WAL hook, after each commit.
  void Committed(int wal_pages) {
    std::lock_guard lock(mutex_);
    wal_pages_ = wal_pages;
    if (wal_pages >= threshold_pages_) Want();
  }

  // From the writer, holding the write lock, before it begins a transaction. Returns false
  // when the checkpoints did not catch up in time (a reader holds an old snapshot, or the
  // checkpointing connection fails): the writer then copies what it can itself.
  bool CatchUp() {
    std::unique_lock lock(mutex_);
    if (wal_pages_ < threshold_pages_ * kBehindFactor) return true;
    std::uint64_t target = started_ + 1;
    Want();
    bool ran = done_.wait_for(lock, kMaxWait, [&] { return finished_ >= target || stop_; });
    if (!ran || !caught_up_) return false;
    wal_pages_ = 0;  // the next commit restarts the WAL and reports its new length
    return true;
  }

 private:
  // Asks the thread (started on first need) for a checkpoint. Holding mutex_.
  void Want() {
    wanted_ = true;
    if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
    wake_.notify_all();
  }

  void Run() {
    std::unique_ptr<SqliteConnection> conn;
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || wanted_; });
      if (stop_) return;
      wanted_ = false;
      ++started_;
      lock.unlock();
      bool all = false;
      try {
        if (!conn) conn = std::make_unique<SqliteConnection>(path_, busy_timeout_ms_);
        auto [log, copied] = conn->CheckpointPassive();
        all = log >= 0 && copied >= log;
      } catch (const std::exception&) {
        conn.reset();  // opened again next time; the writer copies meanwhile (see CatchUp)
      }
      lock.lock();
      ++finished_;
      caught_up_ = all;
      done_.notify_all();
    }
  }

  const std::string path_;
  const int busy_timeout_ms_;
  const int threshold_pages_;
  std::mutex mutex_;
  std::condition_variable wake_;  // to the thread: a checkpoint is wanted, or stop
  std::condition_variable done_;  // from the thread: a checkpoint finished
  int wal_pages_ = 0;             // the WAL's length at the writer's last commit
  bool wanted_ = false;
  bool stop_ = false;
  bool caught_up_ = false;  // the last checkpoint copied the whole WAL
  std::uint64_t started_ = 0, finished_ = 0;
  std::thread thread_;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, int readers, int busy_timeout_ms, int checkpoint_pages)
      : path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms), max_readers_(readers) {
    writer_ = std::make_unique<SqliteConnection>(path_, busy_timeout_ms_);
    // Big write transactions (import batches) stay in the writer's page cache instead of
    // spilling to the WAL midway: 32 MB for the one writer; readers keep the default.
    writer_->ExecScript("PRAGMA cache_size=-32768;");
    if (path_ == ":memory:" || checkpoint_pages <= 0) return;
    checkpointer_ = std::make_unique<Checkpointer>(path_, busy_timeout_ms_, checkpoint_pages);
    writer_->OnCommit([c = checkpointer_.get()](int pages) { c->Committed(pages); });
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

  bool Ping() override {
    try {
      Read([](Connection& c) { c.QueryInt("SELECT 1"); });
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

  PoolStats Stats() const override {
    std::lock_guard lock(pool_mutex_);
    return PoolStats{in_use_, static_cast<int>(idle_.size())};
  }

 protected:
  void RunRead(const std::function<void(Connection&)>& f) override {
    std::unique_ptr<SqliteConnection> conn = Acquire();
    struct Return {
      SqliteDatabase* self;
      std::unique_ptr<SqliteConnection>& c;
      ~Return() { self->Release(std::move(c)); }
    } give_back{this, conn};
    // One read transaction: every statement of the call sees the same snapshot, and the WAL
    // read lock is taken once rather than per statement.
    conn->Exec("BEGIN");
    try {
      f(*conn);
    } catch (...) {
      try {
        conn->Exec("ROLLBACK");
      } catch (const std::exception&) {
        // The transaction already ended with the error.
      }
      throw;
    }
    conn->Exec("COMMIT");
  }

  void RunWrite(const std::function<bool(Connection&)>& f) override {
    std::lock_guard lock(write_mutex_);
    if (checkpointer_ && !checkpointer_->CatchUp()) writer_->CheckpointPassive();
    for (int attempt = 1;; ++attempt) {
      try {
        writer_->Exec("BEGIN IMMEDIATE");
      } catch (const RetryableConflict&) {
        if (attempt >= retry_.max_attempts) throw;
        Backoff(retry_, attempt);
        continue;
      }
      try {
        bool commit = f(*writer_);
        writer_->Exec(commit ? "COMMIT" : "ROLLBACK");
        return;
      } catch (const RetryableConflict&) {
        RollbackQuietly();
        if (attempt >= retry_.max_attempts) throw;
        Backoff(retry_, attempt);
      } catch (...) {
        RollbackQuietly();
        throw;
      }
    }
  }

 private:
  void RollbackQuietly() {
    try {
      writer_->Exec("ROLLBACK");
    } catch (const std::exception&) {
      // No transaction was open: nothing to undo.
    }
  }

  std::unique_ptr<SqliteConnection> Acquire() {
    std::unique_lock lock(pool_mutex_);
    pool_cv_.wait(lock, [&] { return !idle_.empty() || in_use_ < max_readers_; });
    ++in_use_;
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    lock.unlock();
    try {
      return std::make_unique<SqliteConnection>(path_, busy_timeout_ms_);
    } catch (...) {
      std::lock_guard relock(pool_mutex_);
      --in_use_;
      pool_cv_.notify_one();
      throw;
    }
  }

  void Release(std::unique_ptr<SqliteConnection> c) {
    std::lock_guard lock(pool_mutex_);
    --in_use_;
    idle_.push_back(std::move(c));
    pool_cv_.notify_one();
  }

  std::string path_;
  int busy_timeout_ms_;
  int max_readers_;
  std::mutex write_mutex_;
  std::unique_ptr<SqliteConnection> writer_;
  // After the writer: stopped first, so the writer's close copies what is left of the WAL.
  std::unique_ptr<Checkpointer> checkpointer_;
  mutable std::mutex pool_mutex_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_;
  int in_use_ = 0;
};

}  // namespace

std::unique_ptr<Database> OpenSqlite(const std::string& path, int readers, int busy_timeout_ms,
                                     int checkpoint_pages) {
  std::filesystem::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) throw DatabaseUnavailable("cannot create folder " + p.parent_path().string());
  }
  return std::make_unique<SqliteDatabase>(path, readers, busy_timeout_ms, checkpoint_pages);
}

}  // namespace kelu::storage
