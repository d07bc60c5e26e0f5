// IdentityService: audit log, login history, unauthorized-use reports, support grants, and
// the operator's view of tenants (metadata only, never tenant records).
#include <fmt/format.h>

#include "core/random.hpp"
#include "core/validation.hpp"
#include "identity/audit.hpp"
#include "identity/service.hpp"
#include "identity/service_internal.hpp"
#include "notices/outbox.hpp"

namespace kelu::identity {

using storage::Connection;
using storage::Row;
using storage::V;
using namespace internal;

namespace {

json::value JsonColumn(const Row& r, std::size_t i) {
  if (r.is_null(i)) return nullptr;
  auto v = ParseJson(r.text(i));
  return v ? *v : json::value(nullptr);
}

}  // namespace

Result<json::object> IdentityService::ListAudit(const Principal& who, const Page& page,
                                                const std::map<std::string, std::string>& filters) {
  if (who.role != Role::kBoss || who.kind != PrincipalKind::kUser) return Forbidden();
  std::string sql =
      "SELECT audit_id, at, actor_kind, actor_id, actor_name, ip, user_agent, action, entity, "
      "entity_id, before_json, after_json, request_id FROM audit_log WHERE tenant_id = ? AND "
      "audit_id < ?";
  storage::Params params{V(who.tenant_id), V(CursorBefore(page))};
  for (const auto& [key, value] : filters) {
    if (key == "action" || key == "entity" || key == "entity_id" || key == "actor_kind") {
      sql += " AND " + key + " = ?";
      params.push_back(V(value));
    } else if (key == "actor_id") {
      sql += " AND actor_id = ?";
      params.push_back(V(static_cast<std::int64_t>(std::atoll(value.c_str()))));
    } else if (key == "from" || key == "to") {
      auto t = ParseRfc3339(value);
      if (!t) return FieldError(key, "must be an RFC 3339 timestamp");
      sql += key == "from" ? " AND at >= ?" : " AND at < ?";
      params.push_back(V(ToMicros(*t)));
    }
  }
  sql += " ORDER BY audit_id DESC LIMIT ?";
  params.push_back(V(page.limit));
  auto rows = db_.Read([&](Connection& c) { return c.Query(sql, params); });
  return PageOfRows(rows, page, [this](const Row& r) {
    json::object e;
    e["id"] = r.integer(0);
    e["at"] = FormatMicros(r.integer(1));
    json::object actor;
    actor["kind"] = r.text(2);
    actor["id"] = r.is_null(3) ? json::value(nullptr) : json::value(r.integer(3));
    actor["name"] = r.text(4);
    e["actor"] = std::move(actor);
    e["ip"] = r.text(5);
    e["user_agent"] = r.text(6);
    e["action"] = r.text(7);
    e["entity"] = r.text(8);
    e["entity_id"] = r.text(9);
    e["before"] = JsonColumn(r, 10);
    e["after"] = JsonColumn(r, 11);
    e["request_id"] = r.text(12);
    return e;
  });
}

Result<json::object> IdentityService::TenantLoginHistory(const Principal& who, const Page& page,
                                                         std::optional<std::int64_t> user_id) {
  bool own = who.kind == PrincipalKind::kUser && user_id && *user_id == who.user_id;
  if (!own && (who.role != Role::kBoss || who.kind != PrincipalKind::kUser)) return Forbidden();
  std::string sql =
      "SELECT login_id, user_id, login, at, ip, user_agent, outcome FROM login_history "
      "WHERE tenant_id = ? AND login_id < ?";
  storage::Params params{V(who.tenant_id), V(CursorBefore(page))};
  if (user_id) {
    sql += " AND user_id = ?";
    params.push_back(V(*user_id));
  }
  sql += " ORDER BY login_id DESC LIMIT ?";
  params.push_back(V(page.limit));
  auto rows = db_.Read([&](Connection& c) { return c.Query(sql, params); });
  return PageOfRows(rows, page, [this](const Row& r) {
    json::object e;
    e["id"] = r.integer(0);
    e["user_id"] = r.is_null(1) ? json::value(nullptr) : json::value(r.integer(1));
    e["login"] = r.text(2);
    e["at"] = FormatMicros(r.integer(3));
    e["ip"] = r.text(4);
    e["user_agent"] = r.text(5);
    e["outcome"] = r.text(6);
    return e;
  });
}

Result<json::object> IdentityService::ReportUnauthorizedUse(const Principal& who,
                                                            const json::object& body,
                                                            bool own_account,
                                                            const RequestMeta& meta) {
  if (who.kind != PrincipalKind::kUser) return Error::NotFound();
  Fields f(body);
  f.OnlyKeys(own_account ? std::vector<std::string>{"note"}
                         : std::vector<std::string>{"note", "user_ids", "all"});
  auto note = f.String("note", false, 0, 2000);
  auto all = own_account ? std::nullopt : f.Bool("all", false);
  std::vector<std::int64_t> ids;
  if (!own_account) {
    if (who.role != Role::kBoss) return Forbidden();
    auto it = body.find("user_ids");
    if (it != body.end()) {
      if (!it->value().is_array() || it->value().get_array().empty()) {
        f.Fail("user_ids", "must be a non-empty list of user ids");
      } else {
        for (const auto& v : it->value().get_array()) {
          if (!v.is_int64() || v.get_int64() <= 0) {
            f.Fail("user_ids", "must be a non-empty list of user ids");
            break;
          }
          ids.push_back(v.get_int64());
        }
      }
    }
    if (!all.value_or(false) && ids.empty() && f.ok()) {
      f.Fail("user_ids", "name the users, or set all to true");
    }
  } else {
    ids.push_back(who.user_id);
  }
  if (!f.ok()) return f.ToError();
  std::string scope = own_account ? "self" : all.value_or(false) ? "all" : "users";

  return db_.Write([&](Connection& c) -> Result<json::object> {
    if (scope == "all") {
      ids.clear();
      for (const auto& r : c.Query("SELECT user_id FROM users WHERE tenant_id = ? ORDER BY user_id",
                                   {V(who.tenant_id)})
                               .rows) {
        ids.push_back(r.integer(0));
      }
    }
    for (auto id : ids) {
      if (c.QueryInt("SELECT count(*) FROM users WHERE tenant_id = ? AND user_id = ?",
                     {V(who.tenant_id), V(id)}) == 0) {
        return FieldError("user_ids", fmt::format("no user with id {}", id));
      }
    }
    std::int64_t revoked = 0;
    json::array id_list;
    for (auto id : ids) {
      revoked += RevokeAllOf(c, who.tenant_id, id, meta.now);
      c.Exec(
          "UPDATE users SET must_change_password = 1, updated_at = ? WHERE tenant_id = ? AND "
          "user_id = ?",
          {V(ToMicros(meta.now)), V(who.tenant_id), V(id)});
      id_list.push_back(id);
    }
    std::int64_t incident_id = c.NextId();
    c.Exec(
        "INSERT INTO incidents (tenant_id, incident_id, kind, reported_by, scope, user_ids, "
        "note, status, created_at) VALUES (?, ?, 'unauthorized_use', ?, ?, ?, ?, 'open', ?)",
        {V(who.tenant_id), V(incident_id), V(who.user_id), V(scope), V(ToJson(id_list)),
         V(note.value_or("")), V(ToMicros(meta.now))});
    json::object out;
    out["incident_id"] = incident_id;
    out["scope"] = scope;
    out["user_ids"] = id_list;
    out["revoked_credentials"] = revoked;
    out["must_change_password"] = true;
    out["created_at"] = Format(meta.now);
    RecordAudit(
        c, who, meta,
        {"security.unauthorized_use_report", "incident", std::to_string(incident_id), {}, out});
    if (!alert_email_.empty()) {
      notices::Enqueue(
          c,
          {alert_email_,
           fmt::format("[客录] 未授权使用报告 #{} ({})", incident_id, who.tenant_slug),
           fmt::format("租户 {} 的用户 {} 报告了未授权使用（范围：{}，涉及 {} 个账号），相关会话与"
                       "令牌已撤销。\nTenant {} reported unauthorized use (scope: {}, {} "
                       "accounts); their sessions and tokens are revoked.\n\n说明 / Note: {}\n"
                       "Incident #{}",
                       who.tenant_slug, who.login, scope, id_list.size(), who.tenant_slug, scope,
                       id_list.size(), note.value_or(""), incident_id),
           std::nullopt,
           "incident",
           {}},
          meta.now);
    }
    return out;
  });
}

// --- Support grants ----------------------------------------------------------------------

namespace {
constexpr const char* kGrantColumns =
    "grant_id, created_by, access, reason, created_at, expires_at, revoked_at";
}

Result<json::object> IdentityService::ListGrants(const Principal& who, Timestamp now) {
  if (who.kind != PrincipalKind::kUser) return Error::NotFound();
  if (!CanManageUsers(who.role)) return Forbidden();
  auto rows = db_.Read([&](Connection& c) {
    return c.Query(fmt::format("SELECT {} FROM support_grants WHERE tenant_id = ? "
                               "ORDER BY grant_id DESC LIMIT 200",
                               kGrantColumns),
                   {V(who.tenant_id)});
  });
  json::array items;
  for (const auto& r : rows.rows) {
    json::object g;
    g["id"] = r.integer(0);
    g["created_by"] = r.integer(1);
    g["access"] = r.text(2);
    g["reason"] = r.text(3);
    g["created_at"] = FormatMicros(r.integer(4));
    g["expires_at"] = FormatMicros(r.integer(5));
    g["revoked_at"] = OptTime(r, 6);
    g["active"] = r.is_null(6) && r.integer(5) > ToMicros(now);
    items.push_back(std::move(g));
  }
  json::object out;
  out["items"] = std::move(items);
  out["next_cursor"] = nullptr;
  return out;
}

Result<json::object> IdentityService::CreateGrant(const Principal& who, const json::object& body,
                                                  const RequestMeta& meta) {
  if (who.kind != PrincipalKind::kUser) return Error::NotFound();
  if (who.role != Role::kBoss) return Forbidden();
  KELU_RETURN_IF_ERROR(RequireRecentProof(who, meta));
  Fields f(body);
  f.OnlyKeys({"hours", "access", "reason"});
  auto hours = f.Int("hours", false, 1, config_.support_grant_max_hours);
  auto access = f.Enum("access", false, {"read", "write"});
  auto reason = f.String("reason", true, 1, 500);
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    std::int64_t id = c.NextId();
    Timestamp expires =
        meta.now + std::chrono::hours(hours.value_or(config_.support_grant_default_hours));
    c.Exec(
        "INSERT INTO support_grants (tenant_id, grant_id, created_by, access, reason, "
        "created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
        {V(who.tenant_id), V(id), V(who.user_id), V(access.value_or("read")), V(*reason),
         V(ToMicros(meta.now)), V(ToMicros(expires))});
    json::object g;
    g["id"] = id;
    g["created_by"] = who.user_id;
    g["access"] = access.value_or("read");
    g["reason"] = *reason;
    g["created_at"] = Format(meta.now);
    g["expires_at"] = Format(expires);
    g["revoked_at"] = nullptr;
    g["active"] = true;
    RecordAudit(c, who, meta, {"support_grant.create", "support_grant", std::to_string(id), {}, g});
    return g;
  });
}

