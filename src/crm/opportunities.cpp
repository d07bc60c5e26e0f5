// CrmService: pipelines, stages and opportunities (商机).
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/validation.hpp"
#include "crm/internal.hpp"
#include "identity/audit.hpp"

namespace kelu::crm {

using storage::Connection;
using storage::Row;
using storage::V;
using namespace internal;

namespace {

constexpr const char* kOpportunityColumns =
    "o.opportunity_id, o.customer_id, o.name, o.amount_fen, o.pipeline_id, o.stage_id, o.status, "
    "o.lost_reason, o.expected_close_date, o.owner_id, o.closed_at, o.created_at, o.updated_at, "
    "(SELECT name FROM customers cu WHERE cu.tenant_id = o.tenant_id AND cu.customer_id = "
    "o.customer_id), "
    "(SELECT name FROM stages s WHERE s.tenant_id = o.tenant_id AND s.stage_id = o.stage_id), "
    "(SELECT probability FROM stages s WHERE s.tenant_id = o.tenant_id AND s.stage_id = "
    "o.stage_id), "
    "(SELECT name FROM users u WHERE u.tenant_id = o.tenant_id AND u.user_id = o.owner_id), "
    "o.custom";

struct DefaultStage {
  const char* name;
  int probability;
};
constexpr DefaultStage kDefaultStages[] = {
    {"初步接洽", 10}, {"需求确认", 30}, {"方案报价", 50}, {"商务谈判", 70}, {"签约中", 90}};

std::int64_t EnsureDefaultPipeline(Connection& c, std::int64_t tenant_id, Timestamp now) {
  if (auto p = c.QueryOne("SELECT pipeline_id FROM pipelines WHERE tenant_id = ? ORDER BY "
                          "position, pipeline_id LIMIT 1",
                          {V(tenant_id)})) {
    return p->integer(0);
  }
  std::int64_t id = c.NextId();
  c.Exec(
      "INSERT INTO pipelines (tenant_id, pipeline_id, name, position, created_at, updated_at) "
      "VALUES (?, ?, '销售流程', 0, ?, ?)",
      {V(tenant_id), V(id), V(ToMicros(now)), V(ToMicros(now))});
  int position = 0;
  for (const auto& s : kDefaultStages) {
    c.Exec(
        "INSERT INTO stages (tenant_id, stage_id, pipeline_id, name, position, probability) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        {V(tenant_id), V(c.NextId()), V(id), V(s.name), V(position++), V(s.probability)});
  }
  return id;
}

json::object PipelineView(Connection& c, std::int64_t tenant_id, const Row& p) {
  json::array stages;
  for (const auto& s : c.Query("SELECT stage_id, name, probability, position FROM stages WHERE "
                               "tenant_id = ? AND pipeline_id = ? ORDER BY position",
                               {V(tenant_id), V(p.integer(0))})
                           .rows) {
    stages.push_back(json::object{{"id", s.integer(0)},
                                  {"name", s.text(1)},
                                  {"probability", s.integer(2)},
                                  {"position", s.integer(3)}});
  }
  return json::object{{"id", p.integer(0)}, {"name", p.text(1)}, {"stages", std::move(stages)}};
}

struct StageInput {
  std::optional<std::int64_t> id;
  std::string name;
  int probability;
};

// {name, stages: [{id?, name, probability}]}: 1 to 20 stages with distinct names.
Result<std::pair<std::optional<std::string>, std::optional<std::vector<StageInput>>>> ReadPipeline(
    const json::object& body, bool creating) {
  Fields f(body);
  f.OnlyKeys({"name", "stages"});
  auto name = f.String("name", creating, 1, 60);
  std::optional<std::vector<StageInput>> stages;
  auto it = body.find("stages");
  if (it == body.end()) {
    if (creating) f.Fail("stages", "required");
  } else if (!it->value().is_array() || it->value().get_array().empty() ||
             it->value().get_array().size() > 20) {
    f.Fail("stages", "must be a list of 1 to 20 stages");
  } else {
    stages.emplace();
    std::set<std::string> names;
    for (const auto& v : it->value().get_array()) {
      if (!v.is_object()) {
        f.Fail("stages", "every stage is {name, probability}");
        break;
      }
      Fields sf(v.get_object());
      sf.OnlyKeys({"id", "name", "probability"});
      bool id_present = false;
      auto id = sf.NullableId("id", id_present);
      auto sname = sf.String("name", true, 1, 30);
      auto prob = sf.Int("probability", true, 0, 100);
      if (!sf.ok()) {
        for (const auto& [k, e] : sf.errors()) f.Fail("stages." + k, e);
        break;
      }
      if (!names.insert(*sname).second) {
        f.Fail("stages.name", "stage names must be unique");
        break;
      }
      stages->push_back({id, *sname, static_cast<int>(*prob)});
    }
  }
  if (!f.ok()) return f.ToError();
  return std::pair{name, stages};
}

std::optional<std::int64_t> Actor(const Principal& who) {
  if (who.user_id) return who.user_id;
  return std::nullopt;
}

std::optional<Row> FindOpportunity(Connection& c, const Visibility& v, std::int64_t id) {
  storage::Params params{V(v.tenant_id), V(id)};
  std::string scope = OwnerCondition(v, "o", params);
  return c.QueryOne(fmt::format("SELECT {} FROM opportunities o WHERE o.tenant_id = ? AND "
                                "o.opportunity_id = ? AND o.deleted_at IS NULL AND {}",
                                kOpportunityColumns, scope),
                    params);
}

}  // namespace

json::object CrmService::OpportunityView(const Row& r) const {
  std::int64_t amount = r.integer(3);
  std::string status = r.text(6);
  std::int64_t probability = status == "won" ? 100 : status == "lost" ? 0 : r.integer(15);
  // Weighted amount, rounded half up to the fen.
  std::int64_t weighted = (amount * probability + 50) / 100;
  return json::object{
      {"id", r.integer(0)},
      {"customer", json::object{{"id", r.integer(1)}, {"name", r.text(13)}}},
      {"name", r.text(2)},
      {"amount_fen", amount},
      {"weighted_amount_fen", weighted},
      {"pipeline_id", r.integer(4)},
      {"stage",
       json::object{{"id", r.integer(5)}, {"name", r.text(14)}, {"probability", r.integer(15)}}},
      {"status", status},
      {"lost_reason", r.text(7)},
      {"expected_close_date", r.is_null(8) ? json::value(nullptr) : json::value(r.text(8))},
      {"owner", json::object{{"id", r.integer(9)}, {"name", r.text(16)}}},
      {"closed_at", OptTime(r, 10)},
      {"created_at", Format(r.integer(11))},
      {"updated_at", Format(r.integer(12))},
      {"custom", [&] {
         auto v = ParseJson(r.text(17));
         return v && v->is_object() ? *v : json::value(json::object{});
       }()}};
}

Result<json::object> CrmService::ListPipelines(const Principal& who, Timestamp now) {
  // Made on first use, so reading may write once.
  return db_.Write([&](Connection& c) -> Result<json::object> {
    EnsureDefaultPipeline(c, who.tenant_id, now);
    json::array items;
    for (const auto& p : c.Query("SELECT pipeline_id, name FROM pipelines WHERE tenant_id = ? "
                                 "ORDER BY position, pipeline_id",
                                 {V(who.tenant_id)})
                             .rows) {
      items.push_back(PipelineView(c, who.tenant_id, p));
    }
    return json::object{{"items", std::move(items)}, {"next_cursor", nullptr}};
  });
}

Result<json::object> CrmService::CreatePipeline(const Principal& who, const json::object& body,
                                                const RequestMeta& meta) {
  if (!identity::CanManageUsers(who.role)) return Forbidden();
  auto input = ReadPipeline(body, true);
  if (!input.ok()) return std::move(input).error();
  // Named references, not a structured binding: lambdas below capture them.
  auto& name = input->first;
  auto& stages = input->second;
  return db_.Write([&](Connection& c) -> Result<json::object> {
    EnsureDefaultPipeline(c, who.tenant_id, meta.now);
    std::int64_t id = c.NextId();
    std::int64_t position = c.QueryInt(
        "SELECT coalesce(max(position), 0) + 1 FROM pipelines WHERE "
        "tenant_id = ?",
        {V(who.tenant_id)});
    c.Exec(
        "INSERT INTO pipelines (tenant_id, pipeline_id, name, position, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        {V(who.tenant_id), V(id), V(*name), V(position), V(ToMicros(meta.now)),
         V(ToMicros(meta.now))});
    int pos = 0;
    for (const auto& s : *stages) {
      c.Exec(
          "INSERT INTO stages (tenant_id, stage_id, pipeline_id, name, position, probability) "
          "VALUES (?, ?, ?, ?, ?, ?)",
          {V(who.tenant_id), V(c.NextId()), V(id), V(s.name), V(pos++), V(s.probability)});
    }
    auto row = c.QueryOne(
        "SELECT pipeline_id, name FROM pipelines WHERE tenant_id = ? AND "
        "pipeline_id = ?",
        {V(who.tenant_id), V(id)});
    json::object view = PipelineView(c, who.tenant_id, *row);
    identity::RecordAudit(c, who, meta,
                          {"pipeline.create", "pipeline", std::to_string(id), {}, view});
    return view;
  });
}

Result<json::object> CrmService::UpdatePipeline(const Principal& who, std::int64_t id,
                                                const json::object& body, const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto row = c.QueryOne(
        "SELECT pipeline_id, name FROM pipelines WHERE tenant_id = ? AND "
        "pipeline_id = ?",
        {V(who.tenant_id), V(id)});
    if (!row) return Error::NotFound("pipeline");
    if (!identity::CanManageUsers(who.role)) return Forbidden();
    auto input = ReadPipeline(body, false);
    if (!input.ok()) return std::move(input).error();
    auto& [name, stages] = input.value();
    json::object before = PipelineView(c, who.tenant_id, *row);
    if (name) {
      c.Exec(
          "UPDATE pipelines SET name = ?, updated_at = ? WHERE tenant_id = ? AND pipeline_id = ?",
          {V(*name), V(ToMicros(meta.now)), V(who.tenant_id), V(id)});
    }
    if (stages) {
      std::set<std::int64_t> kept;
      for (const auto& s : *stages) {
        if (!s.id) continue;
        if (c.QueryInt("SELECT count(*) FROM stages WHERE tenant_id = ? AND stage_id = ? AND "
                       "pipeline_id = ?",
                       {V(who.tenant_id), V(*s.id), V(id)}) == 0) {
          return FieldError("stages.id", fmt::format("{} is not a stage of this pipeline", *s.id));
        }
        kept.insert(*s.id);
      }
      for (const auto& existing :
           c.Query("SELECT stage_id, name FROM stages WHERE tenant_id = ? AND pipeline_id = ?",
                   {V(who.tenant_id), V(id)})
               .rows) {
        if (kept.count(existing.integer(0))) continue;
        std::int64_t used =
            c.QueryInt("SELECT count(*) FROM opportunities WHERE tenant_id = ? AND stage_id = ?",
                       {V(who.tenant_id), V(existing.integer(0))});
        if (used > 0) {
          return Error::Conflict(
              "stage_in_use",
              fmt::format("Stage \"{}\" holds {} opportunities; move them before removing it.",
                          existing.text(1), used),
              json::object{{"stage_id", existing.integer(0)}, {"opportunities", used}});
        }
        c.Exec("DELETE FROM stages WHERE tenant_id = ? AND stage_id = ?",
               {V(who.tenant_id), V(existing.integer(0))});
      }
      int pos = 0;
      for (const auto& s : *stages) {
        if (s.id) {
          c.Exec(
              "UPDATE stages SET name = ?, probability = ?, position = ? WHERE tenant_id = ? "
              "AND stage_id = ?",
              {V(s.name), V(s.probability), V(pos++), V(who.tenant_id), V(*s.id)});
        } else {
          c.Exec(
              "INSERT INTO stages (tenant_id, stage_id, pipeline_id, name, position, "
              "probability) VALUES (?, ?, ?, ?, ?, ?)",
              {V(who.tenant_id), V(c.NextId()), V(id), V(s.name), V(pos++), V(s.probability)});
        }
      }
    }
    auto updated = c.QueryOne(
        "SELECT pipeline_id, name FROM pipelines WHERE tenant_id = ? AND "
        "pipeline_id = ?",
        {V(who.tenant_id), V(id)});
    json::object view = PipelineView(c, who.tenant_id, *updated);
    identity::RecordAudit(c, who, meta,
                          {"pipeline.update", "pipeline", std::to_string(id), before, view});
    return view;
  });
}

