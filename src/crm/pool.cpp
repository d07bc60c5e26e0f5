// CrmService: pools and the moves between owners and pools, the recycle bin, and the daily
// pool and purge jobs.
#include <fmt/format.h>

#include <algorithm>

#include "core/validation.hpp"
#include "crm/internal.hpp"
#include "crm/normalize.hpp"
#include "crm/pool_rules.hpp"
#include "identity/audit.hpp"

namespace kelu::crm {

using storage::Connection;
using storage::Row;
using storage::V;
using namespace internal;

namespace {

// The tenant's first pool, created as "公海" when it has none.
std::int64_t DefaultPool(Connection& c, std::int64_t tenant_id, Timestamp now) {
  if (auto p = c.QueryOne("SELECT pool_id FROM pools WHERE tenant_id = ? ORDER BY pool_id LIMIT 1",
                          {V(tenant_id)})) {
    return p->integer(0);
  }
  std::int64_t id = c.NextId();
  c.Exec(
      "INSERT INTO pools (tenant_id, pool_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
      {V(tenant_id), V(id), V("公海"), V(ToMicros(now)), V(ToMicros(now))});
  return id;
}

json::object PoolView(const Row& r, const Zone& zone) {
  return json::object{{"id", r.integer(0)},
                      {"name", r.text(1)},
                      {"customers", r.integer(2)},
                      {"created_at", FormatRfc3339(FromMicros(r.integer(3)), zone)}};
}

constexpr const char* kPoolSql =
    "SELECT p.pool_id, p.name, (SELECT count(*) FROM customers cu WHERE cu.tenant_id = p.tenant_id "
    "AND cu.pool_id = p.pool_id AND cu.owner_id IS NULL AND cu.deleted_at IS NULL), p.created_at "
    "FROM pools p WHERE p.tenant_id = ?";

// Moves a customer to `pool` with no owner; records the event.
void MoveToPool(Connection& c, std::int64_t tenant_id, const Row& customer, std::int64_t pool,
                Timestamp now, std::optional<std::int64_t> actor, const json::object& event) {
  c.Exec(
      "UPDATE customers SET row_version = row_version + 1, owner_id = NULL, pool_id = ?, "
      "last_owner_id = ?, returned_at = ?, owned_since = NULL, return_warned_at = NULL, "
      "updated_at = ? WHERE tenant_id = ? AND customer_id = ?",
      {V(pool), V(customer.opt_integer(kCOwner)), V(ToMicros(now)), V(ToMicros(now)), V(tenant_id),
       V(customer.integer(kCId))});
  RecordEvent(c, tenant_id, customer.integer(kCId), now, actor, "returned", event);
}

Status CheckHoldingCap(Connection& c, std::int64_t tenant_id, std::int64_t user_id,
                       const PoolRules& rules) {
  ClaimContext ctx;
  ctx.customers_held = static_cast<int>(
      c.QueryInt("SELECT count(*) FROM customers WHERE tenant_id = ? AND owner_id = ? AND "
                 "deleted_at IS NULL",
                 {V(tenant_id), V(user_id)}));
  return CheckClaim(rules, ctx);
}

}  // namespace

Result<json::object> CrmService::ListPools(const Principal& who) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto rows = c.Query(std::string(kPoolSql) + " ORDER BY p.pool_id", {V(who.tenant_id)});
    json::array items;
    for (const auto& r : rows.rows) items.push_back(PoolView(r, identity_.zone()));
    return json::object{{"items", std::move(items)}, {"next_cursor", nullptr}};
  });
}

