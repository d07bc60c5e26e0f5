// CrmService: merging customers, saved views and the dashboard.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/validation.hpp"
#include "crm/internal.hpp"
#include "identity/audit.hpp"

namespace kelu::crm {

using storage::Connection;
using storage::V;
using namespace internal;

Result<json::object> CrmService::MergeCustomers(const Principal& who, std::int64_t id,
                                                const json::object& body, const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Result<json::object> {
    Visibility v = VisibilityOf(c, identity_, who);
    auto survivor = FindCustomer(c, v, id, false);
    if (!survivor) return Error::NotFound("customer");
    Fields f(body);
    f.OnlyKeys({"from_id"});
    auto from_id = f.Int("from_id", true, 1, INT64_MAX);
    if (from_id && *from_id == id) f.Fail("from_id", "must be another customer");
    if (!f.ok()) return f.ToError();
    auto loser = FindCustomer(c, v, *from_id, false);
    if (!loser) return FieldError("from_id", "no such customer");
    // Phones and tags united, in order, without repeats.
    auto unite = [](const std::string& a, const std::string& b) {
      json::array out = JsonArray(a);
      for (const auto& x : JsonArray(b)) {
        if (std::find(out.begin(), out.end(), x) == out.end()) out.push_back(x);
      }
      return ToJson(out);
    };
    auto last = std::max(survivor->opt_integer(kCLastFollow).value_or(0),
                         loser->opt_integer(kCLastFollow).value_or(0));
    std::optional<std::int64_t> next = survivor->opt_integer(kCNextFollow);
    if (auto n = loser->opt_integer(kCNextFollow); n && (!next || *n < *next)) next = n;
    std::int64_t now = ToMicros(meta.now);
    c.Exec(
        "UPDATE customers SET phones = ?, tags = ?, last_follow_up_at = ?, next_follow_up_at = ?, "
        "updated_at = ? WHERE tenant_id = ? AND customer_id = ?",
        {V(unite(survivor->text(kCPhones), loser->text(kCPhones))),
         V(unite(survivor->text(kCTags), loser->text(kCTags))), last ? V(last) : V(storage::Null{}),
         V(next), V(now), V(who.tenant_id), V(id)});
    c.Exec("DELETE FROM search_docs WHERE tenant_id = ? AND customer_id = ?",
           {V(who.tenant_id), V(*from_id)});
    for (const char* table : {"contacts", "follow_ups", "opportunities", "tasks", "contact_points",
                              "customer_events"}) {
      c.Exec(fmt::format("UPDATE {} SET customer_id = ? WHERE tenant_id = ? AND customer_id = ?",
                         table),
             {V(id), V(who.tenant_id), V(*from_id)});
    }
    // The loser's own phones now index the survivor.
    c.Exec(
        "UPDATE contacts SET is_primary = 0 WHERE tenant_id = ? AND customer_id = ? AND "
        "contact_id <> (SELECT min(contact_id) FROM contacts WHERE tenant_id = ? AND "
        "customer_id = ? AND is_primary = 1)",
        {V(who.tenant_id), V(id), V(who.tenant_id), V(id)});
    ReindexCustomer(c, who.tenant_id, id);
    json::object gone = CustomerView(*loser);
    c.Exec("DELETE FROM customers WHERE tenant_id = ? AND customer_id = ?",
           {V(who.tenant_id), V(*from_id)});
    std::optional<std::int64_t> actor;
    if (who.user_id) actor = who.user_id;
    RecordEvent(c, who.tenant_id, id, meta.now, actor, "merged",
                json::object{{"from_id", *from_id}, {"from_name", loser->text(kCName)}});
    auto merged = FindCustomer(c, Visibility{true, who.tenant_id, who.user_id, {}}, id, true);
    json::object view = CustomerView(*merged);
    identity::RecordAudit(c, who, meta,
                          {"customer.merge", "customer", std::to_string(id),
                           json::object{{"merged", std::move(gone)}}, view});
    return view;
  });
}

// --- Saved views ---------------------------------------------------------------------------------