Status IdentityService::RevokeGrant(const Principal& who, std::int64_t id,
                                    const RequestMeta& meta) {
  if (who.kind != PrincipalKind::kUser) return Error::NotFound();
  if (who.role != Role::kBoss) return Forbidden();
  return db_.Write([&](Connection& c) -> Status {
    std::int64_t n = c.Exec(
        "UPDATE support_grants SET revoked_at = ? WHERE tenant_id = ? AND grant_id = ? AND "
        "revoked_at IS NULL",
        {V(ToMicros(meta.now)), V(who.tenant_id), V(id)});
    if (n == 0) return Error::NotFound("support grant");
    RecordAudit(c, who, meta,
                {"support_grant.revoke", "support_grant", std::to_string(id), {}, {}});
    return OkStatus();
  });
}

void IdentityService::RecordSupportRequest(const Principal& support, std::string_view method,
                                           std::string_view path, int status,
                                           const RequestMeta& meta) {
  db_.Write([&](Connection& c) {
       AuditEntry e{"support.request", "support_grant", std::to_string(support.grant_id), {}, {}};
       e.after["method"] = method;
       e.after["path"] = path;
       e.after["status"] = status;
       RecordAudit(c, support, meta, e);
       return OkStatus();
     })
      .ok();
}

Result<json::object> IdentityService::GetTenant(const Principal& who) {
  auto row = db_.Read([&](Connection& c) {
    return c.QueryOne(
        "SELECT tenant_id, slug, name, state, seats, created_at, "
        "(SELECT count(*) FROM users u WHERE u.tenant_id = t.tenant_id AND u.status = 'active'), "
        "mfa_required FROM tenants t WHERE tenant_id = ?",
        {V(who.tenant_id)});
  });
  if (!row) return Error::NotFound("tenant");
  json::object t;
  t["id"] = row->integer(0);
  t["slug"] = row->text(1);
  t["name"] = row->text(2);
  t["state"] = row->text(3);
  t["seats"] = row->integer(4);
  t["active_users"] = row->integer(6);
  t["mfa_required"] = row->boolean(7);
  t["created_at"] = FormatMicros(row->integer(5));
  return t;
}