Result<json::object> CrmService::CreatePool(const Principal& who, const json::object& body,
                                            const RequestMeta& meta) {
  if (!identity::CanManageUsers(who.role)) return Forbidden();
  Fields f(body);
  f.OnlyKeys({"name"});
  auto name = f.String("name", true, 1, 60);
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    if (c.QueryInt("SELECT count(*) FROM pools WHERE tenant_id = ? AND name = ?",
                   {V(who.tenant_id), V(*name)}) > 0) {
      return Error::Conflict("pool_name_taken", "Another pool already has this name.");
    }
    std::int64_t id = c.NextId();
    c.Exec(
        "INSERT INTO pools (tenant_id, pool_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, "
        "?)",
        {V(who.tenant_id), V(id), V(*name), V(ToMicros(meta.now)), V(ToMicros(meta.now))});
    auto row = c.QueryOne(std::string(kPoolSql) + " AND p.pool_id = ?", {V(who.tenant_id), V(id)});
    json::object view = PoolView(*row, identity_.zone());
    identity::RecordAudit(c, who, meta, {"pool.create", "pool", std::to_string(id), {}, view});
    return view;
  });
}

Result<json::object> CrmService::PoolCustomers(const Principal& who, std::int64_t pool_id,
                                               const Page& page) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    if (c.QueryInt("SELECT count(*) FROM pools WHERE tenant_id = ? AND pool_id = ?",
                   {V(who.tenant_id), V(pool_id)}) == 0) {
      return Error::NotFound("pool");
    }
    auto rows = c.QueryPlannedEachCall(
        fmt::format("SELECT {} FROM {} WHERE cu.tenant_id = ? AND "
                    "cu.pool_id = ? AND cu.owner_id IS NULL AND cu.deleted_at IS "
                    "NULL AND cu.customer_id < ? ORDER BY cu.customer_id DESC LIMIT ?",
                    kCustomerColumns, kCustomerFrom),
        {V(who.tenant_id), V(pool_id), V(CursorBefore(page)), V(page.limit)});
    return PageOfRows(rows, page, [this](const Row& r) { return CustomerView(r); });
  });
}

Result<json::object> CrmService::Claim(const Principal& who, std::int64_t customer_id,
                                       const RequestMeta& meta) {
  if (who.kind != identity::PrincipalKind::kUser) return Error::NotFound();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    Visibility v = VisibilityOf(c, identity_, who);
    auto row = FindCustomer(c, v, customer_id, true);
    if (!row) return Error::NotFound("customer");
    if (!row->is_null(kCOwner)) {
      return Error::Conflict(
          "customer_not_in_pool",
          "This customer already has an owner; only pool customers are claimed.");
    }
    CrmSettings settings = LoadSettings(c, who.tenant_id);
    Date today = identity_.zone().LocalDate(meta.now);
    ClaimContext ctx;
    ctx.now = meta.now;
    ctx.customers_held = static_cast<int>(
        c.QueryInt("SELECT count(*) FROM customers WHERE tenant_id = ? AND owner_id = ? AND "
                   "deleted_at IS NULL",
                   {V(who.tenant_id), V(who.user_id)}));
    ctx.claims_today = static_cast<int>(c.QueryInt(
        "SELECT count(*) FROM customer_events WHERE tenant_id = ? AND kind = 'claimed' AND "
        "actor_id = ? AND at >= ?",
        {V(who.tenant_id), V(who.user_id),
         V(ToMicros(identity_.zone().At(today, std::chrono::minutes(0))))}));
    ctx.was_last_owner = row->opt_integer(kCLastOwner) == who.user_id;
    if (auto r = row->opt_integer(kCReturnedAt)) ctx.returned_at = FromMicros(*r);
    KELU_RETURN_IF_ERROR(CheckClaim(settings.pool, ctx));
    std::optional<std::int64_t> dept = who.department_id;
    c.Exec(
        "UPDATE customers SET row_version = row_version + 1, owner_id = ?, department_id = ?, "
        "owned_since = ?, return_warned_at = NULL, updated_at = ? WHERE tenant_id = ? AND "
        "customer_id = ?",
        {V(who.user_id), V(dept), V(ToMicros(meta.now)), V(ToMicros(meta.now)), V(who.tenant_id),
         V(customer_id)});
    RecordEvent(
        c, who.tenant_id, customer_id, meta.now, who.user_id, "claimed",
        json::object{{"pool_id", row->is_null(kCPool) ? json::value(nullptr)
                                                      : json::value(row->integer(kCPool))}});
    auto updated = FindCustomer(c, v, customer_id, true);
    json::object view = CustomerView(*updated);
    identity::RecordAudit(c, who, meta,
                          {"customer.claim", "customer", std::to_string(customer_id),
                           json::object{{"owner", nullptr}}, json::object{{"owner", who.user_id}}});
    return view;
  });
}

