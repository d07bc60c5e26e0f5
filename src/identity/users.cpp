// IdentityService: users, departments, role scopes and personal API tokens.
#include <fmt/format.h>

#include "core/random.hpp"
#include "core/validation.hpp"
#include "identity/audit.hpp"
#include "identity/service.hpp"
#include "identity/service_internal.hpp"

namespace kelu::identity {

using storage::Connection;
using storage::Row;
using storage::V;
using namespace internal;

namespace {

Error SeatsExhausted(std::int64_t seats) {
  json::object d;
  d["seats"] = seats;
  return Error::Conflict("seats_exhausted",
                         fmt::format("All {} seats are in use: disable a user or buy more seats "
                                     "before enabling another.",
                                     seats),
                         std::move(d));
}

std::int64_t ActiveUsers(Connection& c, std::int64_t tenant_id) {
  return c.QueryInt("SELECT count(*) FROM users WHERE tenant_id = ? AND status = 'active'",
                    {V(tenant_id)});
}

std::int64_t ActiveBosses(Connection& c, std::int64_t tenant_id) {
  return c.QueryInt(
      "SELECT count(*) FROM users WHERE tenant_id = ? AND status = 'active' AND role = 'boss'",
      {V(tenant_id)});
}

bool DepartmentExists(Connection& c, std::int64_t tenant_id, std::int64_t id) {
  return c.QueryInt("SELECT count(*) FROM departments WHERE tenant_id = ? AND department_id = ?",
                    {V(tenant_id), V(id)}) > 0;
}

DepartmentTree ReadTree(Connection& c, std::int64_t tenant_id) {
  DepartmentTree tree;
  for (const auto& r :
       c.Query("SELECT department_id, parent_id FROM departments WHERE tenant_id = ?",
               {V(tenant_id)})
           .rows) {
    tree[r.integer(0)] = r.opt_integer(1);
  }
  return tree;
}

}  // namespace

Status IdentityService::RequireManager(const Principal& who) const {
  if (!CanManageUsers(who.role)) return Forbidden();
  return OkStatus();
}

Result<json::object> IdentityService::ListUsers(const Principal& who, const Page& page) {
  auto rows = db_.Read([&](Connection& c) {
    return c.Query(fmt::format("SELECT {} FROM users WHERE tenant_id = ? AND user_id < ? "
                               "ORDER BY user_id DESC LIMIT ?",
                               kUserColumns),
                   {V(who.tenant_id), V(CursorBefore(page)), V(page.limit)});
  });
  return PageOfRows(rows, page, [this](const Row& r) { return UserView(r); });
}

Result<json::object> IdentityService::GetUser(const Principal& who, std::int64_t id) {
  auto row = db_.Read([&](Connection& c) { return ReadUser(c, who.tenant_id, id); });
  if (!row) return Error::NotFound("user");
  return UserView(*row);
}

Result<json::object> IdentityService::CreateUser(const Principal& who, const json::object& body,
                                                 const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(RequireManager(who));
  Fields f(body);
  f.OnlyKeys({"login", "name", "email", "mobile", "role", "department_id", "password", "status"});
  auto login = f.String("login", true, 2, 64);
  auto name = f.String("name", true, 1, 64);
  auto email = f.String("email", false, 0, 200);
  auto mobile = f.String("mobile", false, 0, 32);
  auto role_text = f.Enum("role", true, RoleNames());
  auto status = f.Enum("status", false, {"active", "disabled"});
  bool dept_present = false;
  auto dept = f.NullableId("department_id", dept_present);
  auto password = f.Secret("password", false);
  if (login && login->find_first_of(" \t") != std::string::npos) {
    f.Fail("login", "must not contain spaces");
  }
  if (!f.ok()) return f.ToError();
  Role role = *ParseRole(*role_text);
  if (!CanAssignRole(who.role, Role::kMember, role)) return Forbidden();
  if (role == Role::kBoss || role == Role::kAdmin) KELU_RETURN_IF_ERROR(RequireRecentProof(who, meta));
  // Without a password the user gets a temporary one, returned once, to change at sign-in.
  bool temporary = !password;
  std::string pw = password ? *password : TemporaryPassword(policy_, *login);
  KELU_RETURN_IF_ERROR(CheckPassword(policy_, pw, *login, {who.tenant_slug}));
  std::string hash = HashPassword(pw, cost());
  bool active = status.value_or("active") == "active";

  return db_.Write([&](Connection& c) -> Result<json::object> {
    if (dept && !DepartmentExists(c, who.tenant_id, *dept)) {
      return FieldError("department_id", "no such department");
    }
    if (c.QueryInt("SELECT count(*) FROM users WHERE tenant_id = ? AND login = ?",
                   {V(who.tenant_id), V(*login)}) > 0) {
      return Error::Conflict("login_taken", "Another user already has this login.");
    }
    if (active) {
      std::int64_t seats =
          c.QueryInt("SELECT seats FROM tenants WHERE tenant_id = ?", {V(who.tenant_id)});
      if (ActiveUsers(c, who.tenant_id) >= seats) return SeatsExhausted(seats);
    }
    std::int64_t id = c.NextId();
    std::int64_t now = ToMicros(meta.now);
    c.Exec(
        "INSERT INTO users (tenant_id, user_id, login, name, email, mobile, role, "
        "department_id, status, password_hash, password_changed_at, must_change_password, "
        "failed_logins, locked_until, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, ?, ?)",
        {V(who.tenant_id), V(id), V(*login), V(*name), V(email.value_or("")),
         V(mobile.value_or("")), V(RoleName(role)), V(dept), V(active ? "active" : "disabled"),
         V(hash), V(now), V(temporary), V(now), V(now)});
    auto row = ReadUser(c, who.tenant_id, id);
    json::object view = UserView(*row);
    RecordAudit(c, who, meta, {"user.create", "user", std::to_string(id), {}, view});
    if (temporary) view["temporary_password"] = pw;
    return view;
  });
}

Result<json::object> IdentityService::UpdateUser(const Principal& who, std::int64_t id,
                                                 const json::object& body,
                                                 const RequestMeta& meta) {
  bool self = who.kind == PrincipalKind::kUser && who.user_id == id;
  if (!self) KELU_RETURN_IF_ERROR(RequireManager(who));
  Fields f(body);
  f.OnlyKeys({"name", "email", "mobile", "role", "department_id", "status"});
  auto name = f.String("name", false, 1, 64);
  auto email = f.String("email", false, 0, 200);
  auto mobile = f.String("mobile", false, 0, 32);
  auto role_text = f.Enum("role", false, RoleNames());
  auto status = f.Enum("status", false, {"active", "disabled"});
  bool dept_present = false;
  auto dept = f.NullableId("department_id", dept_present);
  if (!f.ok()) return f.ToError();
  // A user may edit their own name and contact details; the rest takes a manager.
  if (self && !CanManageUsers(who.role) && (role_text || status || dept_present)) {
    return Forbidden();
  }

  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto row = ReadUser(c, who.tenant_id, id);
    if (!row) return Error::NotFound("user");
    json::object before = UserView(*row);
    Role from = ParseRole(row->text(kURole)).value_or(Role::kMember);
    Role to = role_text ? *ParseRole(*role_text) : from;
    if (to != from && !CanAssignRole(who.role, from, to)) return Forbidden();
    // Making someone a boss or an admin, or changing one's own email or mobile (where notices
    // and resets go), wants the password proved within the last minutes.
    bool contact_changed = (email && *email != row->text(kUEmail)) ||
                           (mobile && *mobile != row->text(kUMobile));
    if ((to != from && (to == Role::kBoss || to == Role::kAdmin)) || (self && contact_changed)) {
      KELU_RETURN_IF_ERROR(RequireRecentProof(who, meta));
    }
    if (from == Role::kBoss && who.role != Role::kBoss && (status || to != from)) {
      return Forbidden();
    }
    bool was_active = row->text(kUStatus) == "active";
    bool will_active = status ? *status == "active" : was_active;
    KELU_RETURN_IF_ERROR(CheckBossRetained(static_cast<int>(ActiveBosses(c, who.tenant_id)),
                                           was_active && from == Role::kBoss,
                                           will_active && to == Role::kBoss));
    if (!was_active && will_active) {
      std::int64_t seats =
          c.QueryInt("SELECT seats FROM tenants WHERE tenant_id = ?", {V(who.tenant_id)});
      if (ActiveUsers(c, who.tenant_id) >= seats) return SeatsExhausted(seats);
    }
    if (dept && !DepartmentExists(c, who.tenant_id, *dept)) {
      return FieldError("department_id", "no such department");
    }
    c.Exec(
        "UPDATE users SET name = ?, email = ?, mobile = ?, role = ?, department_id = ?, "
        "status = ?, updated_at = ? WHERE tenant_id = ? AND user_id = ?",
        {V(name.value_or(row->text(kUName))), V(email.value_or(row->text(kUEmail))),
         V(mobile.value_or(row->text(kUMobile))), V(RoleName(to)),
         dept_present ? V(dept) : V(row->opt_integer(kUDept)),
         V(will_active ? "active" : "disabled"), V(ToMicros(meta.now)), V(who.tenant_id), V(id)});
    if (was_active && !will_active) {
      // A disabled user is signed out everywhere at once.
      c.Exec(
          "UPDATE user_sessions SET revoked_at = ? WHERE tenant_id = ? AND user_id = ? AND "
          "revoked_at IS NULL",
          {V(ToMicros(meta.now)), V(who.tenant_id), V(id)});
    }
    auto updated = ReadUser(c, who.tenant_id, id);
    json::object after = UserView(*updated);
    json::object b = before, a = after;
    b.erase("updated_at");
    a.erase("updated_at");
    Diff(b, a);
    bool permission = a.contains("role") || a.contains("status") || a.contains("department_id");
    RecordAudit(c, who, meta,
                {permission ? "user.permission_change" : "user.update", "user", std::to_string(id),
                 std::move(b), std::move(a)});
    return after;
  });
}