// --- Operator ------------------------------------------------------------------------------

Result<json::object> IdentityService::OperatorMe(const Principal& op) {
  json::object o;
  o["kind"] = "operator";
  o["id"] = op.operator_id;
  o["name"] = op.name;
  o["email"] = op.login;
  o["csrf_token"] = op.csrf_token;
  o["mfa"] = MfaStatus(op);
  return o;
}

namespace {

// Metadata only: the operator never sees tenant records.
constexpr const char* kTenantMetaSql =
    "SELECT t.tenant_id, t.slug, t.name, t.state, t.seats, t.created_at, t.updated_at, "
    "(SELECT count(*) FROM users u WHERE u.tenant_id = t.tenant_id AND u.status = 'active'), "
    "(SELECT count(*) FROM users u WHERE u.tenant_id = t.tenant_id) FROM tenants t";

json::object TenantMeta(const Row& r, const Zone& zone) {
  json::object t;
  t["id"] = r.integer(0);
  t["slug"] = r.text(1);
  t["name"] = r.text(2);
  t["state"] = r.text(3);
  t["seats"] = r.integer(4);
  t["created_at"] = FormatRfc3339(FromMicros(r.integer(5)), zone);
  t["updated_at"] = FormatRfc3339(FromMicros(r.integer(6)), zone);
  t["active_users"] = r.integer(7);
  t["users"] = r.integer(8);
  return t;
}

bool ValidSlug(std::string_view s) {
  if (s.size() < 2 || s.size() > 40) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return s.front() != '-' && s.back() != '-';
}

}  // namespace

