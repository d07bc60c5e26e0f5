// The customer pool's (公海) rules as pure functions: who may claim, and when an owned
// customer is warned about and returned to its pool.
#pragma once

#include <optional>

#include "core/result.hpp"
#include "core/time.hpp"
#include "crm/settings.hpp"

namespace kelu::crm {

struct ClaimContext {
  int customers_held = 0;  // by the claimant now
  int claims_today = 0;    // by the claimant this business day
  bool was_last_owner = false;
  std::optional<Timestamp> returned_at;  // when the customer last went back to the pool
  Timestamp now;
};

// 409 customer_cap_reached, daily_claim_cap_reached or reclaim_cooldown, else ok.
Status CheckClaim(const PoolRules& rules, const ClaimContext& ctx);

struct ReturnPlan {
  std::optional<Timestamp> return_at;  // nullopt: never returns automatically
  std::optional<Timestamp> warn_at;
};

// When a customer of `level` owned since `owned_since`, last followed up at
// `last_follow_up` and last won at `last_won` (if ever), returns to the pool and when its owner
// is warned: the earlier of the follow-up rule and the won-opportunity rule.
ReturnPlan PlanReturn(const CrmSettings& settings, const std::string& level, Timestamp owned_since,
                      std::optional<Timestamp> last_follow_up,
                      std::optional<Timestamp> last_won = std::nullopt);

}  // namespace kelu::crm