Result<json::object> IdentityService::ResetPassword(const Principal& who, std::int64_t id,
                                                    const RequestMeta& meta) {
  if (who.kind == PrincipalKind::kSupport) return Error::NotFound();
  KELU_RETURN_IF_ERROR(RequireManager(who));
  auto login = db_.Read([&](Connection& c) {
    return c.QueryOne("SELECT login FROM users WHERE tenant_id = ? AND user_id = ?",
                      {V(who.tenant_id), V(id)});
  });
  if (!login) return Error::NotFound("user");
  std::string pw = TemporaryPassword(policy_, login->text(0));
  std::string hash = HashPassword(pw, cost());
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto row = c.QueryOne("SELECT role, login FROM users WHERE tenant_id = ? AND user_id = ?",
                          {V(who.tenant_id), V(id)});
    if (!row) return Error::NotFound("user");
    if (row->text(0) == "boss" && who.role != Role::kBoss) return Forbidden();
    c.Exec(
        "UPDATE users SET password_hash = ?, must_change_password = 1, failed_logins = 0, "
        "locked_until = NULL, password_changed_at = ?, updated_at = ? WHERE tenant_id = ? AND "
        "user_id = ?",
        {V(hash), V(ToMicros(meta.now)), V(ToMicros(meta.now)), V(who.tenant_id), V(id)});
    c.Exec(
        "UPDATE user_sessions SET revoked_at = ? WHERE tenant_id = ? AND user_id = ? AND "
        "revoked_at IS NULL",
        {V(ToMicros(meta.now)), V(who.tenant_id), V(id)});
    VoidRecoveryLinks(c, who.tenant_id, id, meta.now);
    RecordAudit(c, who, meta, {"user.password_reset", "user", std::to_string(id), {}, {}});
    // The user can sign in at once, however long the delays of failed attempts had grown.
    delays_.Forget(internal::UserDelayKey(who.tenant_id, row->text(1)));
    json::object out;
    out["temporary_password"] = pw;
    out["must_change_password"] = true;
    return out;
  });
}