Result<TenantSeed> IdentityService::ReadTenantSeed(const json::object& body) {
  Fields f(body);
  f.OnlyKeys({"slug", "name", "seats", "boss"});
  auto slug = f.String("slug", true, 2, 40);
  auto name = f.String("name", true, 1, 100);
  auto seats = f.Int("seats", true, 1, 100000);
  if (slug && !ValidSlug(*slug)) f.Fail("slug", "use 2 to 40 lower-case letters, digits and -");
  auto boss_it = body.find("boss");
  TenantSeed seed;
  if (boss_it == body.end() || !boss_it->value().is_object()) {
    f.Fail("boss", "required: {login, name, email, password?}");
  } else {
    Fields b(boss_it->value().get_object());
    b.OnlyKeys({"login", "name", "email", "mobile", "password"});
    seed.boss_login = b.String("login", true, 2, 64).value_or("");
    seed.boss_name = b.String("name", true, 1, 64).value_or("");
    seed.boss_email = b.String("email", false, 0, 200).value_or("");
    seed.boss_mobile = b.String("mobile", false, 0, 40).value_or("");
    seed.boss_password = b.Secret("password", false);
    for (const auto& [k, v] : b.errors()) f.Fail("boss." + k, v);
  }
  if (!f.ok()) return f.ToError();
  seed.slug = *slug;
  seed.name = *name;
  seed.seats = static_cast<int>(*seats);
  KELU_RETURN_IF_ERROR(PrepareTenantSeed(seed));
  return seed;
}

