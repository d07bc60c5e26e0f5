#include "crm/settings.hpp"

#include "core/validation.hpp"

namespace kelu::crm {

int CrmSettings::ReturnAfterDays(const std::string& level) const {
  auto it = pool.return_after_days.find(level);
  if (it != pool.return_after_days.end()) return it->second;
  auto fallback = pool.return_after_days.find("");
  return fallback == pool.return_after_days.end() ? 0 : fallback->second;
}

namespace {

void ReadList(const json::object& doc, const char* key, std::vector<std::string>& out, Fields& f) {
  auto it = doc.find(key);
  if (it == doc.end()) return;
  if (!it->value().is_array() || it->value().get_array().empty() ||
      it->value().get_array().size() > 50) {
    f.Fail(key, "must be a list of 1 to 50 names");
    return;
  }
  std::vector<std::string> values;
  for (const auto& v : it->value().get_array()) {
    if (!v.is_string() || v.get_string().empty() || v.get_string().size() > 60) {
      f.Fail(key, "every entry must be a name of 1 to 60 characters");
      return;
    }
    for (const auto& seen : values) {
      if (seen == v.get_string()) {
        f.Fail(key, "entries must be unique");
        return;
      }
    }
    values.emplace_back(v.get_string());
  }
  out = std::move(values);
}

void ReadInt(const json::object& doc, const char* key, int& out, int min, int max, Fields& f,
             const std::string& path) {
  auto it = doc.find(key);
  if (it == doc.end()) return;
  if (!it->value().is_int64() || it->value().get_int64() < min || it->value().get_int64() > max) {
    f.Fail(path, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return;
  }
  out = static_cast<int>(it->value().get_int64());
}

}  // namespace

Result<CrmSettings> ParseSettings(const json::object& doc) {
  CrmSettings s;
  Fields f(doc);
  f.OnlyKeys({"levels", "statuses", "sources", "industries", "duplicates", "pool"});
  ReadList(doc, "levels", s.levels, f);
  ReadList(doc, "statuses", s.statuses, f);
  ReadList(doc, "sources", s.sources, f);
  ReadList(doc, "industries", s.industries, f);
  if (auto it = doc.find("duplicates"); it != doc.end()) {
    if (!it->value().is_object()) {
      f.Fail("duplicates", "must map name, phone and email to warn or block");
    } else {
      for (const auto& kv : it->value().get_object()) {
        std::string field(kv.key());
        if (field != "name" && field != "phone" && field != "email") {
          f.Fail("duplicates." + field, "unknown field (name, phone or email)");
        } else if (kv.value() == "warn") {
          s.duplicates[field] = DuplicatePolicy::kWarn;
        } else if (kv.value() == "block") {
          s.duplicates[field] = DuplicatePolicy::kBlock;
        } else {
          f.Fail("duplicates." + field, "must be warn or block");
        }
      }
    }
  }
  if (auto it = doc.find("pool"); it != doc.end()) {
    if (!it->value().is_object()) {
      f.Fail("pool", "must be an object");
    } else {
      const json::object& p = it->value().get_object();
      Fields pf(p);
      pf.OnlyKeys({"max_customers_per_user", "max_claims_per_day", "cooldown_days", "warn_days",
                   "return_after_days", "no_won_opportunity_days"});
      for (const auto& [k, v] : pf.errors()) f.Fail("pool." + k, v);
      ReadInt(p, "max_customers_per_user", s.pool.max_customers_per_user, 1, 100000, f,
              "pool.max_customers_per_user");
      ReadInt(p, "max_claims_per_day", s.pool.max_claims_per_day, 0, 10000, f,
              "pool.max_claims_per_day");
      ReadInt(p, "cooldown_days", s.pool.cooldown_days, 0, 365, f, "pool.cooldown_days");
      ReadInt(p, "warn_days", s.pool.warn_days, 0, 60, f, "pool.warn_days");
      ReadInt(p, "no_won_opportunity_days", s.pool.no_won_opportunity_days, 0, 3650, f,
              "pool.no_won_opportunity_days");
      if (auto r = p.find("return_after_days"); r != p.end()) {
        if (!r->value().is_object()) {
          f.Fail("pool.return_after_days", "must map levels to days");
        } else {
          std::map<std::string, int> days;
          for (const auto& kv : r->value().get_object()) {
            if (!kv.value().is_int64() || kv.value().get_int64() < 0 ||
                kv.value().get_int64() > 3650) {
              f.Fail("pool.return_after_days." + std::string(kv.key()),
                     "must be from 0 to 3650 days");
            } else {
              days[std::string(kv.key())] = static_cast<int>(kv.value().get_int64());
            }
          }
          s.pool.return_after_days = std::move(days);
        }
      }
    }
  }
  if (!f.ok()) return f.ToError();
  return s;
}

json::object SettingsToJson(const CrmSettings& s) {
  auto list = [](const std::vector<std::string>& v) {
    json::array a;
    for (const auto& x : v) a.emplace_back(x);
    return a;
  };
  json::object dup;
  for (const auto& [k, v] : s.duplicates) dup[k] = v == DuplicatePolicy::kBlock ? "block" : "warn";
  json::object days;
  for (const auto& [k, v] : s.pool.return_after_days) days[k] = v;
  json::object pool{{"max_customers_per_user", s.pool.max_customers_per_user},
                    {"max_claims_per_day", s.pool.max_claims_per_day},
                    {"cooldown_days", s.pool.cooldown_days},
                    {"warn_days", s.pool.warn_days},
                    {"return_after_days", std::move(days)},
                    {"no_won_opportunity_days", s.pool.no_won_opportunity_days}};
  return json::object{{"levels", list(s.levels)},     {"statuses", list(s.statuses)},
                      {"sources", list(s.sources)},   {"industries", list(s.industries)},
                      {"duplicates", std::move(dup)}, {"pool", std::move(pool)}};
}

}  // namespace kelu::crm
