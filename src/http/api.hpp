// Start here for HTTP: the Api turns a Request into a Response. It owns the router and runs
// every request through the same steps: request id, route match (404/405), body limits and
// JSON parsing (400), authentication (401) and support grants (404 without one), CSRF for
// cookie sessions, read-only credentials, forced password changes, the handler, error
// mapping (one table from ErrorKind to status), security headers, metrics and the access log.
// Static files of the web app are served for non-API paths. Thread-safe.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "attachments/service.hpp"
#include "billing/service.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/json.hpp"
#include "core/net_address.hpp"
#include "core/result.hpp"
#include "core/validation.hpp"
#include "crm/service.hpp"
#include "http/message.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "identity/principal.hpp"
#include "identity/service.hpp"
#include "integrations/service.hpp"
#include "jobs/scheduler.hpp"
#include "messaging/fax.hpp"
#include "messaging/service.hpp"
#include "notices/service.hpp"
#include "storage/database.hpp"

namespace kelu::http {

// Everything a handler may need about its request.
struct Context {
  const Request& request;
  std::map<std::string, std::string> params;
  std::optional<identity::Principal> principal;
  identity::RequestMeta meta;
  json::object body;  // the parsed JSON body ({} when empty)

  const identity::Principal& who() const { return *principal; }
  // The path parameter `name` as a positive id, or nullopt.
  std::optional<std::int64_t> id(const std::string& name = "id") const;
  // limit (1..200, default 25) and cursor from the query string.
  Result<identity::Page> page() const;
};

struct Services {
  storage::Database& db;
  identity::IdentityService& identity;
  crm::CrmService& crm;
  billing::BillingService& billing;
  notices::NoticeService& notices;
  integrations::IntegrationService& integrations;
  attachments::AttachmentService& attachments;
  messaging::MessagingService& messaging;
  messaging::FaxService& fax;
  jobs::Scheduler& scheduler;
  const Clock& clock;
  ManualClock* test_clock = nullptr;  // set when serving with --test-clock
};

class Api {
 public:
  Api(const Config& config, Services services);
  ~Api();

  Response Handle(Request& request);
  // The body limit of the route `method target` (0: the server default).
  BodyRule BodyRuleFor(std::string_view method, std::string_view target) const;
  // An error answer built outside a handler (the server's 400/413/431).
  Response ErrorResponse(int status, std::string code, std::string message) const;

  Router& router() { return router_; }
  Metrics& metrics() { return metrics_; }
  // The OpenAPI 3.1 document of every route.
  json::object OpenApi() const;

 private:
  Response Dispatch(Request& request, Context& context, const Route*& route_out);
  Response ServeStatic(const Request& request) const;
  void AccessLog(const Request& request, const Route* route, const Context* ctx,
                 const Response& response, double seconds);
  void RegisterSystemRoutes();
  // /readyz's write probes: the reason each fails ("database_unwritable", "files_unwritable").
  std::optional<std::string> ProbeDatabaseWrite(Timestamp now);
  std::optional<std::string> ProbeFilesWrite();
  void RegisterIdentityRoutes();
  void RegisterOperatorRoutes();
  void RegisterCrmRoutes();
  void RegisterBillingRoutes();
  void RegisterNoticeRoutes();
  void RegisterIntegrationRoutes();
  void RegisterAttachmentRoutes();
  void RegisterMessagingRoutes();
  void RegisterSmsSendingRoutes();
  void RegisterFaxRoutes();

  Config config_;
  Services services_;
  Router router_;
  std::vector<IpRange> trusted_proxies_;  // server.trusted_proxies, validated with the config
  StaticFiles static_files_;
  Metrics metrics_;
  std::FILE* access_log_ = nullptr;
  bool own_access_log_ = false;
  std::mutex log_mutex_;
};

// Helpers for handlers.
Response JsonResponse(int status, const json::value& body);
Response JsonResponse(int status, const json::object& body);  // without copying `body`
Response ErrorToResponse(const Error& error);

// Whose session a cookie holds: the tenant's web app or the operator's console.
enum class SessionAudience { kTenant, kOperator };
// The name of the session cookie. Over https it carries the __Host- prefix, which browsers
// accept only when Secure, for Path=/ and without Domain, so neither a plain-http page nor a
// sibling subdomain can set or shadow it.
std::string SessionCookieName(SessionAudience audience, bool secure);
// The Set-Cookie value for that cookie (an empty value with max_age 0 removes it): HttpOnly,
// Path=/, SameSite Lax for the tenant app and Strict for the console, Secure over https.
std::string SessionCookie(SessionAudience audience, const std::string& value, int max_age,
                          bool secure);
// The answer to a sign-in step: the session (and its cookie) once made, or the challenge of the
// second step.
Response SignInAnswer(const Result<identity::LoginResult>& r, SessionAudience audience,
                      int max_age, bool secure);
// "code" or "recovery_code" of a body (neither: an empty factor).
identity::SecondFactor ReadSecondFactor(Fields& f);
// The handler of a sign-in's second step, {challenge, code | recovery_code}: `complete` is the
// service's CompleteUserMfa or CompleteOperatorMfa.
using SecondStepFn = std::function<Result<identity::LoginResult>(
    std::string_view, const identity::SecondFactor&, const identity::RequestMeta&)>;
Handler SecondStepHandler(SecondStepFn complete, SessionAudience audience, int max_age);
// The answer to a sign-out: `r`, with the session cookie removed when it is a success (204).
Response EndingSession(Response r, SessionAudience audience, bool secure);
int StatusOf(ErrorKind kind);
// 200 (or `status`) with the value, or the error.
Response Reply(const Result<json::object>& result, int status = 200);
Response Reply(const Status& status);  // 204 on success
// 200 with JSON text the service wrote itself, or the error.
Response Reply(Result<std::string>&& json_text);

// The handler of a route with an {id} parameter: a missing or malformed id answers 404 before
// `f(ctx, id)` runs.
template <class F>
Handler ById(F f) {
  return [f = std::move(f)](Context& ctx) -> Response {
    auto id = ctx.id();
    if (!id) return ErrorToResponse(Error::NotFound());
    return f(ctx, *id);
  };
}

// The handler of a list route: a bad limit or cursor answers 422 before `f(ctx, page)` runs.
template <class F>
Handler Paged(F f) {
  return [f = std::move(f)](Context& ctx) -> Response {
    auto page = ctx.page();
    if (!page.ok()) return ErrorToResponse(page.error());
    return f(ctx, *page);
  };
}

// A list under an {id}: both checks, then `f(ctx, id, page)`.
template <class F>
Handler PagedById(F f) {
  return ById([f = std::move(f)](Context& ctx, std::int64_t id) -> Response {
    auto page = ctx.page();
    if (!page.ok()) return ErrorToResponse(page.error());
    return f(ctx, id, *page);
  });
}

}  // namespace kelu::http