Result<json::object> CrmService::Return(const Principal& who, std::int64_t customer_id,
                                        const json::object& body, const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Result<json::object> {
    // The addressed record first: another tenant's id is 404 whatever the body says.
    Visibility v = VisibilityOf(c, identity_, who);
    auto row = FindCustomer(c, v, customer_id, false);
    if (!row) return Error::NotFound("customer");
    Fields f(body);
    f.OnlyKeys({"reason", "pool_id"});
    auto reason = f.String("reason", true, 1, 500);
    bool pool_present = false;
    auto pool_id = f.NullableId("pool_id", pool_present);
    if (!f.ok()) return f.ToError();
    if (row->is_null(kCOwner)) {
      return Error::Conflict("customer_in_pool", "This customer is already in a pool.");
    }
    std::int64_t pool;
    if (pool_id) {
      if (c.QueryInt("SELECT count(*) FROM pools WHERE tenant_id = ? AND pool_id = ?",
                     {V(who.tenant_id), V(*pool_id)}) == 0) {
        return FieldError("pool_id", "no such pool");
      }
      pool = *pool_id;
    } else {
      pool = row->opt_integer(kCPool).value_or(DefaultPool(c, who.tenant_id, meta.now));
    }
    std::optional<std::int64_t> actor;
    if (who.user_id) actor = who.user_id;
    MoveToPool(c, who.tenant_id, *row, pool, meta.now, actor,
               json::object{{"reason", *reason},
                            {"pool_id", pool},
                            {"automatic", false},
                            {"from_owner", row->integer(kCOwner)}});
    auto updated =
        FindCustomer(c, Visibility{true, who.tenant_id, who.user_id, {}}, customer_id, true);
    identity::RecordAudit(
        c, who, meta,
        {"customer.return", "customer", std::to_string(customer_id),
         json::object{{"owner", row->integer(kCOwner)}},
         json::object{{"owner", nullptr}, {"pool_id", pool}, {"reason", *reason}}});
    return CustomerView(*updated);
  });
}