// --- Departments -------------------------------------------------------------------------

namespace {

json::object DepartmentView(const Row& r, const Zone& zone) {
  json::object d;
  d["id"] = r.integer(0);
  d["parent_id"] = r.is_null(1) ? json::value(nullptr) : json::value(r.integer(1));
  d["name"] = r.text(2);
  d["created_at"] = FormatRfc3339(FromMicros(r.integer(3)), zone);
  d["updated_at"] = FormatRfc3339(FromMicros(r.integer(4)), zone);
  return d;
}

constexpr const char* kDeptColumns = "department_id, parent_id, name, created_at, updated_at";

std::optional<Row> ReadDepartment(Connection& c, std::int64_t tenant_id, std::int64_t id) {
  return c.QueryOne(fmt::format("SELECT {} FROM departments WHERE tenant_id = ? AND "
                                "department_id = ?",
                                kDeptColumns),
                    {V(tenant_id), V(id)});
}

}  // namespace

Result<json::object> IdentityService::ListDepartments(const Principal& who) {
  auto rows = db_.Read([&](Connection& c) {
    return c.Query(fmt::format("SELECT {} FROM departments WHERE tenant_id = ? ORDER BY name, "
                               "department_id",
                               kDeptColumns),
                   {V(who.tenant_id)});
  });
  json::array items;
  for (const auto& r : rows.rows) items.push_back(DepartmentView(r, zone_));
  json::object out;
  out["items"] = std::move(items);
  out["next_cursor"] = nullptr;
  return out;
}

