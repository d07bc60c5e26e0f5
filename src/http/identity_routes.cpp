// Tenant routes of identity: sign-in, the caller's account, users, departments, roles, API
// tokens, audit, login history, unauthorized-use reports, support grants.
#include <fmt/format.h>

#include <functional>

#include "core/validation.hpp"
#include "http/api.hpp"
#include "http/schema.hpp"

namespace kelu::http {

using namespace schema;

namespace {

json::value UserSchema() {
  return Obj({{"id", Int()},
              {"login", Str()},
              {"name", Str()},
              {"email", Str()},
              {"mobile", Str()},
              {"role", Enum({"boss", "admin", "manager", "member"})},
              {"department_id", Nullable(Int())},
              {"status", Enum({"active", "disabled"})},
              {"must_change_password", Bool()},
              {"mfa_enabled", Bool()},
              {"password_changed_at", Time()},
              {"created_at", Time()},
              {"updated_at", Time()}});
}

json::value MfaEnrolmentSchema() {
  return Obj({{"secret", Str("base32, to type into the app")},
              {"otpauth_uri", Str()},
              {"qr_svg", Str("the otpauth URI as a QR code (SVG)")}});
}

json::value MfaStatusSchema() {
  return Obj({{"enabled", Bool()},
              {"required", Bool()},
              {"enabled_at", Nullable(Time())},
              {"recovery_codes_left", Int()}});
}

json::value DepartmentSchema() {
  return Obj({{"id", Int()},
              {"parent_id", Nullable(Int())},
              {"name", Str()},
              {"created_at", Time()},
              {"updated_at", Time()}});
}

json::value LoginHistorySchema() {
  return Obj(
      {{"id", Int()},
       {"user_id", Nullable(Int())},
       {"login", Str()},
       {"at", Time()},
       {"ip", Str()},
       {"user_agent", Str()},
       {"outcome", Enum({"success", "bad_password", "delayed", "locked", "disabled", "unknown_user",
                         "mfa_pending", "bad_code"})}});
}

json::value MfaChallengeSchema() {
  return Obj({{"challenge", Str("give it to /login/mfa with the code")},
              {"state", Enum({"verify", "enrol"})},
              {"expires_at", Time()},
              {"enrolment", MfaEnrolmentSchema()}});
}

json::value GrantSchema() {
  return Obj({{"id", Int()},
              {"created_by", Int()},
              {"access", Enum({"read", "write"})},
              {"reason", Str()},
              {"created_at", Time()},
              {"expires_at", Time()},
              {"revoked_at", Nullable(Time())},
              {"active", Bool()}});
}

}  // namespace

void Api::RegisterIdentityRoutes() {
  auto& ids = services_.identity;
  const int cookie_age = config_.security.session_absolute_hours * 3600;

  auto login_body =
      Obj({{"tenant", Str("the tenant's slug")},
           {"login", Str()},
           {"password", Str()},
           {"code", Str("the authenticator's code, for two-step sign-in in one request")},
           {"recovery_code", Str()}},
          {"tenant", "login", "password"});
  auto login_answer = Obj({{"token", Str()},
                           {"csrf_token", Str()},
                           {"expires_at", Time()},
                           {"must_change_password", Bool()},
                           {"user", UserSchema()},
                           {"tenant", Obj({{"id", Int()}, {"slug", Str()}, {"state", Str()}})},
                           {"mfa", MfaChallengeSchema()},
                           {"recovery_codes", Array(Str())},
                           {"recovery_codes_left", Int()}});
  router_.Add("POST", "/api/v1/auth/login", Access::kPublic,
              {"Sign in as a tenant user; answers a bearer token and sets the session cookie, or "
               "(two-step sign-in) the challenge of the second step under \"mfa\"",
               "auth",
               login_body,
               login_answer,
               200,
               {"invalid_credentials", "account_disabled", "too_many_attempts", "invalid_mfa_code"},
               {}},
              [&ids, cookie_age](Context& ctx) {
                Fields f(ctx.body);
                auto tenant = f.String("tenant", true, 1, 64);
                auto login = f.String("login", true, 1, 64);
                auto password = f.Secret("password", true);
                auto factor = ReadSecondFactor(f);
                if (!f.ok()) return ErrorToResponse(f.ToError());
                auto r = ids.LoginUser(*tenant, *login, *password, ctx.meta);
                if (r.ok() && !r->mfa_challenge.empty() && !factor.empty()) {
                  r = ids.CompleteUserMfa(r->mfa_challenge, factor, ctx.meta);
                }
                return SignInAnswer(r, SessionAudience::kTenant, cookie_age, ctx.request.secure);
              });
  router_.Add("POST", "/api/v1/auth/login/mfa", Access::kPublic,
              {"The second step of a sign-in: the challenge and a code from the authenticator "
               "app (or a recovery code); enrolling, the answer carries the recovery codes once",
               "auth",
               Obj({{"challenge", Str()}, {"code", Str()}, {"recovery_code", Str()}},
                   {"challenge"}),
               login_answer,
               200,
               {"mfa_challenge_invalid", "invalid_mfa_code", "too_many_attempts"},
               {}},
              SecondStepHandler(std::bind_front(&identity::IdentityService::CompleteUserMfa, &ids),
                                SessionAudience::kTenant, cookie_age));

  router_.Add("POST", "/api/v1/auth/recover", Access::kPublic,
              {"Forgot the password: emails the user a link that sets a new one (within "
               "security.recovery_link_minutes, once). The same answer whether or not the "
               "account exists or has an email",
               "auth",
               Obj({{"tenant", Str()}, {"login", Str()}}, {"tenant", "login"}),
               Obj({{"accepted", Bool()}}),
               202,
               {"validation_failed", "too_many_attempts"},
               {}},
              [&ids](Context& ctx) {
                Fields f(ctx.body);
                f.OnlyKeys({"tenant", "login"});
                auto tenant = f.String("tenant", true, 1, 64);
                auto login = f.String("login", true, 1, 64);
                if (!f.ok()) return ErrorToResponse(f.ToError());
                auto sent = ids.SendRecoveryLink(*tenant, *login, ctx.meta);
                if (!sent.ok()) return ErrorToResponse(sent.error());
                return JsonResponse(202, json::object{{"accepted", true}});
              });
  router_.Add("POST", "/api/v1/auth/recover/complete", Access::kPublic,
              {"Set a new password with the emailed link's token: every session of the user "
               "ends and the sign-in delays are lifted; two-step sign-in stays as it was",
               "auth",
               Obj({{"token", Str()}, {"new_password", Str()}}, {"token", "new_password"}),
               nullptr,
               204,
               {"recovery_link_invalid", "weak_password", "validation_failed",
                "too_many_attempts"},
               {}},
              [&ids](Context& ctx) {
                Fields f(ctx.body);
                f.OnlyKeys({"token", "new_password"});
                auto token = f.String("token", true, 1, 512);
                auto next = f.Secret("new_password", true);
                if (!f.ok()) return ErrorToResponse(f.ToError());
                return Reply(ids.CompleteRecovery(*token, *next, ctx.meta));
              });

  Route& logout =
      router_.Add("POST", "/api/v1/auth/logout", Access::kTenantUser,
                  {"End this session", "auth", nullptr, nullptr, 204, {"not_a_session"}, {}},
                  [&ids](Context& ctx) {
                    return EndingSession(Reply(ids.Logout(ctx.who(), ctx.meta)), SessionAudience::kTenant,
                                         ctx.request.secure);
                  });
  logout.allow_pending_password = true;
  logout.allow_inactive_tenant = true;

  Route& logout_all =
      router_.Add("POST", "/api/v1/auth/logout-all", Access::kTenantUser,
                  {"Sign out everywhere: revoke every session and API token of the caller",
                   "auth",
                   nullptr,
                   nullptr,
                   204,
                   {},
                   {}},
                  [&ids](Context& ctx) {
                    return EndingSession(Reply(ids.LogoutEverywhere(ctx.who(), ctx.meta)), SessionAudience::kTenant,
                                         ctx.request.secure);
                  });
  logout_all.allow_pending_password = true;
  logout_all.allow_inactive_tenant = true;

  Route& me = router_.Add("GET", "/api/v1/me", Access::kTenantUser,
                          {"Who the caller is: user, role, data scope, tenant and its state",
                           "me",
                           nullptr,
                           Obj({{"user", UserSchema()},
                                {"role", Str()},
                                {"data_scope", Str()},
                                {"credential", Enum({"session", "api_token"})},
                                {"read_only", Bool()},
                                {"csrf_token", Str()},
                                {"mfa", MfaStatusSchema()},
                                {"tenant", Obj({{"id", Int()},
                                                {"slug", Str()},
                                                {"name", Str()},
                                                {"state", Str()},
                                                {"seats", Int()}})}}),
                           200,
                           {},
                           {}},
                          [&ids](Context& ctx) { return Reply(ids.Me(ctx.who())); });
  me.allow_pending_password = true;
  me.allow_inactive_tenant = true;

  router_.Add("PATCH", "/api/v1/me", Access::kTenantUser,
              {"Update your own name, email and mobile",
               "me",
               Obj({{"name", Str()}, {"email", Str()}, {"mobile", Str()}}),
               UserSchema(),
               200,
               {"validation_failed", "reauthentication_required"},
               {}},
              [&ids](Context& ctx) {
                return Reply(ids.UpdateUser(ctx.who(), ctx.who().user_id, ctx.body, ctx.meta));
              });

  Route& password =
      router_.Add("POST", "/api/v1/me/password", Access::kTenantUser,
                  {"Change your password; other sessions are signed out",
                   "me",
                   Obj({{"current_password", Str()}, {"new_password", Str()}},
                       {"current_password", "new_password"}),
                   nullptr,
                   204,
                   {"weak_password", "validation_failed"},
                   {}},
                  [&ids](Context& ctx) {
                    Fields f(ctx.body);
                    f.OnlyKeys({"current_password", "new_password"});
                    auto current = f.Secret("current_password", true);
                    auto next = f.Secret("new_password", true);
                    if (!f.ok()) return ErrorToResponse(f.ToError());
                    return Reply(ids.ChangePassword(ctx.who(), *current, *next, ctx.meta));
                  });
  password.allow_pending_password = true;
  password.allow_inactive_tenant = true;

  Route& reauthenticate = router_.Add(
      "POST", "/api/v1/me/reauthenticate", Access::kTenantUser,
      {"Prove your password again: changing your email or mobile, creating API tokens, making "
       "a boss or an admin and opening a support grant want a proof within 5 minutes",
       "me",
       Obj({{"password", Str()}, {"code", Str("or a code of your two-step sign-in")}}),
       Obj({{"proved_at", Str()}, {"valid_until", Str()}}),
       200,
       {"validation_failed", "too_many_attempts", "session_required"},
       {}},
      [&ids](Context& ctx) {
        Fields f(ctx.body);
        f.OnlyKeys({"password", "code"});
        auto password = f.Secret("password", false);
        auto code = f.String("code", false, 0, 16);
        if (f.ok() && password.value_or("").empty() == code.value_or("").empty()) {
          f.Fail("password", "give either the password or a code");
        }
        if (!f.ok()) return ErrorToResponse(f.ToError());
        return Reply(ids.Reauthenticate(ctx.who(), password.value_or(""),
                                        {code.value_or(""), {}}, ctx.meta));
      });
  reauthenticate.allow_inactive_tenant = true;

  // --- Two-step sign-in of one's own account ---
  Route& mfa_start = router_.Add(
      "POST", "/api/v1/me/mfa/enrolment", Access::kTenantUser,
      {"Start turning on two-step sign-in: a new secret and its QR code to scan with an "
       "authenticator app (recent proof wanted)",
       "me",
       nullptr,
       MfaEnrolmentSchema(),
       200,
       {"reauthentication_required", "mfa_already_enrolled"},
       {}},
      [&ids](Context& ctx) { return Reply(ids.StartMfaEnrolment(ctx.who(), ctx.meta)); });
  mfa_start.allow_pending_password = true;
  Route& mfa_confirm = router_.Add(
      "POST", "/api/v1/me/mfa/enrolment/confirm", Access::kTenantUser,
      {"Finish turning on two-step sign-in with a code from the app; answers the recovery "
       "codes, shown this once",
       "me",
       Obj({{"code", Str()}}, {"code"}),
       Obj({{"recovery_codes", Array(Str())}, {"enabled_at", Time()}}),
       200,
       {"validation_failed", "mfa_enrolment_not_started", "mfa_already_enrolled",
        "too_many_attempts"},
       {}},
      [&ids](Context& ctx) {
        Fields f(ctx.body);
        f.OnlyKeys({"code"});
        auto code = f.String("code", true, 1, 16);
        if (!f.ok()) return ErrorToResponse(f.ToError());
        return Reply(ids.ConfirmMfaEnrolment(ctx.who(), {*code, {}}, ctx.meta));
      });
  mfa_confirm.allow_pending_password = true;
  router_.Add("POST", "/api/v1/me/mfa/recovery-codes", Access::kTenantUser,
              {"New recovery codes, the old ones void (recent proof wanted)",
               "me",
               nullptr,
               Obj({{"recovery_codes", Array(Str())}}),
               200,
               {"reauthentication_required", "mfa_not_enrolled", "session_required"},
               {}},
              [&ids](Context& ctx) {
                return Reply(ids.RenewRecoveryCodes(ctx.who(), {}, ctx.meta));
              });
  router_.Add("DELETE", "/api/v1/me/mfa", Access::kTenantUser,
              {"Turn off two-step sign-in (recent proof wanted); refused while the company "
               "requires it",
               "me",
               nullptr,
               nullptr,
               204,
               {"reauthentication_required", "mfa_required", "mfa_not_enrolled"},
               {}},
              [&ids](Context& ctx) { return Reply(ids.DisableMfa(ctx.who(), ctx.meta)); });

  router_.Add("GET", "/api/v1/me/login-history", Access::kTenantUser,
              {"Your sign-ins and failed attempts, newest first",
               "me",
               nullptr,
               ListOf(LoginHistorySchema()),
               200,
               {},
               {{"limit", "1 to 200"}, {"cursor", "from next_cursor"}}},
              Paged([&ids](Context& ctx, const identity::Page& page) {
                return Reply(ids.MyLoginHistory(ctx.who(), page));
              }));

  auto report_answer = Obj({{"incident_id", Int()},
                            {"scope", Enum({"self", "users", "all"})},
                            {"user_ids", Array(Int())},
                            {"revoked_credentials", Int()},
                            {"must_change_password", Bool()},
                            {"created_at", Time()}});
  Route& report_self = router_.Add(
      "POST", "/api/v1/me/unauthorized-use", Access::kTenantUser,
      {"Report unauthorized use of your account: revokes your sessions and tokens, forces a "
       "password change and opens an incident for the operator",
       "security",
       Obj({{"note", Str()}}),
       report_answer,
       201,
       {},
       {}},
      [&ids](Context& ctx) {
        return Reply(ids.ReportUnauthorizedUse(ctx.who(), ctx.body, true, ctx.meta), 201);
      });
  report_self.allow_pending_password = true;

  router_.Add("POST", "/api/v1/security/unauthorized-use", Access::kTenantUser,
              {"The boss reports unauthorized use for chosen users or all",
               "security",
               Obj({{"user_ids", Array(Int())}, {"all", Bool()}, {"note", Str()}}),
               report_answer,
               201,
               {"forbidden", "validation_failed"},
               {}},
              [&ids](Context& ctx) {
                return Reply(ids.ReportUnauthorizedUse(ctx.who(), ctx.body, false, ctx.meta), 201);
              });

  auto tenant_schema = Obj({{"id", Int()},
                            {"slug", Str()},
                            {"name", Str()},
                            {"state", Str()},
                            {"seats", Int()},
                            {"active_users", Int()},
                            {"mfa_required", Bool()},
                            {"created_at", Time()}});
  router_.Add("GET", "/api/v1/tenant", Access::kTenant,
              {"The tenant: name, state, seats, active users and whether two-step sign-in is "
               "required",
               "tenant",
               nullptr,
               tenant_schema,
               200,
               {},
               {}},
              [&ids](Context& ctx) { return Reply(ids.GetTenant(ctx.who())); });
  router_.Add("PATCH", "/api/v1/tenant", Access::kTenantUser,
              {"The boss requires two-step sign-in of everyone (or no longer does); whoever has "
               "none enrols at their next sign-in. Recent proof wanted",
               "tenant",
               Obj({{"mfa_required", Bool()}}, {"mfa_required"}),
               tenant_schema,
               200,
               {"forbidden", "reauthentication_required", "mfa_not_enrolled"},
               {}},
              [&ids](Context& ctx) {
                Fields f(ctx.body);
                f.OnlyKeys({"mfa_required"});
                auto required = f.Bool("mfa_required", true);
                if (!f.ok()) return ErrorToResponse(f.ToError());
                return Reply(ids.SetTenantMfaRequired(ctx.who(), *required, ctx.meta));
              });

  // --- Users ---
  router_.Add("GET", "/api/v1/users", Access::kTenant,
              {"The tenant's users",
               "users",
               nullptr,
               ListOf(UserSchema()),
               200,
               {},
               {{"limit", "1 to 200"}, {"cursor", "from next_cursor"}}},
              Paged([&ids](Context& ctx, const identity::Page& page) {
                return Reply(ids.ListUsers(ctx.who(), page));
              }));
  auto user_body = Obj({{"login", Str()},
                        {"name", Str()},
                        {"email", Str()},
                        {"mobile", Str()},
                        {"role", Enum({"boss", "admin", "manager", "member"})},
                        {"department_id", Nullable(Int())},
                        {"status", Enum({"active", "disabled"})},
                        {"password", Str("omit for a temporary password, returned once")}},
                       {"login", "name", "role"});
  router_.Add(
      "POST", "/api/v1/users", Access::kTenant,
      {"Create a user (boss and admin); refused when every seat is taken",
       "users",
       user_body,
       UserSchema(),
       201,
       {"seats_exhausted", "login_taken", "weak_password", "forbidden",
        "reauthentication_required"},
       {}},
      [&ids](Context& ctx) { return Reply(ids.CreateUser(ctx.who(), ctx.body, ctx.meta), 201); });
  router_.Add(
      "GET", "/api/v1/users/{id}", Access::kTenant,
      {"One user of the tenant", "users", nullptr, UserSchema(), 200, {}, {}},
      ById([&ids](Context& ctx, std::int64_t id) { return Reply(ids.GetUser(ctx.who(), id)); }));
  router_.Add("PATCH", "/api/v1/users/{id}", Access::kTenant,
              {"Update a user: details, role, department, enable or disable",
               "users",
               Obj({{"name", Str()},
                    {"email", Str()},
                    {"mobile", Str()},
                    {"role", Enum({"boss", "admin", "manager", "member"})},
                    {"department_id", Nullable(Int())},
                    {"status", Enum({"active", "disabled"})}}),
               UserSchema(),
               200,
               {"last_boss", "seats_exhausted", "forbidden", "reauthentication_required"},
               {}},
              ById([&ids](Context& ctx, std::int64_t id) {
                return Reply(ids.UpdateUser(ctx.who(), id, ctx.body, ctx.meta));
              }));
  router_.Add("POST", "/api/v1/users/{id}/password-reset", Access::kTenant,
              {"Reset a user's password to a temporary one (returned once)",
               "users",
               nullptr,
               Obj({{"temporary_password", Str()}, {"must_change_password", Bool()}}),
               200,
               {"forbidden"},
               {}},
              ById([&ids](Context& ctx, std::int64_t id) {
                return Reply(ids.ResetPassword(ctx.who(), id, ctx.meta));
              }));
  router_.Add("DELETE", "/api/v1/users/{id}/mfa", Access::kTenant,
              {"Remove a user's two-step sign-in (a lost phone): their sessions end, and they "
               "sign in with the password alone, or enrol again where it is required. Boss and "
               "admin; only the boss for the boss. Recent proof wanted",
               "users",
               nullptr,
               nullptr,
               204,
               {"forbidden", "reauthentication_required", "mfa_not_enrolled"},
               {}},
              ById([&ids](Context& ctx, std::int64_t id) {
                return Reply(ids.ResetUserMfa(ctx.who(), id, ctx.meta));
              }));
  router_.Add("GET", "/api/v1/users/{id}/login-history", Access::kTenant,
              {"A user's sign-ins (the boss, or the user)",
               "users",
               nullptr,
               ListOf(LoginHistorySchema()),
               200,
               {"forbidden"},
               {{"limit", "1 to 200"}, {"cursor", "from next_cursor"}}},
              PagedById([&ids](Context& ctx, std::int64_t id, const identity::Page& page) {
                auto exists = ids.GetUser(ctx.who(), id);
                if (!exists.ok()) return ErrorToResponse(exists.error());
                return Reply(ids.TenantLoginHistory(ctx.who(), page, id));
              }));

  // --- Departments and roles ---
  router_.Add("GET", "/api/v1/departments", Access::kTenant,
              {"The department tree, as a flat list with parents",
               "departments",
               nullptr,
               ListOf(DepartmentSchema()),
               200,
               {},
               {}},
              [&ids](Context& ctx) { return Reply(ids.ListDepartments(ctx.who())); });
  router_.Add("POST", "/api/v1/departments", Access::kTenant,
              {"Create a department",
               "departments",
               Obj({{"name", Str()}, {"parent_id", Nullable(Int())}}, {"name"}),
               DepartmentSchema(),
               201,
               {"forbidden"},
               {}},
              [&ids](Context& ctx) {
                return Reply(ids.CreateDepartment(ctx.who(), ctx.body, ctx.meta), 201);
              });
  router_.Add("PATCH", "/api/v1/departments/{id}", Access::kTenant,
              {"Rename or move a department",
               "departments",
               Obj({{"name", Str()}, {"parent_id", Nullable(Int())}}),
               DepartmentSchema(),
               200,
               {"forbidden"},
               {}},
              ById([&ids](Context& ctx, std::int64_t id) {
                return Reply(ids.UpdateDepartment(ctx.who(), id, ctx.body, ctx.meta));
              }));
  router_.Add("DELETE", "/api/v1/departments/{id}", Access::kTenant,
              {"Delete an empty department",
               "departments",
               nullptr,
               nullptr,
               204,
               {"department_not_empty", "forbidden"},
               {}},
              ById([&ids](Context& ctx, std::int64_t id) {
                return Reply(ids.DeleteDepartment(ctx.who(), id, ctx.meta));
              }));
  auto role_schema =
      Obj({{"role", Str()},
           {"data_scope", Enum({"self", "department", "department_and_below", "all"})},
           {"configurable", Bool()}});
  router_.Add(
      "GET", "/api/v1/roles", Access::kTenant,
      {"Roles and the data scope of each", "roles", nullptr, ListOf(role_schema), 200, {}, {}},
      [&ids](Context& ctx) { return Reply(ids.ListRoles(ctx.who())); });
  router_.Add(
      "PUT", "/api/v1/roles/{role}", Access::kTenant,
      {"Set a role's data scope (not the boss's, which is always all)",
       "roles",
       Obj({{"data_scope", Enum({"self", "department", "department_and_below", "all"})}},
           {"data_scope"}),
       role_schema,
       200,
       {"boss_scope_fixed", "forbidden"},
       {}},
      [&ids](Context& ctx) {
        return Reply(ids.SetRoleScope(ctx.who(), ctx.params.at("role"), ctx.body, ctx.meta));
      });

  // --- API tokens ---
  auto token_schema = Obj({{"id", Int()},
                           {"name", Str()},
                           {"scope", Enum({"read", "write"})},
                           {"created_at", Time()},
                           {"expires_at", Nullable(Time())},
                           {"revoked_at", Nullable(Time())},
                           {"last_used_at", Nullable(Time())}});
  router_.Add("GET", "/api/v1/api-tokens", Access::kTenantUser,
              {"Your personal API tokens (never their secrets)",
               "api-tokens",
               nullptr,
               ListOf(token_schema),
               200,
               {},
               {}},
              [&ids](Context& ctx) { return Reply(ids.ListApiTokens(ctx.who())); });
  router_.Add(
      "POST", "/api/v1/api-tokens", Access::kTenantUser,
      {"Create a personal API token; the token is shown once",
       "api-tokens",
       Obj({{"name", Str()}, {"scope", Enum({"read", "write"})}, {"expires_in_days", Int()}},
           {"name", "scope"}),
       token_schema,
       201,
       {"session_required", "reauthentication_required"},
       {}},
      [&ids](Context& ctx) {
        return Reply(ids.CreateApiToken(ctx.who(), ctx.body, ctx.meta), 201);
      });
  router_.Add("DELETE", "/api/v1/api-tokens/{id}", Access::kTenantUser,
              {"Revoke one of your API tokens", "api-tokens", nullptr, nullptr, 204, {}, {}},
              ById([&ids](Context& ctx, std::int64_t id) {
                return Reply(ids.RevokeApiToken(ctx.who(), id, ctx.meta));
              }));

  // --- Audit and login history ---
  auto audit_schema = Obj({{"id", Int()},
                           {"at", Time()},
                           {"actor", Obj({{"kind", Enum({"user", "operator", "anonymous"})},
                                          {"id", Nullable(Int())},
                                          {"name", Str()}})},
                           {"ip", Str()},
                           {"user_agent", Str()},
                           {"action", Str()},
                           {"entity", Str()},
                           {"entity_id", Str()},
                           {"before", Nullable(Obj({}))},
                           {"after", Nullable(Obj({}))},
                           {"request_id", Str()}});
  router_.Add("GET", "/api/v1/audit-log", Access::kTenant,
              {"The tenant's audit log, newest first (the boss)",
               "security",
               nullptr,
               ListOf(audit_schema),
               200,
               {"forbidden"},
               {{"limit", "1 to 200"},
                {"cursor", "from next_cursor"},
                {"action", "e.g. user.update"},
                {"entity", "e.g. user"},
                {"entity_id", "id"},
                {"actor_kind", "user, operator or anonymous"},
                {"actor_id", "id"},
                {"from", "RFC 3339"},
                {"to", "RFC 3339"}}},
              Paged([&ids](Context& ctx, const identity::Page& page) {
                std::map<std::string, std::string> filters;
                for (const auto& [k, v] : ctx.request.query) {
                  if (k != "limit" && k != "cursor") filters[k] = v;
                }
                return Reply(ids.ListAudit(ctx.who(), page, filters));
              }));
  router_.Add("GET", "/api/v1/login-history", Access::kTenantUser,
              {"Every user's sign-ins (the boss)",
               "security",
               nullptr,
               ListOf(LoginHistorySchema()),
               200,
               {"forbidden"},
               {{"limit", "1 to 200"}, {"cursor", "from next_cursor"}}},
              Paged([&ids](Context& ctx, const identity::Page& page) {
                return Reply(ids.TenantLoginHistory(ctx.who(), page, std::nullopt));
              }));

  // --- Support grants ---
  router_.Add("GET", "/api/v1/support-grants", Access::kTenantUser,
              {"Support-access grants given to the operator",
               "security",
               nullptr,
               ListOf(GrantSchema()),
               200,
               {"forbidden"},
               {}},
              [&ids](Context& ctx) { return Reply(ids.ListGrants(ctx.who(), ctx.meta.now)); });
  router_.Add(
      "POST", "/api/v1/support-grants", Access::kTenantUser,
      {"The boss lets the operator's support into the tenant's data for a time",
       "security",
       Obj({{"hours", Int()}, {"access", Enum({"read", "write"})}, {"reason", Str()}}, {"reason"}),
       GrantSchema(),
       201,
       {"forbidden", "reauthentication_required"},
       {}},
      [&ids](Context& ctx) { return Reply(ids.CreateGrant(ctx.who(), ctx.body, ctx.meta), 201); });
  router_.Add(
      "DELETE", "/api/v1/support-grants/{id}", Access::kTenantUser,
      {"Revoke a support grant at once", "security", nullptr, nullptr, 204, {"forbidden"}, {}},
      ById([&ids](Context& ctx, std::int64_t id) {
        return Reply(ids.RevokeGrant(ctx.who(), id, ctx.meta));
      }));
}

}  // namespace kelu::http