Result<json::object> CrmService::ListOpportunities(const Principal& who, const Filters& filters,
                                                   const Page& page) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    Visibility v = VisibilityOf(c, identity_, who);
    storage::Params params{V(who.tenant_id), V(CursorBefore(page))};
    std::string where = "o.tenant_id = ? AND o.opportunity_id < ? AND o.deleted_at IS NULL";
    for (const auto& [key, value] : filters) {
      if (key == "pipeline_id" || key == "stage_id" || key == "customer_id" || key == "owner_id") {
        where += " AND o." + key + " = ?";
        params.push_back(V(static_cast<std::int64_t>(std::atoll(value.c_str()))));
      } else if (key == "status") {
        if (value != "open" && value != "won" && value != "lost") {
          return FieldError("status", "must be one of: open, won, lost");
        }
        where += " AND o.status = ?";
        params.push_back(V(value));
      } else if (key != "limit" && key != "cursor") {
        return FieldError(key, "unknown filter");
      }
    }
    where += " AND " + OwnerCondition(v, "o", params);
    params.push_back(V(page.limit));
    auto rows =
        c.QueryPlannedEachCall(fmt::format("SELECT {} FROM opportunities o WHERE {} ORDER BY "
                                           "o.opportunity_id DESC LIMIT ?",
                                           kOpportunityColumns, where),
                               params);
    return PageOfRows(rows, page, [this](const Row& r) { return OpportunityView(r); });
  });
}