Result<json::object> IdentityService::CreateDepartment(const Principal& who,
                                                       const json::object& body,
                                                       const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(RequireManager(who));
  Fields f(body);
  f.OnlyKeys({"name", "parent_id"});
  auto name = f.String("name", true, 1, 64);
  bool present = false;
  auto parent = f.NullableId("parent_id", present);
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    if (parent && !DepartmentExists(c, who.tenant_id, *parent)) {
      return FieldError("parent_id", "no such department");
    }
    std::int64_t id = c.NextId();
    c.Exec(
        "INSERT INTO departments (tenant_id, department_id, parent_id, name, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        {V(who.tenant_id), V(id), V(parent), V(*name), V(ToMicros(meta.now)),
         V(ToMicros(meta.now))});
    auto row = ReadDepartment(c, who.tenant_id, id);
    json::object view = DepartmentView(*row, zone_);
    RecordAudit(c, who, meta, {"department.create", "department", std::to_string(id), {}, view});
    return view;
  });
}

Result<json::object> IdentityService::UpdateDepartment(const Principal& who, std::int64_t id,
                                                       const json::object& body,
                                                       const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(RequireManager(who));
  Fields f(body);
  f.OnlyKeys({"name", "parent_id"});
  auto name = f.String("name", false, 1, 64);
  bool present = false;
  auto parent = f.NullableId("parent_id", present);
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto row = ReadDepartment(c, who.tenant_id, id);
    if (!row) return Error::NotFound("department");
    if (present && parent) {
      DepartmentTree tree = ReadTree(c, who.tenant_id);
      if (!tree.count(*parent)) return FieldError("parent_id", "no such department");
      if (WouldCycle(tree, id, parent)) {
        return FieldError("parent_id", "would put the department under itself");
      }
    }
    c.Exec(
        "UPDATE departments SET name = ?, parent_id = ?, updated_at = ? WHERE tenant_id = ? "
        "AND department_id = ?",
        {V(name.value_or(row->text(2))), present ? V(parent) : V(row->opt_integer(1)),
         V(ToMicros(meta.now)), V(who.tenant_id), V(id)});
    auto updated = ReadDepartment(c, who.tenant_id, id);
    json::object before = DepartmentView(*row, zone_), after = DepartmentView(*updated, zone_);
    json::object view = after;
    before.erase("updated_at");
    after.erase("updated_at");
    Diff(before, after);
    RecordAudit(c, who, meta,
                {"department.update", "department", std::to_string(id), before, after});
    return view;
  });
}