Result<json::object> CrmService::Assign(const Principal& who, std::int64_t customer_id,
                                        const json::object& body, const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Result<json::object> {
    Visibility v = VisibilityOf(c, identity_, who);
    auto row = FindCustomer(c, v, customer_id, true);
    if (!row) return Error::NotFound("customer");
    if (!v.all && v.departments.empty()) return Forbidden();
    Fields f(body);
    f.OnlyKeys({"owner_id"});
    auto owner = f.Int("owner_id", true, 1, INT64_MAX);
    if (!f.ok()) return f.ToError();
    auto user = c.QueryOne(
        "SELECT department_id, name FROM users WHERE tenant_id = ? AND "
        "user_id = ? AND status = 'active'",
        {V(who.tenant_id), V(*owner)});
    if (!user) return FieldError("owner_id", "no such active user");
    if (!v.all && *owner != who.user_id &&
        std::find(v.departments.begin(), v.departments.end(), user->integer(0)) ==
            v.departments.end()) {
      return FieldError("owner_id", "outside your data scope");
    }
    if (row->opt_integer(kCOwner) == *owner) return CustomerView(*row);
    CrmSettings settings = LoadSettings(c, who.tenant_id);
    KELU_RETURN_IF_ERROR(CheckHoldingCap(c, who.tenant_id, *owner, settings.pool));
    c.Exec(
        "UPDATE customers SET row_version = row_version + 1, owner_id = ?, department_id = ?, "
        "owned_since = ?, return_warned_at = NULL, updated_at = ? WHERE tenant_id = ? AND "
        "customer_id = ?",
        {V(*owner), V(user->opt_integer(0)), V(ToMicros(meta.now)), V(ToMicros(meta.now)),
         V(who.tenant_id), V(customer_id)});
    std::optional<std::int64_t> actor;
    if (who.user_id) actor = who.user_id;
    json::value from =
        row->is_null(kCOwner) ? json::value(nullptr) : json::value(row->integer(kCOwner));
    RecordEvent(
        c, who.tenant_id, customer_id, meta.now, actor, "assigned",
        json::object{{"from_owner", from}, {"to_owner", *owner}, {"to_name", user->text(1)}});
    identity::RecordAudit(c, who, meta,
                          {"customer.assign", "customer", std::to_string(customer_id),
                           json::object{{"owner", from}}, json::object{{"owner", *owner}}});
    auto updated =
        FindCustomer(c, Visibility{true, who.tenant_id, who.user_id, {}}, customer_id, true);
    return CustomerView(*updated);
  });
}

// --- Recycle bin --------------------------------------------------------------------------------

