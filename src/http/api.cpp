#include "http/api.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <filesystem>

#include "core/files.hpp"
#include "core/net_address.hpp"
#include "core/random.hpp"
#include "core/validation.hpp"

namespace kelu::http {

using identity::Credential;
using identity::Principal;
using identity::PrincipalKind;

namespace {


bool Unsafe(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

std::string NewRequestId(const Request& r) {
  if (auto h = r.header("x-request-id"); h && !h->empty() && h->size() <= 64) {
    bool clean = true;
    for (char c : *h) {
      clean = clean && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    }
    if (clean) return std::string(*h);
  }
  return UniqueId();
}

void SecurityHeaders(Response& r, bool secure) {
  r.set_header("Content-Security-Policy",
               "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
               "script-src 'self'; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  r.set_header("X-Content-Type-Options", "nosniff");
  r.set_header("X-Frame-Options", "DENY");
  r.set_header("Referrer-Policy", "strict-origin-when-cross-origin");
  r.set_header("Cross-Origin-Opener-Policy", "same-origin");
  if (secure) r.set_header("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
}

const json::object kNoBody;

constexpr const char* kPlaceholderPage =
    "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
    "<title>客录 Kelu</title></head><body><main><h1>客录 Kelu</h1>"
    "<p>The web app is not built. The API is at <a "
    "href=\"/api/openapi.json\">/api/openapi.json</a>."
    "</p></main></body></html>";

}  // namespace

std::string SessionCookieName(SessionAudience audience, bool secure) {
  std::string name = audience == SessionAudience::kOperator ? "kelu_operator_session" : "kelu_session";
  return secure ? "__Host-" + name : name;
}

std::string SessionCookie(SessionAudience audience, const std::string& value, int max_age,
                          bool secure) {
  return fmt::format("{}={}; Path=/; HttpOnly; SameSite={}; Max-Age={}{}",
                     SessionCookieName(audience, secure), value,
                     audience == SessionAudience::kOperator ? "Strict" : "Lax", max_age,
                     secure ? "; Secure" : "");
}

Response SignInAnswer(const Result<identity::LoginResult>& r, SessionAudience audience,
                      int max_age, bool secure) {
  if (!r.ok()) return ErrorToResponse(r.error());
  Response res = JsonResponse(200, r->view);
  if (!r->token.empty()) {
    res.headers.emplace_back("Set-Cookie", SessionCookie(audience, r->token, max_age, secure));
  }
  return res;
}

identity::SecondFactor ReadSecondFactor(Fields& f) {
  identity::SecondFactor factor;
  factor.code = f.String("code", false, 0, 16).value_or("");
  factor.recovery_code = f.String("recovery_code", false, 0, 32).value_or("");
  if (!factor.code.empty() && !factor.recovery_code.empty()) {
    f.Fail("recovery_code", "give either a code or a recovery code");
  }
  return factor;
}

Handler SecondStepHandler(SecondStepFn complete, SessionAudience audience, int max_age) {
  return [complete = std::move(complete), audience, max_age](Context& ctx) {
    Fields f(ctx.body);
    f.OnlyKeys({"challenge", "code", "recovery_code"});
    auto challenge = f.String("challenge", true, 1, 2048);
    auto factor = ReadSecondFactor(f);
    if (f.ok() && factor.empty()) f.Fail("code", "is required");
    if (!f.ok()) return ErrorToResponse(f.ToError());
    return SignInAnswer(complete(*challenge, factor, ctx.meta), audience, max_age,
                        ctx.request.secure);
  };
}

Response EndingSession(Response r, SessionAudience audience, bool secure) {
  if (r.status == 204) r.headers.emplace_back("Set-Cookie", SessionCookie(audience, "", 0, secure));
  return r;
}

std::optional<std::int64_t> Context::id(const std::string& name) const {
  auto it = params.find(name);
  if (it == params.end()) return std::nullopt;
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc{} || p != it->second.data() + it->second.size() || v <= 0) {
    return std::nullopt;
  }
  return v;
}

Result<identity::Page> Context::page() const {
  identity::Page p;
  if (auto l = request.query_param("limit")) {
    int v = 0;
    auto [ptr, ec] = std::from_chars(l->data(), l->data() + l->size(), v);
    if (ec != std::errc{} || ptr != l->data() + l->size() || v < 1 || v > 200) {
      return FieldError("limit", "must be an integer from 1 to 200");
    }
    p.limit = v;
  }
  if (auto c = request.query_param("cursor"); c && !c->empty()) p.cursor = *c;
  return p;
}

int StatusOf(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kBadRequest:
      return 400;
    case ErrorKind::kUnauthorized:
      return 401;
    case ErrorKind::kForbidden:
      return 403;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kConflict:
      return 409;
    case ErrorKind::kTooLarge:
      return 413;
    case ErrorKind::kInvalid:
      return 422;
    case ErrorKind::kRateLimited:
      return 429;
    case ErrorKind::kUnavailable:
      return 503;
    case ErrorKind::kInternal:
      return 500;
  }
  return 500;
}

namespace {
Response JsonText(int status, std::string text) {
  Response r;
  r.status = status;
  r.body = std::move(text);
  r.set_header("Content-Type", "application/json; charset=utf-8");
  return r;
}
}  // namespace

Response JsonResponse(int status, const json::value& body) {
  return JsonText(status, ToJson(body));
}

Response JsonResponse(int status, const json::object& body) {
  return JsonText(status, ToJson(body));
}

Response ErrorToResponse(const Error& e) {
  json::object err;
  err["code"] = e.code;
  err["message"] = e.message;
  err["details"] = e.details;
  json::object body;
  body["error"] = std::move(err);
  Response r = JsonResponse(StatusOf(e.kind), body);
  if (auto it = e.details.find("retry_after_seconds");
      it != e.details.end() && it->value().is_int64()) {
    r.set_header("Retry-After", std::to_string(it->value().get_int64()));
  }
  return r;
}

Response Reply(const Result<json::object>& result, int status) {
  if (!result.ok()) return ErrorToResponse(result.error());
  return JsonResponse(status, result.value());
}

Response Reply(Result<std::string>&& json_text) {
  if (!json_text.ok()) return ErrorToResponse(json_text.error());
  return JsonText(200, std::move(json_text).value());
}

Response Reply(const Status& status) {
  if (!status.ok()) return ErrorToResponse(status.error());
  Response r;
  r.status = 204;
  return r;
}

Api::Api(const Config& config, Services services)
    : config_(config),
      services_(services),
      trusted_proxies_(ParseIpRanges(config.server.trusted_proxies).value_or(std::vector<IpRange>{})),
      static_files_(config.server.web_dir) {
  const std::string& log = config_.server.access_log;
  if (log == "stdout") {
    access_log_ = stdout;
  } else if (log != "off") {
    access_log_ = std::fopen(log.c_str(), "a");
    own_access_log_ = access_log_ != nullptr;
    if (!access_log_) spdlog::warn("cannot open access log {}", log);
  }
  RegisterSystemRoutes();
  RegisterIdentityRoutes();
  RegisterOperatorRoutes();
  RegisterCrmRoutes();
  RegisterBillingRoutes();
  RegisterNoticeRoutes();
  RegisterIntegrationRoutes();
  RegisterAttachmentRoutes();
  RegisterMessagingRoutes();
}

Api::~Api() {
  if (own_access_log_) std::fclose(access_log_);
}

BodyRule Api::BodyRuleFor(std::string_view method, std::string_view target) const {
  std::string_view path = target.substr(0, target.find('?'));
  Match m = router_.Find(method, path);
  if (!m.route) return {};
  return {m.route->body_limit, m.route->spool_to ? m.route->spool_to() : std::string(),
          m.route->slow || m.route->raw_body};
}

Response Api::ErrorResponse(int status, std::string code, std::string message) const {
  ErrorKind kind = status == 413 ? ErrorKind::kTooLarge : ErrorKind::kBadRequest;
  Response r = ErrorToResponse(Error::Make(kind, std::move(code), std::move(message)));
  r.status = status;
  r.set_header("X-Request-Id", UniqueId());
  SecurityHeaders(r, false);
  return r;
}

Response Api::Handle(Request& request) {
  auto started = std::chrono::steady_clock::now();
  if (config_.server.trust_proxy) {
    auto peer = ParseIpAddress(request.remote_ip);
    if (peer && InAnyRange(*peer, trusted_proxies_)) {
      std::vector<std::string_view> forwarded;
      for (const auto& [name, value] : request.headers) {
        if (name == "x-forwarded-for") forwarded.emplace_back(value);
      }
      request.remote_ip = ClientAddress(request.remote_ip, forwarded, trusted_proxies_);
      if (auto p = request.header("x-forwarded-proto")) request.secure = *p == "https";
    }
  }
  std::string request_id = NewRequestId(request);
  Context context{request,
                  {},
                  std::nullopt,
                  identity::RequestMeta{request.remote_ip,
                                        std::string(request.header("user-agent").value_or("")),
                                        request_id, services_.clock.now()},
                  {}};
  Context* ctx = &context;
  const Route* route = nullptr;
  Response response;
  try {
    response = Dispatch(request, context, route);
  } catch (const storage::DatabaseUnavailable& e) {
    spdlog::warn("request {}: database unavailable: {}", request_id, e.what());
    response = ErrorToResponse(Error::Make(ErrorKind::kUnavailable, "database_unavailable",
                                           "The database is unavailable; try again shortly."));
    response.set_header("Retry-After", "5");
  } catch (const storage::StatementTimedOut& e) {
    spdlog::warn("request {} {} {}: a statement ran out of time: {}", request_id, request.method,
                 request.target, e.what());
    response = ErrorToResponse(
        Error::Make(ErrorKind::kUnavailable, "statement_timeout",
                    "The request took too long and was stopped; nothing was changed. Narrow it "
                    "(a filter, a shorter period) or try again later."));
  } catch (const std::exception& e) {
    spdlog::error("request {} {} {}: {}", request_id, request.method, request.target, e.what());
    response = ErrorToResponse(Error::Make(ErrorKind::kInternal, "internal_error",
                                           "Something went wrong on our side; the request id "
                                           "identifies it for support."));
  }
  response.set_header("X-Request-Id", request_id);
  // From the injected clock, so a client (and the tests) can tell the service's time.
  response.set_header("Date", FormatHttpDate(context.meta.now));
  SecurityHeaders(response, request.secure);
  if (request.path.starts_with("/api/") && !response.header("cache-control")) {
    response.set_header("Cache-Control", "no-store");
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics_.ObserveRequest(request.method, route ? route->pattern : "unmatched", response.status,
                          seconds);
  if (ctx && ctx->principal && ctx->principal->kind == PrincipalKind::kSupport) {
    services_.identity.RecordSupportRequest(*ctx->principal, request.method, request.path,
                                            response.status, ctx->meta);
  }
  AccessLog(request, route, ctx, response, seconds);
  if (!request.body_file.empty()) {
    std::error_code ec;
    std::filesystem::remove(request.body_file, ec);  // unless the handler kept it
  }
  return response;
}

namespace {

// What a tenant that is not active may not do: everything but sign-in, billing and notices.
Error InactiveTenant(const std::string& state) {
  if (state == "suspended") {
    return Error::Forbidden(
        "tenant_suspended",
        "服务已暂停：服务期已届满且未续费。老板账号可登录续费。The service is suspended: the "
        "term has ended without renewal. The boss can sign in to renew.");
  }
  if (state == "terminated") {
    return Error::Forbidden("tenant_terminated",
                            "协议已终止。The agreement has ended; the boss can still sign in for "
                            "billing, notices and the data export.");
  }
  return Error::Forbidden("tenant_not_active",
                          "服务尚未开通：首笔订单的款项确认后开通。The service opens once the "
                          "payment of the first order is confirmed.");
}

}  // namespace

Response Api::Dispatch(Request& request, Context& context, const Route*& route_out) {
  if (!ParseTarget(request.target, request.path, request.query)) {
    return ErrorToResponse(
        Error::Make(ErrorKind::kBadRequest, "bad_request", "The request target is malformed."));
  }
  Match m = router_.Find(request.method, request.path);
  if (!m.route) {
    if (!m.allowed.empty()) {
      std::string allow;
      for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
      Response r = ErrorToResponse(Error::Make(
          ErrorKind::kBadRequest, "method_not_allowed",
          "This path does not accept " + request.method + "; it accepts " + allow + "."));
      r.status = 405;
      r.set_header("Allow", allow);
      return r;
    }
    if (!request.path.starts_with("/api/") &&
        (request.method == "GET" || request.method == "HEAD")) {
      return ServeStatic(request);
    }
    return ErrorToResponse(
        Error::Make(ErrorKind::kNotFound, "route_not_found",
                    "No API route matches " + request.method + " " + request.path + "."));
  }
  const Route& route = *m.route;
  route_out = &route;
  // Every statement of the request is bounded (uploads run on the slow lane as slow routes do).
  storage::StatementTimeout bound(route.slow || route.raw_body
                                      ? config_.database.slow_statement_timeout_ms
                                      : config_.database.statement_timeout_ms);
  Context* ctx = &context;
  ctx->params = std::move(m.params);
  // A body is read as it was sent: a compressed one would be taken for its packed bytes, and
  // unpacking one is a bomb to bound, so none is accepted.
  if (auto coding = request.header("content-encoding");
      coding && !coding->empty() && *coding != "identity") {
    Response r = ErrorToResponse(Error::Make(ErrorKind::kBadRequest, "unsupported_content_encoding",
                                             "Send the body uncompressed (no Content-Encoding)."));
    r.status = 415;
    return r;
  }

  // Credentials: a bearer token, else the cookie that belongs to the route's audience.
  if (route.access != Access::kPublic) {
    std::optional<std::string> token;
    Credential credential = Credential::kSession;
    if (auto auth = request.header("authorization")) {
      if (auth->size() > 7 && (auth->starts_with("Bearer ") || auth->starts_with("bearer "))) {
        token = std::string(auth->substr(7));
      }
    } else if (auto cookie = request.cookie(SessionCookieName(
                   route.access == Access::kOperator ? SessionAudience::kOperator
                                                     : SessionAudience::kTenant,
                   request.secure))) {
      token = *cookie;
      credential = Credential::kCookie;
    }
    if (!token) {
      return ErrorToResponse(Error::Make(ErrorKind::kUnauthorized, "unauthenticated",
                                         "Sign in first: the request has no session or token."));
    }
    auto principal = services_.identity.Authenticate(*token, credential, ctx->meta);
    if (!principal.ok()) return ErrorToResponse(principal.error());
    Principal p = std::move(principal).value();
    if (credential == Credential::kCookie && Unsafe(request.method)) {
      auto sent = request.header("x-csrf-token");
      if (!sent || !ConstantTimeEqual(*sent, p.csrf_token)) {
        return ErrorToResponse(Error::Forbidden(
            "csrf_failed", "The request lacks the CSRF token of this session; reload the page."));
      }
    }
    bool is_operator = p.kind == PrincipalKind::kOperator;
    switch (route.access) {
      case Access::kOperator:
        if (!is_operator) {
          return ErrorToResponse(Error::Forbidden("operator_only", "This route is for operators."));
        }
        break;
      case Access::kTenantUser:
        if (is_operator) return ErrorToResponse(Error::NotFound());
        break;
      case Access::kTenant:
        if (is_operator) {
          // An operator reaches tenant data only under the boss's grant; without one the route
          // does not exist for them, so nothing about the tenant leaks.
          auto slug = request.header("x-kelu-tenant");
          if (!slug) return ErrorToResponse(Error::NotFound());
          auto support = services_.identity.ResolveSupport(p, *slug, ctx->meta);
          if (!support.ok()) return ErrorToResponse(support.error());
          p = std::move(support).value();
        }
        break;
      case Access::kPublic:
        break;
    }
    if (p.read_only && Unsafe(request.method)) {
      ctx->principal = p;
      return ErrorToResponse(Error::Forbidden(
          p.kind == PrincipalKind::kSupport ? "support_read_only" : "token_read_only",
          p.kind == PrincipalKind::kSupport
              ? "The support grant allows reading only."
              : "This API token may only read; create a write token to change data."));
    }
    if (p.is_tenant() && p.kind == PrincipalKind::kUser && p.must_change_password &&
        !route.allow_pending_password) {
      ctx->principal = p;
      return ErrorToResponse(
          Error::Forbidden("password_change_required",
                           "Change your password before going on (POST /api/v1/me/password)."));
    }
    if (p.is_tenant() && p.tenant_state != "active" && !route.allow_inactive_tenant) {
      ctx->principal = p;
      return ErrorToResponse(InactiveTenant(p.tenant_state));
    }
    ctx->principal = std::move(p);
  }

  // Query values reach SQL as text: none may hold a NUL or another control character, or
  // bytes that are not UTF-8 (PostgreSQL refuses both, SQLite would store them).
  {
    Fields bad(kNoBody);
    for (const auto& [name, value] : request.query) {
      if (HasControlCharacter(value)) {
        bad.Fail(name, "must not contain control characters");
      } else if (!Utf8Length(value)) {
        bad.Fail(name, "must be UTF-8 text");
      }
    }
    if (!bad.ok()) return ErrorToResponse(bad.ToError());
  }
  if (Unsafe(request.method) && request.method != "DELETE" && !route.raw_body) {
    std::string_view b = request.body;
    while (!b.empty() && std::isspace(static_cast<unsigned char>(b.front()))) b.remove_prefix(1);
    if (!b.empty()) {
      auto type = request.header("content-type");
      if (!type || !type->starts_with("application/json")) {
        Response r = ErrorToResponse(Error::Make(ErrorKind::kBadRequest, "unsupported_media_type",
                                                 "Send the body as application/json."));
        r.status = 415;
        return r;
      }
      auto parsed = ParseJsonBody(b);
      if (!parsed) {
        return ErrorToResponse(
            Error::Make(ErrorKind::kBadRequest, "invalid_json",
                        "The request body is not valid JSON, or names a field twice."));
      }
      if (!parsed->is_object()) {
        return ErrorToResponse(Error::Make(ErrorKind::kBadRequest, "invalid_json",
                                           "The request body must be a JSON object."));
      }
      if (auto bad = FieldsWithControlCharacters(*parsed); !bad.empty()) {
        Fields f(kNoBody);
        for (const auto& path : bad) f.Fail(path, "must not contain control characters");
        return ErrorToResponse(f.ToError());
      }
      ctx->body = std::move(parsed->get_object());
    }
  }
  return route.handler(*ctx);
}

Response Api::ServeStatic(const Request& request) const {
  Response r;
  if (const auto* file = static_files_.Find(request.path)) {
    r.body = file->body;
    r.set_header("Content-Type", file->content_type);
    r.set_header("Cache-Control",
                 file->immutable ? "public, max-age=31536000, immutable" : "public, max-age=300");
    return r;
  }
  if (!StaticFiles::IsAppRoute(request.path, request.target)) {
    return ErrorToResponse(
        Error::Make(ErrorKind::kNotFound, "file_not_found", "There is no such file."));
  }
  // App routes fall back to the single page.
  const auto* index = static_files_.Index();
  r.body = index ? index->body : std::string(kPlaceholderPage);
  r.set_header("Content-Type", "text/html; charset=utf-8");
  r.set_header("Cache-Control", "no-cache");
  return r;
}

void Api::AccessLog(const Request& request, const Route* route, const Context* ctx,
                    const Response& response, double seconds) {
  if (!access_log_) return;
  json::object line;
  line["ts"] = FormatRfc3339(services_.clock.now(), Zone::Shanghai());
  line["method"] = request.method;
  line["path"] = request.path;
  line["route"] = route ? route->pattern : "";
  line["status"] = response.status;
  line["latency_ms"] = std::round(seconds * 1e6) / 1e3;
  line["ip"] = request.remote_ip;
  line["request_id"] = std::string(response.header("x-request-id").value_or(""));
  if (ctx && ctx->principal) {
    const auto& p = *ctx->principal;
    line["tenant"] = p.tenant_id ? json::value(p.tenant_id) : json::value(nullptr);
    line["user"] = p.user_id ? json::value(p.user_id) : json::value(nullptr);
    if (p.operator_id) line["operator"] = p.operator_id;
  } else {
    line["tenant"] = nullptr;
    line["user"] = nullptr;
  }
  std::string text = ToJson(line);
  text += '\n';
  std::lock_guard lock(log_mutex_);
  std::fwrite(text.data(), 1, text.size(), access_log_);
  std::fflush(access_log_);
}

}  // namespace kelu::http
