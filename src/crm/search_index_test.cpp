// SQLite's trigram index keeps each tenant's documents apart (migration 0026): a tenant's
// query reads its own entries only, whatever other tenants hold.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "core/clock.hpp"
#include "crm/internal.hpp"
#include "storage/scratch_database.hpp"

namespace kelu::crm {
namespace {

using storage::Connection;
using storage::V;

class SearchIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_ = std::make_unique<storage::ScratchDatabase>(
        "sqlite", ::testing::UnitTest::GetInstance()->current_test_info()->name(), clock_.now(), 1);
    ASSERT_EQ(scratch_->migration_error(), "");
  }
  // A tenant with one customer named `name`, indexed as the CRM indexes it.
  void AddCustomer(std::int64_t tenant_id, std::int64_t customer_id, const std::string& name) {
    Status s = scratch_->db().Write([&](Connection& c) -> Status {
      c.Exec(
          "INSERT INTO tenants (tenant_id, slug, name, state, seats, created_at, updated_at) "
          "VALUES (?, ?, 'T', 'active', 1, 0, 0) ON CONFLICT DO NOTHING",
          {V(tenant_id), V("t" + std::to_string(tenant_id))});
      c.Exec(
          "INSERT INTO customers (tenant_id, customer_id, kind, name, name_norm, phones, "
          "created_at, updated_at) VALUES (?, ?, 'company', ?, ?, '[\"021-5555 0188\"]', 0, 0)",
          {V(tenant_id), V(customer_id), V(name), V(name)});
      internal::ReindexCustomers(c, tenant_id, {customer_id});
      return OkStatus();
    });
    ASSERT_TRUE(s.ok());
  }
  // The tenants of the documents the trigram index answers for `query`, with no other filter.
  std::multiset<std::int64_t> TenantsMatching(const std::string& query) {
    return scratch_->db().Read([&](Connection& c) {
      std::multiset<std::int64_t> out;
      for (const auto& r : c.Query("SELECT d.tenant_id FROM search_fts f JOIN search_docs d ON "
                                   "d.rowid = f.rowid WHERE search_fts MATCH ?",
                                   {V(query)})
                               .rows) {
        out.insert(r.integer(0));
      }
      return out;
    });
  }
  ManualClock clock_{FromMicros(1'800'000'000'000'000)};
  std::unique_ptr<storage::ScratchDatabase> scratch_;
};

// Tenant ids at the edges of each base-6400 digit of the mark, and a large one: the mark the
// query spells (C++) must be the one the index was built with (SQL, in the view).
constexpr std::int64_t kTenants[] = {1,        6399,     6400,     6401,
                                     40959999, 40960000, 40960001, 123456789012};

TEST_F(SearchIndexTest, TheTrigramIndexAnswersATenantWithItsOwnDocumentsOnly) {
  std::int64_t customer = 100;
  for (std::int64_t t : kTenants) AddCustomer(t, ++customer, "上海翠湖电子有限公司");
  // The text alone matches every tenant's document…
  EXPECT_EQ(TenantsMatching("text : \"有限公司\""),
            std::multiset<std::int64_t>(std::begin(kTenants), std::end(kTenants)));
  // …the tenant's query, only its own: by name and by phone digits.
  for (std::int64_t t : kTenants) {
    EXPECT_EQ(TenantsMatching(internal::TrigramQuery(t, "有限公司")),
              std::multiset<std::int64_t>{t})
        << "tenant " << t;
    EXPECT_EQ(TenantsMatching(internal::TrigramQuery(t, "0188")), std::multiset<std::int64_t>{t})
        << "tenant " << t;
  }
  // A tenant with no such document finds none, though others have it.
  EXPECT_TRUE(TenantsMatching(internal::TrigramQuery(777, "有限公司")).empty());
}

TEST_F(SearchIndexTest, TheMarkIsThreePrivateUseCharactersUniquePerTenant) {
  std::set<std::string> marks;
  for (std::int64_t t : kTenants) {
    std::string m = internal::TrigramTenantMark(t);
    ASSERT_EQ(m.size(), 9u);
    for (std::size_t i = 0; i < m.size(); i += 3) {
      auto lead = static_cast<unsigned char>(m[i]);
      EXPECT_TRUE(lead == 0xEE || lead == 0xEF) << "tenant " << t;  // U+E000…U+F8FF
    }
    marks.insert(m);
  }
  EXPECT_EQ(marks.size(), std::size(kTenants));
}

// Deleting a customer's documents takes their entries out under the same mark.
TEST_F(SearchIndexTest, ADeletedDocumentLeavesNoEntryUnderItsTenant) {
  AddCustomer(6401, 7, "杭州远航物流有限公司");
  ASSERT_EQ(TenantsMatching(internal::TrigramQuery(6401, "远航物流")).size(), 1u);
  Status s = scratch_->db().Write([](Connection& c) -> Status {
    c.Exec("UPDATE customers SET deleted_at = 1 WHERE tenant_id = 6401 AND customer_id = 7");
    internal::ReindexCustomers(c, 6401, {7});
    return OkStatus();
  });
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(TenantsMatching(internal::TrigramQuery(6401, "远航物流")).empty());
  EXPECT_TRUE(TenantsMatching("text : \"远航物流\"").empty());
}

}  // namespace
}  // namespace kelu::crm