Result<json::object> CrmService::RecycleBin(const Principal& who, const Page& page) {
  if (!identity::CanManageUsers(who.role)) return Forbidden();
  return db_.Read([&](Connection& c) -> Result<json::object> {
    storage::Params params;
    std::string sql;
    const char* parts[][3] = {{"customer", "customer_id", "name"},
                              {"contact", "contact_id", "name"},
                              {"follow_up", "follow_up_id", "content"},
                              {"task", "task_id", "title"},
                              {"opportunity", "opportunity_id", "name"}};
    const char* tables[] = {"customers", "contacts", "follow_ups", "tasks", "opportunities"};
    for (int i = 0; i < 5; ++i) {
      if (i) sql += " UNION ALL ";
      sql += fmt::format(
          "SELECT {1} AS id, '{0}' AS type, {2} AS label, deleted_at, deleted_by "
          "FROM {3} WHERE tenant_id = ? AND deleted_at IS NOT NULL AND {1} < ?",
          parts[i][0], parts[i][1], parts[i][2], tables[i]);
      params.push_back(V(who.tenant_id));
      params.push_back(V(CursorBefore(page)));
    }
    sql += " ORDER BY 1 DESC LIMIT ?";
    params.push_back(V(page.limit));
    auto rows = c.Query(sql, params);
    return PageOfRows(rows, page, [this](const Row& r) {
      std::string label = r.text(2);
      if (Utf8Length(label).value_or(0) > 80) label = label.substr(0, 240);
      return json::object{
          {"id", r.integer(0)},
          {"type", r.text(1)},
          {"label", label},
          {"deleted_at", Format(r.integer(3))},
          {"deleted_by", r.is_null(4) ? json::value(nullptr) : json::value(r.integer(4))},
          {"purge_at", Format(r.integer(3) + std::int64_t{kRecycleDays} * 86'400'000'000)}};
    });
  });
}

Result<json::object> CrmService::Restore(const Principal& who, std::string_view type,
                                         std::int64_t id, const RequestMeta& meta) {
  if (!identity::CanManageUsers(who.role)) return Forbidden();
  struct Kind {
    const char* type;
    const char* table;
    const char* key;
  };
  static constexpr Kind kKinds[] = {{"customer", "customers", "customer_id"},
                                    {"contact", "contacts", "contact_id"},
                                    {"follow_up", "follow_ups", "follow_up_id"},
                                    {"task", "tasks", "task_id"},
                                    {"opportunity", "opportunities", "opportunity_id"}};
  const Kind* kind = nullptr;
  for (const auto& k : kKinds) {
    if (type == k.type) kind = &k;
  }
  if (!kind) return Error::NotFound();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto row =
        c.QueryOne(fmt::format("SELECT deleted_at{} FROM {} WHERE tenant_id = ? AND {} = ? "
                               "AND deleted_at IS NOT NULL",
                               kind->type == std::string_view("customer") ? ", 0" : ", customer_id",
                               kind->table, kind->key),
                   {V(who.tenant_id), V(id)});
    if (!row) return Error::NotFound(kind->type);
    if (meta.now - FromMicros(row->integer(0)) > std::chrono::days(kRecycleDays)) {
      return Error::Conflict("restore_window_passed",
                             "Deleted records can be restored for 30 days; this one is older.");
    }
    if (kind->type != std::string_view("customer") && !row->is_null(1) &&
        c.QueryInt("SELECT count(*) FROM customers WHERE tenant_id = ? AND customer_id = ? AND "
                   "deleted_at IS NULL",
                   {V(who.tenant_id), V(row->integer(1))}) == 0) {
      return Error::Conflict("parent_deleted", "Restore its customer first.");
    }
    c.Exec(fmt::format("UPDATE {} SET deleted_at = NULL, deleted_by = NULL WHERE tenant_id = ? AND "
                       "{} = ?",
                       kind->table, kind->key),
           {V(who.tenant_id), V(id)});
    if (kind->type == std::string_view("customer")) {
      ReindexCustomer(c, who.tenant_id, id);
      RecordEvent(c, who.tenant_id, id, meta.now,
                  who.user_id ? std::optional(who.user_id) : std::nullopt, "restored",
                  json::object{});
    } else if (kind->type == std::string_view("contact")) {
      auto ct = c.QueryOne(
          "SELECT customer_id, mobile, phone, email FROM contacts WHERE "
          "tenant_id = ? AND contact_id = ?",
          {V(who.tenant_id), V(id)});
      IndexContactPoints(c, who.tenant_id, ct->integer(0), id, {ct->text(1), ct->text(2)},
                         {ct->text(3)}, PointsOf::kExistingRecord);
      ReindexCustomer(c, who.tenant_id, ct->integer(0));
    }
    identity::RecordAudit(
        c, who, meta,
        {std::string(kind->type) + ".restore", kind->type, std::to_string(id), {}, {}});
    return json::object{{"type", kind->type}, {"id", id}, {"restored", true}};
  });
}

// --- Daily jobs
// -----------------------------------------------------------------------------------

Status CrmService::RunPoolJob(Timestamp now) {
  auto tenants = db_.Read([](Connection& c) {
    return c.Query("SELECT tenant_id FROM tenants WHERE state = 'active' ORDER BY tenant_id");
  });
  for (const auto& t : tenants.rows) {
    std::int64_t tenant_id = t.integer(0);
    Status s = db_.Write([&](Connection& c) -> Status {
      CrmSettings settings = LoadSettings(c, tenant_id);
      auto owned = c.QueryPlannedEachCall(
          fmt::format("SELECT {}, cu.return_warned_at, (SELECT max(o.closed_at) "
                      "FROM opportunities o WHERE o.tenant_id = cu.tenant_id AND "
                      "o.customer_id = cu.customer_id AND o.status = 'won' AND "
                      "o.deleted_at IS NULL) FROM {} WHERE "
                      "cu.tenant_id = ? AND cu.owner_id IS NOT NULL AND "
                      "cu.deleted_at IS NULL",
                      kCustomerColumns, kCustomerFrom),
          {V(tenant_id)});
      std::size_t warned_col = kCCustom + 1;
      for (const auto& r : owned.rows) {
        Timestamp since = FromMicros(r.opt_integer(kCOwnedSince).value_or(r.integer(kCCreatedAt)));
        std::optional<Timestamp> last;
        if (auto l = r.opt_integer(kCLastFollow)) last = FromMicros(*l);
        std::optional<Timestamp> won;
        if (auto w = r.opt_integer(warned_col + 1)) won = FromMicros(*w);
        ReturnPlan plan = PlanReturn(settings, r.text(kCLevel), since, last, won);
        if (plan.return_at && *plan.return_at <= now) {
          std::int64_t pool = r.opt_integer(kCPool).value_or(DefaultPool(c, tenant_id, now));
          // Which rule fell due: the follow-up rule alone gives the same date, or it was the
          // won-opportunity rule.
          CrmSettings follow_up_only = settings;
          follow_up_only.pool.no_won_opportunity_days = 0;
          bool by_follow_up =
              PlanReturn(follow_up_only, r.text(kCLevel), since, last).return_at == plan.return_at;
          std::string reason = by_follow_up ? fmt::format("{} 天未跟进，自动退回公海",
                                                          settings.ReturnAfterDays(r.text(kCLevel)))
                                            : fmt::format("{} 天未成单，自动退回公海",
                                                          settings.pool.no_won_opportunity_days);
          MoveToPool(c, tenant_id, r, pool, now, std::nullopt,
                     json::object{{"reason", reason},
                                  {"pool_id", pool},
                                  {"automatic", true},
                                  {"from_owner", r.integer(kCOwner)}});
          identity::RecordAnonymousAudit(
              c, tenant_id, "system", identity::RequestMeta{"", "kelu", "daily-job", now},
              {"customer.auto_return", "customer", std::to_string(r.integer(kCId)),
               json::object{{"owner", r.integer(kCOwner)}},
               json::object{{"owner", nullptr}, {"pool_id", pool}}});
        } else if (plan.warn_at && *plan.warn_at <= now && r.is_null(warned_col)) {
          std::int64_t id = c.NextId();
          c.Exec(
              "INSERT INTO tasks (tenant_id, task_id, title, due_at, assignee_id, customer_id, "
              "follow_up_id, done_at, created_by, created_at, updated_at) "
              "VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?)",
              {V(tenant_id), V(id), V("即将退回公海：" + r.text(kCName)),
               V(ToMicros(*plan.return_at)), V(r.integer(kCOwner)), V(r.integer(kCId)),
               V(ToMicros(now)), V(ToMicros(now))});
          c.Exec(
              "UPDATE customers SET return_warned_at = ? WHERE tenant_id = ? AND customer_id = ?",
              {V(ToMicros(now)), V(tenant_id), V(r.integer(kCId))});
          RecordEvent(c, tenant_id, r.integer(kCId), now, std::nullopt, "return_warning",
                      json::object{{"return_at", FormatRfc3339(*plan.return_at, identity_.zone())},
                                   {"task_id", id}});
        }
      }
      return OkStatus();
    });
    KELU_RETURN_IF_ERROR(s);
  }
  return OkStatus();
}

Status CrmService::PurgeRecycleBin(Timestamp now) {
  std::int64_t cutoff = ToMicros(now - std::chrono::days(kRecycleDays));
  return db_.Write([&](Connection& c) -> Status {
    // Attachments of the records about to go leave with them, and their bytes leave the quota;
    // the blobs no row refers to any more are collected by the attachments' daily job.
    const std::string doomed = fmt::format(
        "(EXISTS (SELECT 1 FROM customers cu WHERE cu.tenant_id = {0}.tenant_id AND "
        "cu.customer_id = {0}.customer_id AND cu.deleted_at IS NOT NULL AND cu.deleted_at < ?) "
        "OR ({0}.entity = 'contact' AND EXISTS (SELECT 1 FROM contacts x WHERE x.tenant_id = "
        "{0}.tenant_id AND x.contact_id = {0}.entity_id AND x.deleted_at IS NOT NULL AND "
        "x.deleted_at < ?)) OR ({0}.entity = 'follow_up' AND EXISTS (SELECT 1 FROM follow_ups x "
        "WHERE x.tenant_id = {0}.tenant_id AND x.follow_up_id = {0}.entity_id AND x.deleted_at "
        "IS NOT NULL AND x.deleted_at < ?)) OR ({0}.entity = 'opportunity' AND EXISTS (SELECT 1 "
        "FROM opportunities x WHERE x.tenant_id = {0}.tenant_id AND x.opportunity_id = "
        "{0}.entity_id AND x.deleted_at IS NOT NULL AND x.deleted_at < ?)))",
        "a");
    c.Exec(
        "UPDATE storage_usage SET used_bytes = used_bytes - (SELECT coalesce(sum(a.size_bytes), "
        "0) FROM attachments a WHERE a.tenant_id = storage_usage.tenant_id AND " +
            doomed + ")",
        {V(cutoff), V(cutoff), V(cutoff), V(cutoff)});
    c.Exec("DELETE FROM attachments AS a WHERE " + doomed,
           {V(cutoff), V(cutoff), V(cutoff), V(cutoff)});
    // Stage histories of the opportunities about to go (theirs, or their customer's).
    c.Exec(
        "DELETE FROM opportunity_changes WHERE EXISTS (SELECT 1 FROM opportunities o JOIN "
        "customers cu ON cu.tenant_id = o.tenant_id AND cu.customer_id = o.customer_id WHERE "
        "o.tenant_id = opportunity_changes.tenant_id AND o.opportunity_id = "
        "opportunity_changes.opportunity_id AND ((o.deleted_at IS NOT NULL AND o.deleted_at < ?) "
        "OR (cu.deleted_at IS NOT NULL AND cu.deleted_at < ?)))",
        {V(cutoff), V(cutoff)});
    c.Exec("DELETE FROM opportunities WHERE deleted_at IS NOT NULL AND deleted_at < ?",
           {V(cutoff)});
    // Whole customers next, with everything that hangs off them.
    const char* dependents[] = {"tasks",    "follow_ups",      "contact_points", "search_docs",
                                "contacts", "customer_events", "opportunities"};
    for (const char* table : dependents) {
      c.Exec(fmt::format("DELETE FROM {} WHERE EXISTS (SELECT 1 FROM customers cu WHERE "
                         "cu.tenant_id = {}.tenant_id AND cu.customer_id = {}.customer_id AND "
                         "cu.deleted_at IS NOT NULL AND cu.deleted_at < ?)",
                         table, table, table),
             {V(cutoff)});
    }
    c.Exec("DELETE FROM customers WHERE deleted_at IS NOT NULL AND deleted_at < ?", {V(cutoff)});
    c.Exec("DELETE FROM tasks WHERE deleted_at IS NOT NULL AND deleted_at < ?", {V(cutoff)});
    c.Exec(
        "UPDATE tasks SET follow_up_id = NULL WHERE EXISTS (SELECT 1 FROM follow_ups f WHERE "
        "f.tenant_id = tasks.tenant_id AND f.follow_up_id = tasks.follow_up_id AND "
        "f.deleted_at IS NOT NULL AND f.deleted_at < ?)",
        {V(cutoff)});
    c.Exec("DELETE FROM follow_ups WHERE deleted_at IS NOT NULL AND deleted_at < ?", {V(cutoff)});
    c.Exec(
        "UPDATE follow_ups SET contact_id = NULL WHERE EXISTS (SELECT 1 FROM contacts ct WHERE "
        "ct.tenant_id = follow_ups.tenant_id AND ct.contact_id = follow_ups.contact_id AND "
        "ct.deleted_at IS NOT NULL AND ct.deleted_at < ?)",
        {V(cutoff)});
    c.Exec("DELETE FROM contacts WHERE deleted_at IS NOT NULL AND deleted_at < ?", {V(cutoff)});
    return OkStatus();
  });
}

}  // namespace kelu::crm
