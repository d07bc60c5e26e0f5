// Query plans of the CRM's per-row lookups, on SQLite and on PostgreSQL (when KELU_TEST_PG_URL
// names a server), in the state a new database is in: tables never analyzed.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "crm/internal.hpp"
#include "storage/scratch_test.hpp"

namespace kelu::crm {
namespace {

class QueryPlanTest : public storage::ScratchDatabaseTest {
 protected:
  // The plan's lines, outermost first: SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's generic
  // plan of the prepared statement (the one a connection keeps after five executions); with
  // `custom`, PostgreSQL's plan for these values (as QueryPlannedEachCall runs it).
  std::vector<std::string> Plan(const std::string& sql, const storage::Params& params,
                                bool custom = false) {
    return scratch_->db().Read([&](storage::Connection& c) {
      std::vector<std::string> lines;
      if (c.dialect() == storage::Dialect::kSqlite) {
        for (const auto& r : c.Query("EXPLAIN QUERY PLAN " + sql, params).rows) {
          lines.push_back(r.text(3));
        }
        return lines;
      }
      std::string numbered;
      int n = 0;
      for (char ch : sql) numbered += ch == '?' ? "$" + std::to_string(++n) : std::string(1, ch);
      std::string values;  // the parameters as SQL literals, their types left to PostgreSQL
      for (const auto& p : params) {
        if (!values.empty()) values += ", ";
        if (const auto* i = std::get_if<std::int64_t>(&p)) {
          values += std::to_string(*i);
        } else if (const auto* t = std::get_if<std::string>(&p)) {
          values += "'";
          for (char ch : *t) values += ch == '\'' ? std::string("''") : std::string(1, ch);
          values += "'";
        } else {
          values += "NULL";
        }
      }
      c.ExecScript(custom ? "SET plan_cache_mode = force_custom_plan"
                          : "SET plan_cache_mode = force_generic_plan");
      c.ExecScript("PREPARE planned AS " + numbered);
      for (const auto& r : c.Query("EXPLAIN EXECUTE planned (" + values + ")").rows) {
        lines.push_back(r.text(0));
      }
      c.ExecScript("DEALLOCATE planned; RESET plan_cache_mode");
      return lines;
    });
  }
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
  auto plan = Plan(internal::kContactPointMatchSql,
                   {storage::V(1), storage::V("phone"), storage::V("138"), storage::V(0)});
  std::string all;
  for (const auto& line : plan) all += line + "\n";
  std::string first = FirstRead(plan);
  EXPECT_NE(first.find("contact_points_value"), std::string::npos) << all;
  EXPECT_EQ(all.find("Seq Scan"), std::string::npos) << all;
  EXPECT_EQ(all.find("SCAN "), std::string::npos) << all;
}

// The customer list searched by phone digits reads the tenant's phones once, into a set. A
// subquery naming the outer customer is run again for every customer, each time over all the
// tenant's phones: at 100 000 customers such a list never finished.
TEST_P(QueryPlanTest, TheCustomerListSearchedByDigitsReadsThePhonesOnce) {
  Principal who;
  who.tenant_id = 1;
  who.user_id = 2;
  internal::Visibility everything{.all = true, .tenant_id = 1};
  auto query = scratch_->db().Read([&](storage::Connection& c) {
    // Without candidates from the search indexes, as for a text too common to take them.
    return internal::CustomerListQueryFor(c, who, everything, {{"q", "1380"}, {"with_total", "1"}},
                                          Page{}, /*candidate_cap=*/0);
  });
  ASSERT_TRUE(query.ok()) << query.error().message;
  EXPECT_TRUE(query.value().plan_each_call);
  for (const auto& [sql, params] :
       {std::pair{query.value().page_sql, query.value().page_params},
        std::pair{query.value().count_sql, query.value().count_params}}) {
    auto plan = Plan(sql, params);
    std::string all;
    for (const auto& line : plan) all += line + "\n";
    EXPECT_NE(all.find("contact_points"), std::string::npos) << all;  // the digits are matched
    EXPECT_EQ(all.find("CORRELATED"), std::string::npos) << all;      // SQLite
    for (const auto& line : plan) {  // PostgreSQL: where the subplan is used, it is hashed
      if (line.find("SubPlan") != std::string::npos &&
          !line.substr(line.find_first_not_of(' ')).starts_with("SubPlan")) {
        EXPECT_NE(line.find("hashed SubPlan"), std::string::npos) << all;
      }
    }
  }
}

// With candidates from the search indexes, the customer and contact lists read those records by
// key and their own phones by the contact points' key: nothing of the tenant's others. A tenant
// of 3 000 indexed customers, 20 of them with the phone searched for (on PostgreSQL 100 000 more,
// analyzed as autovacuum leaves them; kelu never analyzes SQLite), planned for the values, as
// the list runs its statements (QueryPlannedEachCall).
TEST_P(QueryPlanTest, TheListsSearchedAmongCandidatesReadThemByKey) {
  constexpr int kCustomers = 3000;
  Status seeded = scratch_->db().Write([&](storage::Connection& c) -> Status {
    c.Exec(
        "INSERT INTO tenants (tenant_id, slug, name, state, seats, created_at, updated_at) "
        "VALUES (1, 't', 'T', 'active', 1, 0, 0)");
    std::vector<std::int64_t> ids;
    for (std::int64_t i = 1; i <= kCustomers; ++i) {
      std::string phone = fmt::format("{}-{:04d}", i % 150 == 0 ? "138-0013" : "021-5555", i);
      std::string name = fmt::format("翠湖贸易{:04d}", i);
      c.Queue(
          "INSERT INTO customers (tenant_id, customer_id, kind, name, name_norm, phones, "
          "created_at, updated_at) VALUES (1, ?, 'company', ?, ?, ?, 0, ?)",
          {storage::V(i), storage::V(name), storage::V(name), storage::V("[\"" + phone + "\"]"),
           storage::V(i)});
      internal::IndexContactPoints(c, 1, i, std::nullopt, {phone}, {},
                                   internal::PointsOf::kNewRecord);
      // A contact each, the same number its mobile.
      c.Queue(
          "INSERT INTO contacts (tenant_id, contact_id, customer_id, name, mobile, created_at, "
          "updated_at) VALUES (1, ?, ?, '联系人', ?, 0, 0)",
          {storage::V(i + 10000), storage::V(i), storage::V(phone)});
      internal::IndexContactPoints(c, 1, i, i + 10000, {phone}, {}, internal::PointsOf::kNewRecord);
      ids.push_back(i);
    }
    internal::ReindexCustomers(c, 1, ids);
    return OkStatus();
  });
  ASSERT_TRUE(seeded.ok()) << seeded.error().message;
  if (GetParam() == "postgres") {
    // A tenant as big as the plan matters for: 100 000 more customers, each with a phone.
    scratch_->db().Read([](storage::Connection& c) {
      c.ExecScript(
          "INSERT INTO customers (tenant_id, customer_id, kind, name, name_norm, phones, "
          "created_at, updated_at) SELECT 1, g, 'company', '银河' || g, '银河' || g, '[]', 0, g "
          "FROM generate_series(100001, 200000) g");
      c.ExecScript("ANALYZE customers");
      c.ExecScript(
          "INSERT INTO contacts (tenant_id, contact_id, customer_id, name, mobile, created_at, "
          "updated_at) SELECT 1, g + 100000, g, '联系人', '0215556' || g, 0, 0 FROM "
          "generate_series(100001, 200000) g");
      c.ExecScript("ANALYZE contacts");
      c.ExecScript(
          "INSERT INTO contact_points (tenant_id, customer_id, point_id, contact_id, kind, value) "
          "SELECT 1, g, g, NULL, 'phone', '0215556' || g FROM generate_series(100001, 200000) g "
          "UNION ALL SELECT 1, g, g + 100000, g + 100000, 'phone', '0215556' || g FROM "
          "generate_series(100001, 200000) g");
      c.ExecScript("ANALYZE");
    });
  }
  Principal who;
  who.tenant_id = 1;
  who.user_id = 2;
  internal::Visibility everything{.all = true, .tenant_id = 1};
  auto query = scratch_->db().Read([&](storage::Connection& c) {
    return internal::CustomerListQueryFor(c, who, everything,
                                          {{"q", "138-0013"}, {"with_total", "1"}}, Page{});
  });
  ASSERT_TRUE(query.ok()) << query.error().message;
  const internal::CustomerListQuery& q = query.value();
  EXPECT_EQ(scratch_->db().Read([&](storage::Connection& c) {
    return c.QueryPlannedEachCall(q.count_sql, q.count_params).rows.at(0).integer(0);
  }),
            kCustomers / 150);
  // The contact list alike.
  auto contacts = scratch_->db().Read([&](storage::Connection& c) {
    return internal::ContactListQueryFor(c, who, everything, {{"q", "138-0013"}}, Page{});
  });
  ASSERT_TRUE(contacts.ok()) << contacts.error().message;
  const internal::ContactListQuery& cq = contacts.value();
  EXPECT_EQ(scratch_->db().Read([&](storage::Connection& c) {
    return c.QueryPlannedEachCall(cq.sql, cq.params).rows.size();
  }),
            std::size_t{kCustomers / 150});
  for (const auto& [sql, params] :
       {std::pair{q.page_sql, q.page_params}, std::pair{q.count_sql, q.count_params},
        std::pair{cq.sql, cq.params}}) {
    auto plan = Plan(sql, params, /*custom=*/true);
    std::string all;
    for (const auto& line : plan) all += line + "\n";
    // The digits are matched in the candidates' own phones, by the contact points' key.
    EXPECT_NE(
        all.find(GetParam() == "sqlite" ? "SEARCH p USING PRIMARY KEY" : "contact_points_pkey"),
        std::string::npos)
        << all;
    EXPECT_EQ(all.find("contact_points_value"), std::string::npos) << all;  // not all phones
    EXPECT_EQ(all.find("SCAN cu"), std::string::npos) << all;               // SQLite
    EXPECT_EQ(all.find("SCAN ct"), std::string::npos) << all;
    EXPECT_EQ(all.find("Seq Scan"), std::string::npos) << all;              // PostgreSQL
    EXPECT_EQ(all.find("customers_updated"), std::string::npos) << all;     // not in list order
  }
}

INSTANTIATE_TEST_SUITE_P(Drivers, QueryPlanTest, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace kelu::crm