namespace {

// An SQL expression numbering the period that `column` (a time) falls in: 0 for the first of
// `starts` (each period runs from its start to the next one's; the last has no end). Its
// parameters are appended to `params`. A query counting by it sends a row per period, not per
// record.
std::string PeriodOf(const std::string& column, const std::vector<Timestamp>& starts,
                     storage::Params& params) {
  std::string sql = "CASE";
  for (std::size_t i = starts.size(); i-- > 0;) {
    sql += fmt::format(" WHEN {} >= ? THEN {}", column, i);
    params.push_back(V(ToMicros(starts[i])));
  }
  return sql + " END";
}
const std::vector<std::string> kViewEntities = {"customers", "contacts", "follow_ups",
                                                "opportunities", "tasks"};
}

Result<json::object> CrmService::ListSavedViews(const Principal& who) {
  if (who.kind != identity::PrincipalKind::kUser) return Error::NotFound();
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto rows = c.Query(
        "SELECT view_id, entity, name, filters, created_at FROM saved_views WHERE "
        "tenant_id = ? AND user_id = ? ORDER BY entity, name",
        {V(who.tenant_id), V(who.user_id)});
    json::array items;
    for (const auto& r : rows.rows) {
      auto filters = ParseJson(r.text(3));
      items.push_back(json::object{{"id", r.integer(0)},
                                   {"entity", r.text(1)},
                                   {"name", r.text(2)},
                                   {"filters", filters ? *filters : json::value(json::object{})},
                                   {"created_at", Format(r.integer(4))}});
    }
    return json::object{{"items", std::move(items)}, {"next_cursor", nullptr}};
  });
}

Result<json::object> CrmService::CreateSavedView(const Principal& who, const json::object& body,
                                                 const RequestMeta& meta) {
  if (who.kind != identity::PrincipalKind::kUser) return Error::NotFound();
  Fields f(body);
  f.OnlyKeys({"entity", "name", "filters"});
  auto entity = f.Enum("entity", true, kViewEntities);
  auto name = f.String("name", true, 1, 60);
  json::object filters;
  auto it = body.find("filters");
  if (it == body.end() || !it->value().is_object() || it->value().get_object().size() > 30) {
    f.Fail("filters", "must be an object of up to 30 query parameters");
  } else {
    for (const auto& kv : it->value().get_object()) {
      if (!kv.value().is_string() || kv.value().get_string().size() > 500 || kv.key() == "cursor" ||
          kv.key() == "limit") {
        f.Fail("filters",
               "values are strings of the list's query parameters (not cursor or limit)");
        break;
      }
    }
    if (f.ok()) filters = it->value().get_object();
  }
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    if (c.QueryInt("SELECT count(*) FROM saved_views WHERE tenant_id = ? AND user_id = ? AND "
                   "entity = ? AND name = ?",
                   {V(who.tenant_id), V(who.user_id), V(*entity), V(*name)}) > 0) {
      return Error::Conflict("view_name_taken", "You already have a view with this name.");
    }
    std::int64_t id = c.NextId();
    c.Exec(
        "INSERT INTO saved_views (tenant_id, view_id, user_id, entity, name, filters, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        {V(who.tenant_id), V(id), V(who.user_id), V(*entity), V(*name), V(ToJson(filters)),
         V(ToMicros(meta.now))});
    json::object view{{"id", id},
                      {"entity", *entity},
                      {"name", *name},
                      {"filters", filters},
                      {"created_at", FormatRfc3339(meta.now, identity_.zone())}};
    identity::RecordAudit(c, who, meta,
                          {"saved_view.create", "saved_view", std::to_string(id), {}, view});
    return view;
  });
}

Status CrmService::DeleteSavedView(const Principal& who, std::int64_t id, const RequestMeta& meta) {
  if (who.kind != identity::PrincipalKind::kUser) return Error::NotFound();
  return db_.Write([&](Connection& c) -> Status {
    if (c.Exec("DELETE FROM saved_views WHERE tenant_id = ? AND view_id = ? AND user_id = ?",
               {V(who.tenant_id), V(id), V(who.user_id)}) == 0) {
      return Error::NotFound("saved view");
    }
    identity::RecordAudit(c, who, meta,
                          {"saved_view.delete", "saved_view", std::to_string(id), {}, {}});
    return OkStatus();
  });
}

