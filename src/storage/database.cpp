#include "storage/database.hpp"

#include <algorithm>
#include <thread>

#include "storage/postgres.hpp"
#include "storage/sqlite.hpp"

namespace kelu::storage {

std::int64_t Row::integer(std::size_t i) const {
  const Value& v = values_.at(i);
  if (auto p = std::get_if<std::int64_t>(&v)) return *p;
  if (auto p = std::get_if<double>(&v)) return static_cast<std::int64_t>(*p);
  if (auto p = std::get_if<std::string>(&v)) return p->empty() ? 0 : std::stoll(*p);
  return 0;
}

double Row::real(std::size_t i) const {
  const Value& v = values_.at(i);
  if (auto p = std::get_if<double>(&v)) return *p;
  if (auto p = std::get_if<std::int64_t>(&v)) return static_cast<double>(*p);
  if (auto p = std::get_if<std::string>(&v)) return p->empty() ? 0 : std::stod(*p);
  return 0;
}

std::string Row::text(std::size_t i) const {
  const Value& v = values_.at(i);
  if (auto p = std::get_if<std::string>(&v)) return *p;
  if (auto p = std::get_if<std::int64_t>(&v)) return std::to_string(*p);
  if (auto p = std::get_if<double>(&v)) return std::to_string(*p);
  return {};
}

std::optional<std::int64_t> Row::opt_integer(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return integer(i);
}

std::optional<std::string> Row::opt_text(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return text(i);
}

void Connection::ForEach(std::string_view sql, const Params& params,
                         const std::function<void(const Row&)>& f) {
  for (const auto& r : Query(sql, params).rows) f(r);
}

std::vector<ResultSet> Connection::QueryAll(const std::vector<Statement>& statements) {
  std::vector<ResultSet> out;
  out.reserve(statements.size());
  for (const auto& s : statements) out.push_back(Query(s.sql, s.params));
  return out;
}

std::optional<Row> Connection::QueryOne(std::string_view sql, const Params& params) {
  auto rs = Query(sql, params);
  if (rs.rows.empty()) return std::nullopt;
  return std::move(rs.rows.front());
}

std::int64_t Connection::QueryInt(std::string_view sql, const Params& params) {
  auto row = QueryOne(sql, params);
  return row ? row->integer(0) : 0;
}

std::unique_ptr<Database> Database::Open(const std::string& url, int pool_size,
                                         int busy_timeout_ms) {
  if (url.starts_with("sqlite:")) {
    return OpenSqlite(url.substr(7), pool_size, busy_timeout_ms);
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return OpenPostgres(url, pool_size);
  }
  throw DatabaseUnavailable("unsupported database URL (use sqlite:PATH or postgresql://…)");
}

namespace {
thread_local int statement_timeout_ms = 0;
}  // namespace

StatementTimeout::StatementTimeout(int milliseconds) : previous_(statement_timeout_ms) {
  statement_timeout_ms = milliseconds > 0 ? milliseconds : 0;
}

StatementTimeout::~StatementTimeout() { statement_timeout_ms = previous_; }

int StatementTimeout::Current() { return statement_timeout_ms; }

std::string Placeholders(std::size_t n) {
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) out += i ? ",?" : "?";
  return out;
}

void Backoff(const RetryPolicy& policy, int attempt) {
  int ms = policy.first_backoff_ms;
  for (int i = 1; i < attempt && ms < policy.max_backoff_ms; ++i) ms *= 2;
  std::this_thread::sleep_for(std::chrono::milliseconds(std::min(ms, policy.max_backoff_ms)));
}

}  // namespace kelu::storage