Result<json::object> CrmService::GetOpportunity(const Principal& who, std::int64_t id) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto row = FindOpportunity(c, VisibilityOf(c, identity_, who), id);
    if (!row) return Error::NotFound("opportunity");
    return OpportunityView(*row);
  });
}

Result<json::object> CrmService::CreateOpportunity(const Principal& who, const json::object& body,
                                                   const RequestMeta& meta) {
  Fields f(body);
  f.OnlyKeys({"customer_id", "name", "amount_fen", "pipeline_id", "stage_id", "expected_close_date",
              "owner_id", "custom"});
  auto customer_id = f.Int("customer_id", true, 1, INT64_MAX);
  auto name = f.String("name", true, 1, 200);
  auto amount = f.Int("amount_fen", true, 0, 10'000'000'000'000);
  bool pipeline_present = false, stage_present = false, owner_present = false;
  auto pipeline_id = f.NullableId("pipeline_id", pipeline_present);
  auto stage_id = f.NullableId("stage_id", stage_present);
  auto owner_id = f.NullableId("owner_id", owner_present);
  auto close = f.String("expected_close_date", false, 0, 10);
  if (close && !close->empty() && !ParseDate(*close)) {
    f.Fail("expected_close_date", "must be a date YYYY-MM-DD");
  }
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    Visibility v = VisibilityOf(c, identity_, who);
    if (!FindCustomer(c, v, *customer_id, false))
      return FieldError("customer_id", "no such customer");
    std::int64_t pipeline = pipeline_id.value_or(EnsureDefaultPipeline(c, who.tenant_id, meta.now));
    if (c.QueryInt("SELECT count(*) FROM pipelines WHERE tenant_id = ? AND pipeline_id = ?",
                   {V(who.tenant_id), V(pipeline)}) == 0) {
      return FieldError("pipeline_id", "no such pipeline");
    }
    std::int64_t stage;
    if (stage_id) {
      if (c.QueryInt("SELECT count(*) FROM stages WHERE tenant_id = ? AND stage_id = ? AND "
                     "pipeline_id = ?",
                     {V(who.tenant_id), V(*stage_id), V(pipeline)}) == 0) {
        return FieldError("stage_id", "is not a stage of the pipeline");
      }
      stage = *stage_id;
    } else {
      stage = c.QueryInt(
          "SELECT stage_id FROM stages WHERE tenant_id = ? AND pipeline_id = ? "
          "ORDER BY position LIMIT 1",
          {V(who.tenant_id), V(pipeline)});
    }
    std::int64_t owner = owner_id.value_or(who.user_id);
    auto u = c.QueryOne(
        "SELECT department_id FROM users WHERE tenant_id = ? AND user_id = ? AND "
        "status = 'active'",
        {V(who.tenant_id), V(owner)});
    if (!u) return FieldError("owner_id", "no such active user");
    if (owner != who.user_id && !v.all &&
        std::find(v.departments.begin(), v.departments.end(), u->integer(0)) ==
            v.departments.end()) {
      return FieldError("owner_id", "outside your data scope");
    }
    auto custom = CustomFromBody(c, who.tenant_id, "opportunity", body, "{}", true);
    if (!custom.ok()) return std::move(custom).error();
    std::int64_t id = c.NextId();
    std::int64_t now = ToMicros(meta.now);
    std::optional<std::string> close_date;
    if (close && !close->empty()) close_date = close;
    c.Exec(
        "INSERT INTO opportunities (tenant_id, opportunity_id, customer_id, name, amount_fen, "
        "pipeline_id, stage_id, status, lost_reason, expected_close_date, owner_id, closed_at, "
        "created_by, created_at, updated_at, custom) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', '', ?, "
        "?, NULL, ?, ?, ?, ?)",
        {V(who.tenant_id), V(id), V(*customer_id), V(*name), V(*amount), V(pipeline), V(stage),
         V(close_date), V(owner), V(Actor(who)), V(now), V(now), V(custom.value())});
    c.Exec(
        "INSERT INTO opportunity_changes (tenant_id, change_id, opportunity_id, at, actor_id, "
        "from_stage_id, to_stage_id, from_status, to_status) VALUES (?, ?, ?, ?, ?, NULL, ?, "
        "NULL, 'open')",
        {V(who.tenant_id), V(c.NextId()), V(id), V(now), V(Actor(who)), V(stage)});
    auto row = FindOpportunity(c, Visibility{true, who.tenant_id, who.user_id, {}}, id);
    json::object view = OpportunityView(*row);
    RecordEvent(c, who.tenant_id, *customer_id, meta.now, Actor(who), "opportunity_created",
                json::object{{"opportunity_id", id}, {"name", *name}, {"amount_fen", *amount}});
    identity::RecordAudit(c, who, meta,
                          {"opportunity.create", "opportunity", std::to_string(id), {}, view});
    return view;
  });
}