// --- Dashboard
// ------------------------------------------------------------------------------------

Result<json::object> CrmService::Dashboard(const Principal& who, const Filters& filters,
                                           Timestamp now) {
  std::optional<std::int64_t> pipeline_id;
  for (const auto& [key, value] : filters) {
    if (key == "pipeline_id") {
      pipeline_id = std::atoll(value.c_str());
    } else {
      return FieldError(key, "unknown parameter");
    }
  }
  const Zone& zone = identity_.zone();
  return db_.Read([&](Connection& c) -> Result<json::object> {
    Visibility v = VisibilityOf(c, identity_, who);
    // Weeks start on Monday in the business zone; the current week is the last of eight.
    Date today = zone.LocalDate(now);
    std::chrono::sys_days day{today};
    std::chrono::weekday wd{day};
    std::chrono::sys_days monday = day - std::chrono::days((wd.c_encoding() + 6) % 7);
    std::vector<std::chrono::sys_days> weeks;
    std::vector<Timestamp> week_starts;
    for (int i = 7; i >= 0; --i) {
      weeks.push_back(monday - std::chrono::weeks(i));
      week_starts.push_back(zone.At(Date{weeks.back()}, std::chrono::minutes(0)));
    }
    // Funnel: open opportunities per stage of the pipeline, all stages counted in one pass.
    storage::Params fp{V(who.tenant_id)};
    std::string pipe_cond = pipeline_id ? "p.pipeline_id = ?"
                                        : "p.pipeline_id = (SELECT pipeline_id "
                                          "FROM pipelines WHERE tenant_id = ? ORDER BY position, "
                                          "pipeline_id LIMIT 1)";
    fp.push_back(pipeline_id ? V(*pipeline_id) : V(who.tenant_id));
    auto stages =
        c.Query(fmt::format("SELECT s.stage_id, s.name, s.probability FROM stages s JOIN "
                            "pipelines p ON p.tenant_id = s.tenant_id AND p.pipeline_id = "
                            "s.pipeline_id WHERE s.tenant_id = ? AND {} ORDER BY s.position",
                            pipe_cond),
                fp);
    std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> open;  // stage → count, amount
    {
      storage::Params p{V(who.tenant_id)};
      std::string scope = OwnerCondition(v, "o", p);
      for (const auto& r : c.QueryPlannedEachCall(
                                fmt::format("SELECT o.stage_id, count(*), sum(o.amount_fen) FROM "
                                            "opportunities o WHERE o.tenant_id = ? AND o.status = "
                                            "'open' AND o.deleted_at IS NULL AND {} GROUP BY "
                                            "o.stage_id",
                                            scope),
                                p)
                               .rows) {
        open[r.integer(0)] = {r.integer(1), r.integer(2)};
      }
    }
    json::array funnel;
    for (const auto& s : stages.rows) {
      auto [count, amount] = open[s.integer(0)];
      funnel.push_back(json::object{{"stage_id", s.integer(0)},
                                    {"stage", s.text(1)},
                                    {"probability", s.integer(2)},
                                    {"count", count},
                                    {"amount_fen", amount}});
    }

    // A total per period of the rows in scope of one table (`alias`), counted by the database
    // (a row per period); `column` is the time that places a row in its period.
    auto per_period = [&](const char* total, const char* table, const char* alias,
                          const char* column, const char* condition,
                          const std::vector<Timestamp>& starts) {
      std::vector<std::int64_t> totals(starts.size(), 0);
      storage::Params p;
      std::string period = PeriodOf(fmt::format("{}.{}", alias, column), starts, p);
      p.insert(p.end(), {V(who.tenant_id), V(ToMicros(starts.front()))});
      std::string scope = OwnerCondition(v, alias, p);
      for (const auto& r :
           c.QueryPlannedEachCall(
                fmt::format("SELECT {0} AS period, {1} FROM {2} {3} WHERE "
                            "{3}.tenant_id = ? AND {3}.{4} >= ? AND {5}{3}.deleted_at "
                            "IS NULL AND {6} GROUP BY period",
                            period, total, table, alias, column, condition, scope),
                p)
               .rows) {
        totals[r.integer(0)] = r.integer(1);
      }
      return totals;
    };
    std::vector<std::int64_t> new_customers =
        per_period("count(*)", "customers", "cu", "created_at", "", week_starts);
    // Follow-ups per user per week, on customers in scope: a row per user and week.
    std::map<std::int64_t, std::pair<std::string, std::vector<std::int64_t>>> per_user;
    {
      storage::Params p;
      std::string week = PeriodOf("f.at", week_starts, p);
      p.insert(p.end(), {V(who.tenant_id), V(ToMicros(week_starts.front()))});
      std::string scope = OwnerCondition(v, "cu", p);
      p.push_back(V(who.tenant_id));
      for (const auto& r :
           c.QueryPlannedEachCall(
                fmt::format("SELECT g.created_by, g.period, g.n, u.name FROM (SELECT "
                            "f.created_by, {} AS period, count(*) AS n FROM follow_ups f "
                            "JOIN customers cu ON cu.tenant_id = f.tenant_id AND "
                            "cu.customer_id = f.customer_id WHERE f.tenant_id = ? AND "
                            "f.at >= ? AND f.deleted_at IS NULL AND {} GROUP BY "
                            "f.created_by, period) g LEFT JOIN users u ON u.tenant_id = ? "
                            "AND u.user_id = g.created_by",
                            week, scope),
                p)
               .rows) {
        auto& entry = per_user[r.integer(0)];
        if (entry.second.empty()) entry = {r.text(3), std::vector<std::int64_t>(8, 0)};
        entry.second[r.integer(1)] = r.integer(2);
      }
    }
    json::array week_labels, customers_series, users_series;
    for (int i = 0; i < 8; ++i) {
      week_labels.emplace_back(FormatDate(Date{weeks[i]}));
      customers_series.emplace_back(new_customers[i]);
    }
    for (const auto& [uid, entry] : per_user) {
      json::array counts;
      for (auto n : entry.second) counts.emplace_back(n);
      users_series.push_back(
          json::object{{"user_id", uid}, {"name", entry.first}, {"counts", std::move(counts)}});
    }
    // Won amount per month, twelve months to this one.
    std::chrono::year_month this_month{today.year(), today.month()};
    std::vector<std::chrono::year_month> months;
    for (int i = 11; i >= 0; --i) months.push_back(this_month - std::chrono::months(i));
    std::vector<Timestamp> month_starts;
    for (const auto& m : months)
      month_starts.push_back(zone.At(Date{m / 1}, std::chrono::minutes(0)));
    std::vector<std::int64_t> won = per_period("sum(o.amount_fen)", "opportunities", "o",
                                               "closed_at", "o.status = 'won' AND ", month_starts);
    json::array won_series;
    for (std::size_t i = 0; i < months.size(); ++i) {
      char label[16];
      std::snprintf(label, sizeof label, "%04d-%02u", int(months[i].year()),
                    unsigned(months[i].month()));
      won_series.push_back(json::object{{"month", label}, {"amount_fen", won[i]}});
    }
    // Customers whose planned follow-up time has passed.
    storage::Params ov{V(who.tenant_id), V(ToMicros(now))};
    std::string ov_scope = OwnerCondition(v, "cu", ov);
    std::int64_t overdue =
        c.QueryPlannedEachCall(fmt::format("SELECT count(*) FROM customers cu WHERE "
                                           "cu.tenant_id = ? AND cu.next_follow_up_at < ? "
                                           "AND cu.deleted_at IS NULL AND {}",
                                           ov_scope),
                               ov)
            .rows.at(0)
            .integer(0);
    return json::object{{"funnel", std::move(funnel)},
                        {"weeks", std::move(week_labels)},
                        {"new_customers_per_week", std::move(customers_series)},
                        {"follow_ups_per_user_per_week", std::move(users_series)},
                        {"won_amount_per_month", std::move(won_series)},
                        {"overdue_follow_ups", overdue}};
  });
}

}  // namespace kelu::crm
