#include "crm/pool_rules.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace kelu::crm {
namespace {

Timestamp At(const char* s) { return *ParseRfc3339(s); }

TEST(PoolRules, ClaimIsRefusedAtTheHoldingCap) {
  PoolRules r;
  r.max_customers_per_user = 2;
  ClaimContext c{2, 0, false, std::nullopt, At("2026-11-24T09:00:00+08:00")};
  auto s = CheckClaim(r, c);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "customer_cap_reached");
  c.customers_held = 1;
  EXPECT_TRUE(CheckClaim(r, c).ok());
}

TEST(PoolRules, ClaimIsRefusedAtTheDailyCap) {
  PoolRules r;
  r.max_claims_per_day = 3;
  ClaimContext c{0, 3, false, std::nullopt, At("2026-11-24T09:00:00+08:00")};
  EXPECT_EQ(CheckClaim(r, c).error().code, "daily_claim_cap_reached");
}

TEST(PoolRules, AFormerOwnerWaitsOutTheCooldown) {
  PoolRules r;
  r.cooldown_days = 7;
  ClaimContext c{0, 0, true, At("2026-11-20T09:00:00+08:00"), At("2026-11-27T08:59:59+08:00")};
  EXPECT_EQ(CheckClaim(r, c).error().code, "reclaim_cooldown");
  c.now = At("2026-11-27T09:00:00+08:00");
  EXPECT_TRUE(CheckClaim(r, c).ok());
  c.was_last_owner = false;
  c.now = At("2026-11-21T09:00:00+08:00");
  EXPECT_TRUE(CheckClaim(r, c).ok());
}

TEST(PoolRules, ReturnCountsFromTheLaterOfOwnershipAndLastFollowUp) {
  CrmSettings s;
  s.pool.warn_days = 3;
  auto plan = PlanReturn(s, "C", At("2026-11-01T10:00:00+08:00"), At("2026-11-10T10:00:00+08:00"));
  EXPECT_EQ(plan.return_at, At("2026-12-10T10:00:00+08:00"));
  EXPECT_EQ(plan.warn_at, At("2026-12-07T10:00:00+08:00"));
  auto never = PlanReturn(s, "A", At("2026-11-01T10:00:00+08:00"), std::nullopt);
  EXPECT_EQ(never.return_at, At("2027-01-30T10:00:00+08:00"));
  auto unknown = PlanReturn(s, "Z", At("2026-11-01T10:00:00+08:00"), std::nullopt);
  EXPECT_EQ(unknown.return_at, At("2026-12-01T10:00:00+08:00"));
}

TEST(PoolRules, NoWonOpportunityReturnsEarlierWhenItIsShorter) {
  CrmSettings s;
  s.pool.warn_days = 3;
  s.pool.no_won_opportunity_days = 20;
  // Followed up recently (level C: 30 days), but nothing won for 20 days since taking it.
  auto plan = PlanReturn(s, "C", At("2026-11-01T10:00:00+08:00"), At("2026-11-15T10:00:00+08:00"),
                         std::nullopt);
  EXPECT_EQ(plan.return_at, At("2026-11-21T10:00:00+08:00"));
  EXPECT_EQ(plan.warn_at, At("2026-11-18T10:00:00+08:00"));
  // A win restarts that count; then the follow-up rule comes first.
  auto won = PlanReturn(s, "C", At("2026-11-01T10:00:00+08:00"), At("2026-11-15T10:00:00+08:00"),
                        At("2026-12-01T10:00:00+08:00"));
  EXPECT_EQ(won.return_at, At("2026-12-15T10:00:00+08:00"));
}

TEST(PoolRules, ZeroDaysTurnsAutoReturnOff) {
  CrmSettings s;
  s.pool.return_after_days["A"] = 0;
  EXPECT_FALSE(PlanReturn(s, "A", At("2026-11-01T10:00:00+08:00"), std::nullopt).return_at);
}

TEST(CrmSettings, ParseKeepsDefaultsAndNamesBadKeys) {
  auto ok = ParseSettings(
      *boost::json::parse(R"({"levels": ["重要", "普通"], "pool": {"cooldown_days": 3}})")
           .if_object());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->levels, (std::vector<std::string>{"重要", "普通"}));
  EXPECT_EQ(ok->pool.cooldown_days, 3);
  EXPECT_EQ(ok->pool.max_claims_per_day, 20);
  auto bad = ParseSettings(
      *boost::json::parse(
           R"({"levels": [], "duplicates": {"name": "maybe"}, "pool": {"warn_days": -1, "x": 1}})")
           .if_object());
  ASSERT_FALSE(bad.ok());
  const auto& fields = bad.error().details.at("fields").as_object();
  EXPECT_TRUE(fields.contains("levels"));
  EXPECT_TRUE(fields.contains("duplicates.name"));
  EXPECT_TRUE(fields.contains("pool.warn_days"));
  EXPECT_TRUE(fields.contains("pool.x"));
}

}  // namespace
}  // namespace kelu::crm