Status IdentityService::PrepareTenantSeed(TenantSeed& seed) {
  seed.temporary = !seed.boss_password;
  std::string pw =
      seed.boss_password ? *seed.boss_password : TemporaryPassword(policy_, seed.boss_login);
  if (auto s = CheckPassword(policy_, pw, seed.boss_login, {seed.slug, seed.name}); !s.ok()) {
    return FieldError("boss.password", s.error().message);
  }
  seed.boss_password = pw;
  seed.password_hash = HashPassword(pw, cost());
  return OkStatus();
}

Result<json::object> IdentityService::InsertTenant(Connection& c, const TenantSeed& seed,
                                                   std::string_view state,
                                                   const RequestMeta& meta) {
  if (c.QueryInt("SELECT count(*) FROM tenants WHERE slug = ?", {V(seed.slug)}) > 0) {
    return Error::Conflict("slug_taken", "Another tenant already uses this slug.");
  }
  std::int64_t tenant_id = c.NextId();
  std::int64_t now = ToMicros(meta.now);
  c.Exec(
      "INSERT INTO tenants (tenant_id, slug, name, state, seats, contact_email, contact_mobile, "
      "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {V(tenant_id), V(seed.slug), V(seed.name), V(state), V(seed.seats), V(seed.boss_email),
       V(seed.boss_mobile), V(now), V(now)});
  std::int64_t boss_id = c.NextId();
  c.Exec(
      "INSERT INTO users (tenant_id, user_id, login, name, email, mobile, role, "
      "department_id, status, password_hash, password_changed_at, must_change_password, "
      "failed_logins, locked_until, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?, 'boss', NULL, 'active', ?, ?, ?, 0, NULL, ?, ?)",
      {V(tenant_id), V(boss_id), V(seed.boss_login), V(seed.boss_name), V(seed.boss_email),
       V(seed.boss_mobile), V(seed.password_hash), V(now), V(seed.temporary), V(now), V(now)});
  auto row = c.QueryOne(std::string(kTenantMetaSql) + " WHERE t.tenant_id = ?", {V(tenant_id)});
  json::object view = TenantMeta(*row, zone_);
  json::object boss;
  boss["id"] = boss_id;
  boss["login"] = seed.boss_login;
  if (seed.temporary) boss["temporary_password"] = *seed.boss_password;
  view["boss"] = std::move(boss);
  return view;
}

Result<json::object> IdentityService::CreateTenant(const Principal& op, const json::object& body,
                                                   const RequestMeta& meta) {
  auto seed = ReadTenantSeed(body);
  if (!seed.ok()) return std::move(seed).error();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto view = InsertTenant(c, *seed, "active", meta);
    if (!view.ok()) return view;
    json::object audited = *view;
    audited.erase("boss");
    RecordOperatorAudit(c, op.operator_id, op.name, meta,
                        {"tenant.create",
                         "tenant",
                         std::to_string(view->at("id").as_int64()),
                         {},
                         std::move(audited)},
                        view->at("id").as_int64());
    return view;
  });
}

Result<json::object> IdentityService::ListTenants(const Principal&, const Page& page) {
  auto rows = db_.Read([&](Connection& c) {
    return c.Query(
        std::string(kTenantMetaSql) + " WHERE t.tenant_id < ? ORDER BY t.tenant_id DESC LIMIT ?",
        {V(CursorBefore(page)), V(page.limit)});
  });
  return PageOfRows(rows, page, [this](const Row& r) { return TenantMeta(r, zone_); });
}

Result<json::object> IdentityService::OperatorGetTenant(const Principal&, std::int64_t id) {
  auto row = db_.Read([&](Connection& c) {
    return c.QueryOne(std::string(kTenantMetaSql) + " WHERE t.tenant_id = ?", {V(id)});
  });
  if (!row) return Error::NotFound("tenant");
  return TenantMeta(*row, zone_);
}