Status IdentityService::DeleteDepartment(const Principal& who, std::int64_t id,
                                         const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(RequireManager(who));
  return db_.Write([&](Connection& c) -> Status {
    auto row = c.QueryOne("SELECT name FROM departments WHERE tenant_id = ? AND department_id = ?",
                          {V(who.tenant_id), V(id)});
    if (!row) return Error::NotFound("department");
    std::int64_t children =
        c.QueryInt("SELECT count(*) FROM departments WHERE tenant_id = ? AND parent_id = ?",
                   {V(who.tenant_id), V(id)});
    std::int64_t members =
        c.QueryInt("SELECT count(*) FROM users WHERE tenant_id = ? AND department_id = ?",
                   {V(who.tenant_id), V(id)});
    if (children > 0 || members > 0) {
      json::object d;
      d["sub_departments"] = children;
      d["users"] = members;
      return Error::Conflict("department_not_empty",
                             "Move its users and sub-departments elsewhere before deleting it.",
                             std::move(d));
    }
    c.Exec("DELETE FROM departments WHERE tenant_id = ? AND department_id = ?",
           {V(who.tenant_id), V(id)});
    json::object before;
    before["name"] = row->text(0);
    RecordAudit(c, who, meta, {"department.delete", "department", std::to_string(id), before, {}});
    return OkStatus();
  });
}

// --- Roles and data scope --------------------------------------------------------------------

DataScope IdentityService::ScopeOf(const Principal& who) {
  if (who.role == Role::kBoss || who.kind == PrincipalKind::kSupport) return DataScope::kAll;
  auto row = db_.Read([&](Connection& c) {
    return c.QueryOne("SELECT scope FROM role_scopes WHERE tenant_id = ? AND role = ?",
                      {V(who.tenant_id), V(RoleName(who.role))});
  });
  if (row) {
    if (auto s = ParseScope(row->text(0))) return *s;
  }
  return DefaultScope(who.role);
}

Result<json::object> IdentityService::ListRoles(const Principal& who) {
  json::array items;
  for (const auto& name : RoleNames()) {
    Principal probe = who;
    probe.kind = PrincipalKind::kUser;
    probe.role = *ParseRole(name);
    json::object r;
    r["role"] = name;
    r["data_scope"] = ScopeName(ScopeOf(probe));
    r["configurable"] = name != "boss";
    items.push_back(std::move(r));
  }
  json::object out;
  out["items"] = std::move(items);
  out["next_cursor"] = nullptr;
  return out;
}

Result<json::object> IdentityService::SetRoleScope(const Principal& who, std::string_view role,
                                                   const json::object& body,
                                                   const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(RequireManager(who));
  auto r = ParseRole(role);
  if (!r) return Error::NotFound("role");
  if (*r == Role::kBoss) {
    return Error::Conflict("boss_scope_fixed", "The boss always sees all of the tenant's data.");
  }
  Fields f(body);
  f.OnlyKeys({"data_scope"});
  auto scope = f.Enum("data_scope", true, ScopeNames());
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    Principal probe = who;
    probe.kind = PrincipalKind::kUser;
    probe.role = *r;
    json::object before;
    before["data_scope"] = ScopeName(ScopeOf(probe));
    c.Exec("DELETE FROM role_scopes WHERE tenant_id = ? AND role = ?", {V(who.tenant_id), V(role)});
    c.Exec("INSERT INTO role_scopes (tenant_id, role, scope) VALUES (?, ?, ?)",
           {V(who.tenant_id), V(role), V(*scope)});
    json::object after;
    after["data_scope"] = *scope;
    RecordAudit(c, who, meta, {"role.permission_change", "role", std::string(role), before, after});
    json::object out;
    out["role"] = std::string(role);
    out["data_scope"] = *scope;
    out["configurable"] = true;
    return out;
  });
}