Result<json::object> CrmService::UpdateOpportunity(const Principal& who, std::int64_t id,
                                                   const json::object& body,
                                                   const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Result<json::object> {
    Visibility v = VisibilityOf(c, identity_, who);
    auto row = FindOpportunity(c, v, id);
    if (!row) return Error::NotFound("opportunity");
    Fields f(body);
    f.OnlyKeys({"name", "amount_fen", "pipeline_id", "stage_id", "status", "lost_reason",
                "expected_close_date", "custom"});
    auto name = f.String("name", false, 1, 200);
    auto amount = f.Int("amount_fen", false, 0, 10'000'000'000'000);
    bool pipeline_present = false, stage_present = false;
    auto pipeline_id = f.NullableId("pipeline_id", pipeline_present);
    auto stage_id = f.NullableId("stage_id", stage_present);
    auto status = f.Enum("status", false, {"open", "won", "lost"});
    auto lost_reason = f.String("lost_reason", false, 0, 500);
    bool close_present = f.has("expected_close_date");
    auto close = f.String("expected_close_date", false, 0, 10);
    if (close && !close->empty() && !ParseDate(*close)) {
      f.Fail("expected_close_date", "must be a date YYYY-MM-DD");
    }
    std::string to_status = status.value_or(row->text(6));
    std::string reason = lost_reason.value_or(to_status == "lost" ? row->text(7) : "");
    if (to_status == "lost" && reason.empty()) f.Fail("lost_reason", "required when lost");
    if (!f.ok()) return f.ToError();
    auto custom = CustomFromBody(c, who.tenant_id, "opportunity", body, row->text(17), false);
    if (!custom.ok()) return std::move(custom).error();
    std::int64_t pipeline = pipeline_id.value_or(row->integer(4));
    std::int64_t stage = stage_id.value_or(row->integer(5));
    if (pipeline != row->integer(4) && !stage_id) {
      return FieldError("stage_id", "required when moving to another pipeline");
    }
    if (c.QueryInt("SELECT count(*) FROM stages WHERE tenant_id = ? AND stage_id = ? AND "
                   "pipeline_id = ?",
                   {V(who.tenant_id), V(stage), V(pipeline)}) == 0) {
      return FieldError("stage_id", "is not a stage of the pipeline");
    }
    std::optional<std::int64_t> closed_at = row->opt_integer(10);
    if (to_status != row->text(6)) {
      closed_at = to_status == "open" ? std::nullopt : std::optional(ToMicros(meta.now));
    }
    std::optional<std::string> close_date = row->opt_text(8);
    if (close_present) close_date = close && !close->empty() ? close : std::nullopt;
    c.Exec(
        "UPDATE opportunities SET name = ?, amount_fen = ?, pipeline_id = ?, stage_id = ?, "
        "status = ?, lost_reason = ?, expected_close_date = ?, closed_at = ?, custom = ?, "
        "updated_at = ? "
        "WHERE tenant_id = ? AND opportunity_id = ?",
        {V(name.value_or(row->text(2))), V(amount.value_or(row->integer(3))), V(pipeline), V(stage),
         V(to_status), V(to_status == "lost" ? reason : std::string()), V(close_date), V(closed_at),
         V(custom.value()), V(ToMicros(meta.now)), V(who.tenant_id), V(id)});
    bool moved = stage != row->integer(5) || to_status != row->text(6);
    if (moved) {
      c.Exec(
          "INSERT INTO opportunity_changes (tenant_id, change_id, opportunity_id, at, actor_id, "
          "from_stage_id, to_stage_id, from_status, to_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {V(who.tenant_id), V(c.NextId()), V(id), V(ToMicros(meta.now)), V(Actor(who)),
           V(row->integer(5)), V(stage), V(row->text(6)), V(to_status)});
    }
    auto updated = FindOpportunity(c, Visibility{true, who.tenant_id, who.user_id, {}}, id);
    json::object view = OpportunityView(*updated);
    if (moved) {
      std::string kind = to_status != row->text(6) ? "opportunity_" + to_status : "stage_changed";
      RecordEvent(c, who.tenant_id, row->integer(1), meta.now, Actor(who), kind,
                  json::object{{"opportunity_id", id},
                               {"from_stage", row->text(14)},
                               {"to_stage", updated->text(14)},
                               {"status", to_status}});
    }
    json::object b = OpportunityView(*row), a = view;
    b.erase("updated_at");
    a.erase("updated_at");
    identity::Diff(b, a);
    identity::RecordAudit(c, who, meta,
                          {"opportunity.update", "opportunity", std::to_string(id), b, a});
    return view;
  });
}

