// Query plans of the CRM's per-row lookups, on SQLite and on PostgreSQL (when KELU_TEST_PG_URL
// names a server), in the state a new database is in: tables never analyzed.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "crm/internal.hpp"
#include "storage/scratch_database.hpp"

namespace kelu::crm {
namespace {

class QueryPlanTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    scratch_ = std::make_unique<storage::ScratchDatabase>(
        GetParam(), ::testing::UnitTest::GetInstance()->current_test_info()->name(), clock_.now(),
        1);
    if (!scratch_->available()) GTEST_SKIP() << "KELU_TEST_PG_URL not set";
    ASSERT_EQ(scratch_->migration_error(), "");
  }
  // The plan's lines, outermost first: SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's generic
  // plan of the prepared statement (the one a connection keeps after five executions).
  std::vector<std::string> Plan(const std::string& sql) {
    return scratch_->db().Read([&](storage::Connection& c) {
      std::vector<std::string> lines;
      if (c.dialect() == storage::Dialect::kSqlite) {
        auto rows = c.Query("EXPLAIN QUERY PLAN " + sql,
                            {storage::V(1), storage::V("phone"), storage::V("138"), storage::V(0)});
        for (const auto& r : rows.rows) lines.push_back(r.text(3));
        return lines;
      }
      std::string numbered;
      int n = 0;
      for (char ch : sql) numbered += ch == '?' ? "$" + std::to_string(++n) : std::string(1, ch);
      c.ExecScript("SET plan_cache_mode = force_generic_plan");
      c.ExecScript("PREPARE planned (bigint, text, text, bigint) AS " + numbered);
      for (const auto& r : c.Query("EXPLAIN EXECUTE planned (1, 'phone', '138', 0)").rows) {
        lines.push_back(r.text(0));
      }
      c.ExecScript("DEALLOCATE planned; RESET plan_cache_mode");
      return lines;
    });
  }
  ManualClock clock_{FromMicros(1'800'000'000'000'000)};
  std::unique_ptr<storage::ScratchDatabase> scratch_;
};

// The first line of a plan that reads a table: the outer side of any join.
std::string FirstRead(const std::vector<std::string>& plan) {
  for (const auto& line : plan) {
    if (line.find("Scan ") != std::string::npos || line.starts_with("SEARCH ") ||
        line.starts_with("SCAN ")) {
      return line;
    }
  }
  return "";
}

TEST_P(QueryPlanTest, TheDuplicateCheckByPhoneStartsFromTheContactPointIndex) {
  auto plan = Plan(internal::kContactPointMatchSql);
  std::string all;
  for (const auto& line : plan) all += line + "\n";
  std::string first = FirstRead(plan);
  EXPECT_NE(first.find("contact_points_value"), std::string::npos) << all;
  EXPECT_EQ(all.find("Seq Scan"), std::string::npos) << all;
  EXPECT_EQ(all.find("SCAN "), std::string::npos) << all;
}

INSTANTIATE_TEST_SUITE_P(Drivers, QueryPlanTest, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace kelu::crm
