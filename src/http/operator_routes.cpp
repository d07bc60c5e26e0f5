// Operator routes: sign-in, tenants (metadata only), incidents and the operator audit log.
#include <fmt/format.h>

#include <functional>

#include "core/validation.hpp"
#include "http/api.hpp"
#include "http/schema.hpp"

namespace kelu::http {

using namespace schema;

namespace {

json::value TenantMetaSchema() {
  return Obj({{"id", Int()},
              {"slug", Str()},
              {"name", Str()},
              {"state", Str()},
              {"seats", Int()},
              {"active_users", Int()},
              {"users", Int()},
              {"created_at", Time()},
              {"updated_at", Time()}});
}

}  // namespace

void Api::RegisterOperatorRoutes() {
  auto& ids = services_.identity;
  const int cookie_age = config_.security.session_absolute_hours * 3600;

  auto login_answer = Obj({{"token", Str()},
                           {"csrf_token", Str()},
                           {"expires_at", Time()},
                           {"operator", Obj({{"id", Int()}, {"name", Str()}, {"email", Str()}})},
                           {"mfa", Obj({{"challenge", Str()},
                                        {"state", Enum({"verify", "enrol"})},
                                        {"expires_at", Time()},
                                        {"enrolment", Obj({{"secret", Str()},
                                                           {"otpauth_uri", Str()},
                                                           {"qr_svg", Str()}})}})},
                           {"recovery_codes", Array(Str())},
                           {"recovery_codes_left", Int()}});
  router_.Add("POST", "/api/v1/operator/auth/login", Access::kPublic,
              {"Sign in as an operator: always in two steps. The password answers the challenge "
               "under \"mfa\" (an operator without a factor enrols one then), or, with \"code\", "
               "the session at once",
               "operator",
               Obj({{"email", Str()},
                    {"password", Str()},
                    {"code", Str()},
                    {"recovery_code", Str()}},
                   {"email", "password"}),
               login_answer,
               200,
               {"invalid_credentials", "too_many_attempts", "invalid_mfa_code"},
               {}},
              [&ids, cookie_age](Context& ctx) {
                Fields f(ctx.body);
                auto email = f.String("email", true, 1, 200);
                auto password = f.Secret("password", true);
                auto factor = ReadSecondFactor(f);
                if (!f.ok()) return ErrorToResponse(f.ToError());
                auto r = ids.LoginOperator(*email, *password, ctx.meta);
                if (r.ok() && !r->mfa_challenge.empty() && !factor.empty()) {
                  r = ids.CompleteOperatorMfa(r->mfa_challenge, factor, ctx.meta);
                }
                return SignInAnswer(r, SessionAudience::kOperator, cookie_age,
                                    ctx.request.secure);
              });
  router_.Add("POST", "/api/v1/operator/auth/login/mfa", Access::kPublic,
              {"The second step of an operator's sign-in: the challenge and a code (or a "
               "recovery code)",
               "operator",
               Obj({{"challenge", Str()}, {"code", Str()}, {"recovery_code", Str()}},
                   {"challenge"}),
               login_answer,
               200,
               {"mfa_challenge_invalid", "invalid_mfa_code", "too_many_attempts"},
               {}},
              SecondStepHandler(std::bind_front(&identity::IdentityService::CompleteOperatorMfa, &ids),
                                SessionAudience::kOperator, cookie_age));
  router_.Add("POST", "/api/v1/operator/me/mfa/recovery-codes", Access::kOperator,
              {"New recovery codes for this operator, the old ones void; a current code proves "
               "it is the operator",
               "operator",
               Obj({{"code", Str()}}, {"code"}),
               Obj({{"recovery_codes", Array(Str())}}),
               200,
               {"validation_failed", "too_many_attempts"},
               {}},
              [&ids](Context& ctx) {
                Fields f(ctx.body);
                f.OnlyKeys({"code"});
                auto code = f.String("code", true, 1, 16);
                if (!f.ok()) return ErrorToResponse(f.ToError());
                return Reply(ids.RenewRecoveryCodes(ctx.who(), {*code, {}}, ctx.meta));
              });
  router_.Add("POST", "/api/v1/operator/auth/logout", Access::kOperator,
              {"End this operator session", "operator", nullptr, nullptr, 204, {}, {}},
              [&ids](Context& ctx) {
                return EndingSession(Reply(ids.Logout(ctx.who(), ctx.meta)), SessionAudience::kOperator,
                                     ctx.request.secure);
              });
  router_.Add("POST", "/api/v1/operator/auth/logout-all", Access::kOperator,
              {"End every session of this operator", "operator", nullptr, nullptr, 204, {}, {}},
              [&ids](Context& ctx) {
                return EndingSession(Reply(ids.LogoutEverywhere(ctx.who(), ctx.meta)), SessionAudience::kOperator,
                                     ctx.request.secure);
              });
  router_.Add("GET", "/api/v1/operator/me", Access::kOperator,
              {"Who the operator is",
               "operator",
               nullptr,
               Obj({{"kind", Str()},
                    {"id", Int()},
                    {"name", Str()},
                    {"email", Str()},
                    {"csrf_token", Str()},
                    {"mfa", Obj({{"enabled", Bool()},
                                 {"required", Bool()},
                                 {"enabled_at", Nullable(Time())},
                                 {"recovery_codes_left", Int()}})}}),
               200,
               {},
               {}},
              [&ids](Context& ctx) { return Reply(ids.OperatorMe(ctx.who())); });

  router_.Add("GET", "/api/v1/operator/tenants", Access::kOperator,
              {"Tenants with their metadata (never their records)",
               "operator",
               nullptr,
               ListOf(TenantMetaSchema()),
               200,
               {},
               {{"limit", "1 to 200"}, {"cursor", "from next_cursor"}}},
              Paged([&ids, this](Context& ctx, const identity::Page& page) {
                auto list = ids.ListTenants(ctx.who(), page);
                if (list.ok()) {
                  for (auto& item : list->at("items").as_array()) {
                    services_.billing.AddBillingMeta(item.as_object(), services_.clock.now());
                  }
                }
                return Reply(list);
              }));
  router_.Add(
      "POST", "/api/v1/operator/tenants", Access::kOperator,
      {"Create a tenant with its first boss account",
       "operator",
       Obj({{"slug", Str()},
            {"name", Str()},
            {"seats", Int()},
            {"boss", Obj({{"login", Str()},
                          {"name", Str()},
                          {"email", Str()},
                          {"password", Str("omit for a temporary one")}},
                         {"login", "name"})}},
           {"slug", "name", "seats", "boss"}),
       TenantMetaSchema(),
       201,
       {"slug_taken", "validation_failed"},
       {}},
      [&ids](Context& ctx) { return Reply(ids.CreateTenant(ctx.who(), ctx.body, ctx.meta), 201); });
  router_.Add("GET", "/api/v1/operator/tenants/{id}", Access::kOperator,
              {"One tenant's metadata", "operator", nullptr, TenantMetaSchema(), 200, {}, {}},
              ById([&ids, this](Context& ctx, std::int64_t id) {
                auto tenant = ids.OperatorGetTenant(ctx.who(), id);
                if (tenant.ok()) services_.billing.AddBillingMeta(*tenant, services_.clock.now());
                return Reply(tenant);
              }));
  router_.Add("PATCH", "/api/v1/operator/tenants/{id}", Access::kOperator,
              {"Change a tenant's name or seats",
               "operator",
               Obj({{"name", Str()}, {"seats", Int()}}),
               TenantMetaSchema(),
               200,
               {"seats_below_active_users"},
               {}},
              ById([&ids](Context& ctx, std::int64_t id) {
                return Reply(ids.OperatorUpdateTenant(ctx.who(), id, ctx.body, ctx.meta));
              }));
  router_.Add("GET", "/api/v1/operator/incidents", Access::kOperator,
              {"Incidents reported by tenants (unauthorized use)",
               "operator",
               nullptr,
               ListOf(Obj({{"id", Int()},
                           {"tenant_id", Int()},
                           {"tenant_slug", Str()},
                           {"kind", Str()},
                           {"scope", Str()},
                           {"affected_users", Int()},
                           {"note", Str()},
                           {"status", Str()},
                           {"liability_cap_fen", Nullable(Int())},
                           {"created_at", Time()}})),
               200,
               {},
               {{"limit", "1 to 200"}, {"cursor", "from next_cursor"}}},
              Paged([&ids, this](Context& ctx, const identity::Page& page) {
                auto list = ids.ListIncidents(ctx.who(), page);
                // §17: the liability cap at the moment of each incident.
                if (list.ok()) {
                  for (auto& item : list->at("items").as_array()) {
                    auto& o = item.as_object();
                    auto at = ParseRfc3339(std::string_view(o["created_at"].as_string()));
                    auto cap = services_.billing.LiabilityCap(ctx.who(), o["tenant_id"].as_int64(),
                                                              at.value_or(services_.clock.now()));
                    o["liability_cap_fen"] = cap.ok() ? cap->at("cap_fen") : json::value(nullptr);
                  }
                }
                return Reply(list);
              }));
  router_.Add("GET", "/api/v1/operator/audit-log", Access::kOperator,
              {"Operator actions, newest first",
               "operator",
               nullptr,
               ListOf(Obj({{"id", Int()},
                           {"at", Time()},
                           {"operator_id", Nullable(Int())},
                           {"actor_name", Str()},
                           {"action", Str()},
                           {"entity", Str()},
                           {"entity_id", Str()},
                           {"tenant_id", Nullable(Int())}})),
               200,
               {},
               {{"limit", "1 to 200"}, {"cursor", "from next_cursor"}}},
              Paged([&ids](Context& ctx, const identity::Page& page) {
                return Reply(ids.ListOperatorAudit(ctx.who(), page));
              }));
}

}  // namespace kelu::http