Status CrmService::DeleteOpportunity(const Principal& who, std::int64_t id,
                                     const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Status {
    auto row = FindOpportunity(c, VisibilityOf(c, identity_, who), id);
    if (!row) return Error::NotFound("opportunity");
    c.Exec(
        "UPDATE opportunities SET deleted_at = ?, deleted_by = ? WHERE tenant_id = ? AND "
        "opportunity_id = ?",
        {V(ToMicros(meta.now)), V(Actor(who)), V(who.tenant_id), V(id)});
    identity::RecordAudit(c, who, meta,
                          {"opportunity.delete",
                           "opportunity",
                           std::to_string(id),
                           json::object{{"name", row->text(2)}},
                           {}});
    return OkStatus();
  });
}

Result<json::object> CrmService::OpportunityHistory(const Principal& who, std::int64_t id) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    if (!FindOpportunity(c, VisibilityOf(c, identity_, who), id)) {
      return Error::NotFound("opportunity");
    }
    auto rows = c.Query(
        "SELECT h.change_id, h.at, h.actor_id, h.from_stage_id, h.to_stage_id, h.from_status, "
        "h.to_status, (SELECT name FROM stages s WHERE s.tenant_id = h.tenant_id AND s.stage_id = "
        "h.from_stage_id), (SELECT name FROM stages s WHERE s.tenant_id = h.tenant_id AND "
        "s.stage_id = h.to_stage_id) FROM opportunity_changes h WHERE h.tenant_id = ? AND "
        "h.opportunity_id = ? ORDER BY h.change_id",
        {V(who.tenant_id), V(id)});
    json::array items;
    for (const auto& r : rows.rows) {
      items.push_back(json::object{
          {"id", r.integer(0)},
          {"at", Format(r.integer(1))},
          {"actor_id", r.is_null(2) ? json::value(nullptr) : json::value(r.integer(2))},
          {"from_stage",
           r.is_null(3) ? json::value(nullptr)
                        : json::value(json::object{{"id", r.integer(3)}, {"name", r.text(7)}})},
          {"to_stage", json::object{{"id", r.integer(4)}, {"name", r.text(8)}}},
          {"from_status", r.is_null(5) ? json::value(nullptr) : json::value(r.text(5))},
          {"to_status", r.text(6)}});
    }
    return json::object{{"items", std::move(items)}, {"next_cursor", nullptr}};
  });
}

}  // namespace kelu::crm