Result<json::object> IdentityService::OperatorUpdateTenant(const Principal& op, std::int64_t id,
                                                           const json::object& body,
                                                           const RequestMeta& meta) {
  Fields f(body);
  f.OnlyKeys({"name", "seats"});
  auto name = f.String("name", false, 1, 100);
  auto seats = f.Int("seats", false, 1, 100000);
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto row = c.QueryOne(std::string(kTenantMetaSql) + " WHERE t.tenant_id = ?", {V(id)});
    if (!row) return Error::NotFound("tenant");
    if (seats && *seats < row->integer(7)) {
      json::object d;
      d["active_users"] = row->integer(7);
      return Error::Conflict("seats_below_active_users",
                             "The tenant has more active users than that; disable users first.",
                             std::move(d));
    }
    c.Exec("UPDATE tenants SET name = ?, seats = ?, updated_at = ? WHERE tenant_id = ?",
           {V(name.value_or(row->text(2))), V(seats.value_or(row->integer(4))),
            V(ToMicros(meta.now)), V(id)});
    auto updated = c.QueryOne(std::string(kTenantMetaSql) + " WHERE t.tenant_id = ?", {V(id)});
    json::object before = TenantMeta(*row, zone_), after = TenantMeta(*updated, zone_);
    json::object view = after;
    before.erase("updated_at");
    after.erase("updated_at");
    Diff(before, after);
    RecordOperatorAudit(c, op.operator_id, op.name, meta,
                        {"tenant.update", "tenant", std::to_string(id), before, after}, id);
    return view;
  });
}

Result<json::object> IdentityService::ListIncidents(const Principal&, const Page& page) {
  auto rows = db_.Read([&](Connection& c) {
    return c.Query(
        "SELECT i.incident_id, i.tenant_id, t.slug, i.kind, i.scope, i.user_ids, i.note, "
        "i.status, i.created_at FROM incidents i JOIN tenants t ON t.tenant_id = i.tenant_id "
        "WHERE i.incident_id < ? ORDER BY i.incident_id DESC LIMIT ?",
        {V(CursorBefore(page)), V(page.limit)});
  });
  return PageOfRows(rows, page, [this](const Row& r) {
    json::object i;
    i["id"] = r.integer(0);
    i["tenant_id"] = r.integer(1);
    i["tenant_slug"] = r.text(2);
    i["kind"] = r.text(3);
    i["scope"] = r.text(4);
    auto ids = ParseJson(r.text(5));
    i["affected_users"] = ids && ids->is_array() ? ids->get_array().size() : 0;
    i["note"] = r.text(6);
    i["status"] = r.text(7);
    i["created_at"] = FormatMicros(r.integer(8));
    return i;
  });
}

Result<json::object> IdentityService::ListOperatorAudit(const Principal&, const Page& page) {
  auto rows = db_.Read([&](Connection& c) {
    return c.Query(
        "SELECT audit_id, at, operator_id, actor_name, ip, user_agent, action, entity, entity_id, "
        "subject_tenant_id, before_json, after_json, request_id FROM operator_audit "
        "WHERE audit_id < ? ORDER BY audit_id DESC LIMIT ?",
        {V(CursorBefore(page)), V(page.limit)});
  });
  return PageOfRows(rows, page, [this](const Row& r) {
    json::object e;
    e["id"] = r.integer(0);
    e["at"] = FormatMicros(r.integer(1));
    e["operator_id"] = r.is_null(2) ? json::value(nullptr) : json::value(r.integer(2));
    e["actor_name"] = r.text(3);
    e["ip"] = r.text(4);
    e["user_agent"] = r.text(5);
    e["action"] = r.text(6);
    e["entity"] = r.text(7);
    e["entity_id"] = r.text(8);
    e["tenant_id"] = r.is_null(9) ? json::value(nullptr) : json::value(r.integer(9));
    e["before"] = JsonColumn(r, 10);
    e["after"] = JsonColumn(r, 11);
    e["request_id"] = r.text(12);
    return e;
  });
}

}  // namespace kelu::identity
