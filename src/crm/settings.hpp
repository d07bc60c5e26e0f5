// A tenant's CRM settings: the choice lists of customer fields, the duplicate policy per
// field, and the customer pool's rules. Stored as one JSON document per tenant; missing keys
// take the defaults. Pure.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"

namespace kelu::crm {

enum class DuplicatePolicy { kWarn, kBlock };

struct PoolRules {
  int max_customers_per_user = 200;  // customers one user may hold
  int max_claims_per_day = 20;       // claims from the pool per user per business day
  int cooldown_days = 7;             // a former owner may not reclaim before this many days
  int warn_days = 3;                 // the owner is warned this many days before auto-return
  // Days without a follow-up before a customer returns to the pool, per level; "" is the
  // default for customers without a level. 0 turns auto-return off for that level.
  std::map<std::string, int> return_after_days = {
      {"A", 90}, {"B", 60}, {"C", 30}, {"D", 15}, {"", 30}};
  // Days an owner may hold a customer without winning an opportunity (counted from taking it
  // or from the last win); 0 turns the rule off.
  int no_won_opportunity_days = 0;
};

struct CrmSettings {
  std::vector<std::string> levels = {"A", "B", "C", "D"};
  std::vector<std::string> statuses = {"潜在", "意向", "谈判", "成交", "流失"};
  std::vector<std::string> sources = {"官网", "电话", "展会", "转介绍", "广告", "其他"};
  std::vector<std::string> industries = {"制造业", "批发零售", "信息技术", "建筑", "教育",
                                         "医疗",   "金融",     "餐饮",     "物流", "其他"};
  std::map<std::string, DuplicatePolicy> duplicates = {{"name", DuplicatePolicy::kBlock},
                                                       {"phone", DuplicatePolicy::kWarn},
                                                       {"email", DuplicatePolicy::kWarn}};
  PoolRules pool;

  // Days before return for `level` (the default entry when the level has none).
  int ReturnAfterDays(const std::string& level) const;
};

// Reads settings over the defaults; 422 validation_failed naming each bad key.
Result<CrmSettings> ParseSettings(const json::object& doc);
json::object SettingsToJson(const CrmSettings& s);

}  // namespace kelu::crm
