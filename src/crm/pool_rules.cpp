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
                      std::optional<Timestamp> last_follow_up) {
  ReturnPlan plan;
  int days = settings.ReturnAfterDays(level);
  if (days <= 0) return plan;
  Timestamp since = last_follow_up ? std::max(owned_since, *last_follow_up) : owned_since;
  plan.return_at = since + std::chrono::days(days);
  if (settings.pool.warn_days > 0 && settings.pool.warn_days < days) {
    plan.warn_at = *plan.return_at - std::chrono::days(settings.pool.warn_days);
  }
  return plan;
}

}  // namespace kelu::crm
