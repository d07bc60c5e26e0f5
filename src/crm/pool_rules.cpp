#include "crm/pool_rules.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kelu::crm {

Status CheckClaim(const PoolRules& rules, const ClaimContext& ctx) {
  if (ctx.customers_held >= rules.max_customers_per_user) {
    json::object d{{"limit", rules.max_customers_per_user}, {"held", ctx.customers_held}};
    return Error::Conflict("customer_cap_reached",
                           fmt::format("You already hold {} customers, the most allowed; return "
                                       "some to the pool first.",
                                       rules.max_customers_per_user),
                           std::move(d));
  }
  if (ctx.claims_today >= rules.max_claims_per_day) {
    json::object d{{"limit", rules.max_claims_per_day}};
    return Error::Conflict(
        "daily_claim_cap_reached",
        fmt::format("You have claimed {} customers today, the most allowed per day.",
                    rules.max_claims_per_day),
        std::move(d));
  }
  if (ctx.was_last_owner && ctx.returned_at) {
    Timestamp allowed = *ctx.returned_at + std::chrono::days(rules.cooldown_days);
    if (ctx.now < allowed) {
      json::object d{{"cooldown_days", rules.cooldown_days}};
      return Error::Conflict(
          "reclaim_cooldown",
          fmt::format("This customer went back to the pool from you; you may claim it again {} "
                      "days after its return.",
                      rules.cooldown_days),
          std::move(d));
    }
  }
  return OkStatus();
}

ReturnPlan PlanReturn(const CrmSettings& settings, const std::string& level, Timestamp owned_since,
                      std::optional<Timestamp> last_follow_up, std::optional<Timestamp> last_won) {
  ReturnPlan plan;
  int shortest = 0;
  auto consider = [&](std::optional<Timestamp> last_event, int days) {
    if (days <= 0) return;
    Timestamp since = last_event ? std::max(owned_since, *last_event) : owned_since;
    Timestamp at = since + std::chrono::days(days);
    if (!plan.return_at || at < *plan.return_at) {
      plan.return_at = at;
      shortest = days;
    }
  };
  consider(last_follow_up, settings.ReturnAfterDays(level));
  consider(last_won, settings.pool.no_won_opportunity_days);
  if (plan.return_at && settings.pool.warn_days > 0 && settings.pool.warn_days < shortest) {
    plan.warn_at = *plan.return_at - std::chrono::days(settings.pool.warn_days);
  }
  return plan;
}

}  // namespace kelu::crm