// --- API tokens ----------------------------------------------------------------------------------

namespace {
constexpr const char* kTokenColumns =
    "token_id, name, scope, created_at, expires_at, revoked_at, last_used_at";
}

Result<json::object> IdentityService::ListApiTokens(const Principal& who) {
  if (who.kind != PrincipalKind::kUser) return Error::NotFound();
  auto rows = db_.Read([&](Connection& c) {
    return c.Query(fmt::format("SELECT {} FROM api_tokens WHERE tenant_id = ? AND user_id = ? "
                               "ORDER BY token_id DESC",
                               kTokenColumns),
                   {V(who.tenant_id), V(who.user_id)});
  });
  json::array items;
  for (const auto& r : rows.rows) {
    json::object t;
    t["id"] = r.integer(0);
    t["name"] = r.text(1);
    t["scope"] = r.text(2);
    t["created_at"] = FormatMicros(r.integer(3));
    t["expires_at"] = OptTime(r, 4);
    t["revoked_at"] = OptTime(r, 5);
    t["last_used_at"] = OptTime(r, 6);
    items.push_back(std::move(t));
  }
  json::object out;
  out["items"] = std::move(items);
  out["next_cursor"] = nullptr;
  return out;
}

Result<json::object> IdentityService::CreateApiToken(const Principal& who, const json::object& body,
                                                     const RequestMeta& meta) {
  if (who.kind != PrincipalKind::kUser) return Error::NotFound();
  if (who.credential == Credential::kApiToken) {
    return Error::Forbidden("session_required", "API tokens are created from a signed-in session.");
  }
  KELU_RETURN_IF_ERROR(RequireRecentProof(who, meta));
  Fields f(body);
  f.OnlyKeys({"name", "scope", "expires_in_days"});
  auto name = f.String("name", true, 1, 64);
  auto scope = f.Enum("scope", true, {"read", "write"});
  auto days = f.Int("expires_in_days", false, 1, 3650);
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    std::int64_t id = c.NextId();
    std::string secret = RandomToken();
    std::optional<std::int64_t> expires;
    if (days) expires = ToMicros(meta.now + std::chrono::days(*days));
    c.Exec(
        "INSERT INTO api_tokens (tenant_id, token_id, user_id, name, scope, token_hash, "
        "created_at, expires_at, revoked_at, last_used_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
        {V(who.tenant_id), V(id), V(who.user_id), V(*name), V(*scope), V(Sha256Hex(secret)),
         V(ToMicros(meta.now)), V(expires)});
    json::object view;
    view["id"] = id;
    view["name"] = *name;
    view["scope"] = *scope;
    view["created_at"] = Format(meta.now);
    view["expires_at"] = expires ? json::value(FormatMicros(*expires)) : json::value(nullptr);
    RecordAudit(c, who, meta, {"api_token.create", "api_token", std::to_string(id), {}, view});
    view["token"] = fmt::format("kp_{}_{}_{}", who.tenant_id, id, secret);
    return view;
  });
}

Status IdentityService::RevokeApiToken(const Principal& who, std::int64_t id,
                                       const RequestMeta& meta) {
  if (who.kind != PrincipalKind::kUser) return Error::NotFound();
  return db_.Write([&](Connection& c) -> Status {
    std::int64_t n = c.Exec(
        "UPDATE api_tokens SET revoked_at = ? WHERE tenant_id = ? AND token_id = ? AND "
        "user_id = ? AND revoked_at IS NULL",
        {V(ToMicros(meta.now)), V(who.tenant_id), V(id), V(who.user_id)});
    if (n == 0) return Error::NotFound("API token");
    RecordAudit(c, who, meta, {"api_token.revoke", "api_token", std::to_string(id), {}, {}});
    return OkStatus();
  });
}

}  // namespace kelu::identity
