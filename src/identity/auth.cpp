// IdentityService: sign-in, sessions, tokens, passwords and set-up.
#include <fmt/format.h>

#include <charconv>

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

namespace internal {

bool ParseToken(std::string_view token, ParsedToken& out) {
  if (token.size() < 8 || token[0] != 'k' || token[2] != '_') return false;
  out.kind = token[1];
  std::string_view rest = token.substr(3);
  auto read_id = [&rest](std::int64_t& id) {
    auto us = rest.find('_');
    if (us == std::string_view::npos) return false;
    auto [p, ec] = std::from_chars(rest.data(), rest.data() + us, id);
    if (ec != std::errc{} || p != rest.data() + us || id <= 0) return false;
    rest.remove_prefix(us + 1);
    return true;
  };
  switch (out.kind) {
    case 's':
    case 'p':
    case 'r':
      if (!read_id(out.tenant_id) || !read_id(out.id)) return false;
      break;
    case 'o':
      if (!read_id(out.id)) return false;
      break;
    default:
      return false;
  }
  if (rest.size() < 20) return false;
  out.secret = std::string(rest);
  return true;
}

Error Forbidden() { return Error::Forbidden("forbidden", "Your role does not allow this action."); }

std::int64_t RevokeAllOf(Connection& c, std::int64_t tenant_id, std::int64_t user_id,
                         Timestamp now) {
  std::int64_t n = c.Exec(
      "UPDATE user_sessions SET revoked_at = ? WHERE tenant_id = ? AND user_id = ? AND "
      "revoked_at IS NULL",
      {V(ToMicros(now)), V(tenant_id), V(user_id)});
  n += c.Exec(
      "UPDATE api_tokens SET revoked_at = ? WHERE tenant_id = ? AND user_id = ? AND "
      "revoked_at IS NULL",
      {V(ToMicros(now)), V(tenant_id), V(user_id)});
  return n;
}

std::string UserDelayKey(std::int64_t tenant_id, std::string_view login) {
  return fmt::format("u:{}:{}", tenant_id, login);
}

std::string OperatorDelayKey(std::string_view email) { return "o:" + std::string(email); }

std::optional<Row> ReadUser(Connection& c, std::int64_t tenant_id, std::int64_t user_id) {
  return c.QueryOne(
      fmt::format("SELECT {} FROM users WHERE tenant_id = ? AND user_id = ?", kUserColumns),
      {V(tenant_id), V(user_id)});
}

Error Delayed(std::int64_t seconds, bool operator_account) {
  json::object d;
  d["retry_after_seconds"] = seconds;
  return Error::Make(ErrorKind::kRateLimited, "too_many_attempts",
                     operator_account
                         ? fmt::format("Too many sign-in attempts for this account: try again in "
                                       "{} seconds.",
                                       seconds)
                         : fmt::format("Too many sign-in attempts for this account: try again in "
                                       "{} seconds, reset the password by the emailed link (POST "
                                       "/api/v1/auth/recover), or ask an administrator to reset "
                                       "it.",
                                       seconds),
                     std::move(d));
}

}  // namespace internal

namespace {

Error InvalidCredentials() {
  return Error::Make(ErrorKind::kUnauthorized, "invalid_credentials",
                     "The login or password is wrong.");
}

Error Unauthenticated() {
  return Error::Make(ErrorKind::kUnauthorized, "unauthenticated",
                     "Sign in first: the request has no valid session or token.");
}

}  // namespace

IdentityService::IdentityService(storage::Database& db, const SecurityConfig& config, Zone zone)
    : db_(db),
      config_(config),
      policy_(PolicyNamed(config.password_policy)),
      zone_(std::move(zone)),
      ip_limiter_(config.ip_login_attempts_per_minute, std::chrono::seconds(60)),
      delays_(config.login_max_failures, std::chrono::seconds(config.login_delay_seconds),
              std::chrono::minutes(config.lockout_minutes)),
      dummy_hash_(HashPassword(RandomToken(12), cost())) {}

json::value IdentityService::OptTime(const Row& r, std::size_t i) const {
  if (r.is_null(i)) return nullptr;
  return json::value(FormatMicros(r.integer(i)));
}

json::object IdentityService::UserView(const Row& r) const {
  json::object u;
  u["id"] = r.integer(kUId);
  u["login"] = r.text(kULogin);
  u["name"] = r.text(kUName);
  u["email"] = r.text(kUEmail);
  u["mobile"] = r.text(kUMobile);
  u["role"] = r.text(kURole);
  u["department_id"] = r.is_null(kUDept) ? json::value(nullptr) : json::value(r.integer(kUDept));
  u["status"] = r.text(kUStatus);
  u["must_change_password"] = r.boolean(kUMustChange);
  u["mfa_enabled"] = !r.is_null(kUMfaEnabled);
  u["password_changed_at"] = FormatMicros(r.integer(kUPwChanged));
  u["created_at"] = FormatMicros(r.integer(kUCreated));
  u["updated_at"] = FormatMicros(r.integer(kUUpdated));
  return u;
}

Result<LoginResult> IdentityService::IssueUserSession(Connection& c, const Row& user,
                                                      const RequestMeta& meta) {
  std::int64_t tenant_id = user.integer(kUTenant);
  std::int64_t session_id = c.NextId();
  std::string secret = RandomToken();
  std::string csrf = RandomToken(24);
  Timestamp expires = meta.now + std::chrono::hours(config_.session_absolute_hours);
  c.Exec(
      "INSERT INTO user_sessions (tenant_id, session_id, user_id, token_hash, csrf_token, "
      "created_at, last_seen_at, expires_at, revoked_at, ip, user_agent) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
      {V(tenant_id), V(session_id), V(user.integer(kUId)), V(Sha256Hex(secret)), V(csrf),
       V(ToMicros(meta.now)), V(ToMicros(meta.now)), V(ToMicros(expires)), V(meta.ip),
       V(meta.user_agent)});
  LoginResult out;
  out.token = fmt::format("ks_{}_{}_{}", tenant_id, session_id, secret);
  out.csrf_token = csrf;
  out.expires_at = expires;
  out.view["token"] = out.token;
  out.view["csrf_token"] = csrf;
  out.view["expires_at"] = Format(expires);
  out.view["user"] = UserView(user);
  return out;
}

LoginResult IdentityService::IssueOperatorSession(Connection& c, const Row& op,
                                                  const RequestMeta& meta) {
  std::int64_t session_id = c.NextId();
  std::string secret = RandomToken();
  std::string csrf = RandomToken(24);
  Timestamp expires = meta.now + std::chrono::hours(config_.session_absolute_hours);
  c.Exec(
      "INSERT INTO operator_sessions (session_id, operator_id, token_hash, csrf_token, "
      "created_at, last_seen_at, expires_at, revoked_at, ip, user_agent) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
      {V(session_id), V(op.integer(kOId)), V(Sha256Hex(secret)), V(csrf), V(ToMicros(meta.now)),
       V(ToMicros(meta.now)), V(ToMicros(expires)), V(meta.ip), V(meta.user_agent)});
  LoginResult out;
  out.token = fmt::format("ko_{}_{}", session_id, secret);
  out.csrf_token = csrf;
  out.expires_at = expires;
  out.view["token"] = out.token;
  out.view["csrf_token"] = csrf;
  out.view["expires_at"] = Format(expires);
  json::object o;
  o["id"] = op.integer(kOId);
  o["name"] = op.text(kOName);
  o["email"] = op.text(kOEmail);
  out.view["operator"] = std::move(o);
  return out;
}

void IdentityService::CompleteUserView(LoginResult& out, const Row& user, std::string_view slug,
                                       std::string_view state, Timestamp now) const {
  bool rotate = policy_.rotation_days > 0 && now - FromMicros(user.integer(kUPwChanged)) >
                                                 std::chrono::days(policy_.rotation_days);
  out.view["must_change_password"] = user.boolean(kUMustChange) || rotate;
  json::object t;
  t["id"] = user.integer(kUTenant);
  t["slug"] = std::string(slug);
  t["state"] = std::string(state);
  out.view["tenant"] = std::move(t);
}

Status IdentityService::ThrottleAddress(const RequestMeta& meta) {
  if (auto wait = ip_limiter_.Attempt("ip:" + meta.ip, meta.now); wait > 0) {
    json::object d;
    d["retry_after_seconds"] = wait;
    return Error::Make(ErrorKind::kRateLimited, "too_many_attempts",
                       "Too many sign-in attempts from this address; wait a minute.", std::move(d));
  }
  return OkStatus();
}

Result<LoginResult> IdentityService::LoginUser(std::string_view slug, std::string_view login,
                                               std::string_view password, const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(ThrottleAddress(meta));
  auto tenant = db_.Read([&](Connection& c) {
    return c.QueryOne("SELECT tenant_id, state, mfa_required FROM tenants WHERE slug = ?",
                      {V(slug)});
  });
  // A slug that names no tenant is slowed down like any login.
  const std::string delay_key = tenant ? internal::UserDelayKey(tenant->integer(0), login)
                                       : fmt::format("s:{}:{}", slug, login);
  std::optional<Row> user;
  if (tenant) {
    user = db_.Read([&](Connection& c) {
      return c.QueryOne(
          fmt::format("SELECT {} FROM users WHERE tenant_id = ? AND login = ?", kUserColumns),
          {V(tenant->integer(0)), V(login)});
    });
  }
  std::int64_t delay = delays_.Wait(delay_key, meta.now);
  // Spend the same time whether or not the account exists (and, while a delay runs, do not
  // look at the password at all).
  bool password_ok =
      delay == 0 && VerifyPassword(user ? user->text(kUHash) : dummy_hash_, password);
  if (!tenant) {
    // No tenant to record it in: the operator's audit log keeps it, which costs the same write
    // as a tenant's record of an unknown login.
    db_.Write([&](Connection& c) {
         AuditEntry e{"auth.login_unknown_tenant", "tenant", std::string(slug), {}, {}};
         e.after["login"] = std::string(login);
         RecordOperatorAudit(c, 0, std::string(login), meta, e, 0);
         return OkStatus();
       })
        .ok();  // the answer is the same whether or not the record was written
    if (delay > 0) return Delayed(delay);
    delays_.Failed(delay_key, meta.now);
    return InvalidCredentials();
  }

  std::int64_t tenant_id = tenant->integer(0);
  auto record = [&](Connection& c, const char* outcome, std::string action) {
    std::optional<std::int64_t> uid;
    if (user) uid = user->integer(kUId);
    c.Exec(
        "INSERT INTO login_history (tenant_id, login_id, user_id, login, at, ip, user_agent, "
        "outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {V(tenant_id), V(c.NextId()), V(uid), V(login), V(ToMicros(meta.now)), V(meta.ip),
         V(meta.user_agent), V(outcome)});
    AuditEntry e{
        std::move(action), "user", uid ? std::to_string(*uid) : std::string(login), {}, {}};
    e.after["outcome"] = outcome;
    RecordAnonymousAudit(c, tenant_id, std::string(login), meta, e);
  };

  // Failures are recorded too, so the transaction commits whatever the outcome; the
  // answer is decided from the outcome afterwards.
  enum class Outcome { kSuccess, kInvalid, kDelayed, kDisabled, kSecondStep };
  struct Decision {
    Outcome outcome = Outcome::kInvalid;
    std::optional<LoginResult> session;
  };
  // Every failure is one transaction writing the same two records, known account or not.
  auto decided = db_.Write([&](Connection& c) -> Result<Decision> {
    Decision d;
    if (delay > 0) {
      record(c, "delayed", "auth.login_failed");
      d.outcome = Outcome::kDelayed;
      return d;
    }
    if (!user) {
      record(c, "unknown_user", "auth.login_failed");
      return d;
    }
    // Re-read inside the transaction: the account may have changed since.
    auto fresh = ReadUser(c, tenant_id, user->integer(kUId));
    if (!fresh) {
      record(c, "unknown_user", "auth.login_failed");
      return d;
    }
    user = fresh;
    if (!password_ok) {
      record(c, "bad_password", "auth.login_failed");
      return d;
    }
    if (user->text(kUStatus) != "active") {
      record(c, "disabled", "auth.login_failed");
      d.outcome = Outcome::kDisabled;
      return d;
    }
    c.Exec(
        "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE tenant_id = ? AND "
        "user_id = ?",
        {V(tenant_id), V(user->integer(kUId))});
    // A second step when the user has a factor, or must enrol one because the tenant wants it.
    auto factor = c.QueryOne(
        "SELECT mfa_enabled_at FROM users WHERE tenant_id = ? AND user_id = ?",
        {V(tenant_id), V(user->integer(kUId))});
    bool enrolled = factor && !factor->is_null(0);
    if (enrolled || tenant->boolean(2)) {
      record(c, "mfa_pending", "auth.login_password_ok");
      auto challenge =
          MfaChallenge(c, false, tenant_id, user->integer(kUId),
                       fmt::format("{}@{}", user->text(kULogin), slug),
                       user->integer(kUPwChanged), !enrolled, meta);
      if (!challenge.ok()) return std::move(challenge).error();
      d.outcome = Outcome::kSecondStep;
      d.session = std::move(challenge).value();
      return d;
    }
    record(c, "success", "auth.login");
    auto session = IssueUserSession(c, *user, meta);
    if (!session.ok()) return std::move(session).error();
    d.outcome = Outcome::kSuccess;
    d.session = std::move(session).value();
    return d;
  });
  if (!decided.ok()) return std::move(decided).error();
  switch (decided->outcome) {
    case Outcome::kSuccess: {
      delays_.Forget(delay_key);
      LoginResult out = std::move(*decided->session);
      CompleteUserView(out, *user, slug, tenant->text(1), meta.now);
      return out;
    }
    case Outcome::kSecondStep:
      // The account's delays are forgotten only once the second step passes too.
      return std::move(*decided->session);
    case Outcome::kDelayed:
      return Delayed(delay);
    case Outcome::kDisabled:
      return Error::Forbidden("account_disabled",
                              "This account is disabled; ask your administrator.");
    case Outcome::kInvalid:
      break;
  }
  delays_.Failed(delay_key, meta.now);
  return InvalidCredentials();
}

Result<LoginResult> IdentityService::LoginOperator(std::string_view email,
                                                   std::string_view password,
                                                   const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(ThrottleAddress(meta));
  auto op = db_.Read([&](Connection& c) {
    return c.QueryOne(
        fmt::format("SELECT {} FROM operators WHERE email = ?", kOperatorColumns), {V(email)});
  });
  const std::string delay_key = OperatorDelayKey(email);
  std::int64_t delay = delays_.Wait(delay_key, meta.now);
  bool password_ok = delay == 0 && VerifyPassword(op ? op->text(kOHash) : dummy_hash_, password);
  struct Decision {
    int outcome = 0;  // 0 invalid, 1 second step, 2 delayed
    LoginResult challenge;
  };
  auto decided = db_.Write([&](Connection& c) -> Result<Decision> {
    Decision d;
    AuditEntry e{"operator.login_failed", "operator", std::string(email), {}, {}};
    if (delay > 0) {
      e.after["outcome"] = "delayed";
      d.outcome = 2;
    }
    if (!op) {
      RecordOperatorAudit(c, 0, std::string(email), meta, e, 0);
      return d;
    }
    std::int64_t id = op->integer(kOId);
    // A failure writes only the audit entry: the same work as an unknown email.
    if (delay == 0 && password_ok && op->text(kOStatus) == "active") {
      c.Exec("UPDATE operators SET failed_logins = 0, locked_until = NULL WHERE operator_id = ?",
             {V(id)});
      // Operators always sign in in two steps; one without a factor enrols one now.
      auto challenge = MfaChallenge(c, true, 0, id, op->text(kOEmail),
                                    op->integer(kOPwChanged), op->is_null(kOMfaEnabled), meta);
      if (!challenge.ok()) return std::move(challenge).error();
      d.challenge = std::move(challenge).value();
      d.outcome = 1;
      e.action = "operator.login_password_ok";
    }
    RecordOperatorAudit(c, id, op->text(kOName), meta, e, 0);
    return d;
  });
  if (!decided.ok()) return std::move(decided).error();
  if (decided->outcome == 1) return std::move(decided->challenge);
  if (decided->outcome == 2) return Delayed(delay, true);
  delays_.Failed(delay_key, meta.now);
  return InvalidCredentials();
}

std::optional<IdentityService::CheckedCredential> IdentityService::RecentlyChecked(
    std::string_view token) {
  if (config_.credential_cache_ms <= 0) return std::nullopt;
  std::lock_guard lock(checked_mutex_);
  auto it = checked_.find(std::string(token));
  if (it == checked_.end()) return std::nullopt;
  auto age = std::chrono::steady_clock::now() - it->second.read_at;
  if (it->second.writes != db_.write_count() ||
      age > std::chrono::milliseconds(config_.credential_cache_ms)) {
    checked_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void IdentityService::RememberChecked(std::string_view token, CheckedCredential checked) {
  if (config_.credential_cache_ms <= 0 || checked.writes != db_.write_count()) return;
  std::lock_guard lock(checked_mutex_);
  if (checked_.size() >= 4096) checked_.clear();  // bounded; entries live a second anyway
  checked_.insert_or_assign(std::string(token), std::move(checked));
}

Result<Principal> IdentityService::Authenticate(std::string_view token, Credential credential,
                                                const RequestMeta& meta) {
  ParsedToken t;
  // An emailed link's token (kr_) is no credential.
  if (!ParseToken(token, t) || t.kind == 'r') return Unauthenticated();
  std::int64_t now = ToMicros(meta.now);
  Principal p;
  p.credential = credential;
  // The count is taken before reading, so a write that ends meanwhile makes the copy stale.
  std::uint64_t writes = db_.write_count();
  auto recent = RecentlyChecked(token);
  if (t.kind == 'o') {
    auto row = recent ? std::optional<Row>(recent->credential) : db_.Read([&](Connection& c) {
      return c.QueryOne(
          "SELECT s.token_hash, s.csrf_token, s.last_seen_at, s.expires_at, s.revoked_at, "
          "o.operator_id, o.name, o.status, o.email FROM operator_sessions s "
          "JOIN operators o ON o.operator_id = s.operator_id WHERE s.session_id = ?",
          {V(t.id)});
    });
    if (!row || !ConstantTimeEqual(row->text(0), Sha256Hex(t.secret)) || !row->is_null(4) ||
        row->text(7) != "active") {
      return Unauthenticated();
    }
    if (row->integer(3) <= now ||
        now - row->integer(2) > std::int64_t{config_.session_idle_minutes} * 60'000'000) {
      return Error::Make(ErrorKind::kUnauthorized, "session_expired",
                         "The session has expired; sign in again.");
    }
    if (now - row->integer(2) > 60'000'000) {
      db_.Write([&](Connection& c) {
           c.Exec("UPDATE operator_sessions SET last_seen_at = ? WHERE session_id = ?",
                  {V(now), V(t.id)});
           return OkStatus();
         })
          .ok();
    } else if (!recent) {
      RememberChecked(token, {*row, std::nullopt, writes, std::chrono::steady_clock::now()});
    }
    p.kind = PrincipalKind::kOperator;
    p.operator_id = row->integer(5);
    p.name = row->text(6);
    p.login = row->text(8);
    p.session_id = t.id;
    p.csrf_token = row->text(1);
    return p;
  }

  // Tenant credentials: a session or a personal API token.
  std::optional<Row> cred =
      recent ? std::optional<Row>(recent->credential) : db_.Read([&](Connection& c) {
        if (t.kind == 's') {
          return c.QueryOne(
              "SELECT token_hash, csrf_token, last_seen_at, expires_at, revoked_at, user_id, "
              "'write', coalesce(proved_at, created_at) FROM user_sessions WHERE tenant_id = ? "
              "AND session_id = ?",
              {V(t.tenant_id), V(t.id)});
        }
        return c.QueryOne(
            "SELECT token_hash, '', coalesce(last_used_at, 0), coalesce(expires_at, ?), "
            "revoked_at, user_id, scope, NULL FROM api_tokens WHERE tenant_id = ? AND "
            "token_id = ?",
            {V(INT64_MAX), V(t.tenant_id), V(t.id)});
      });
  if (!cred || !ConstantTimeEqual(cred->text(0), Sha256Hex(t.secret)) || !cred->is_null(4)) {
    return Unauthenticated();
  }
  bool is_session = t.kind == 's';
  if (cred->integer(3) <= now ||
      (is_session &&
       now - cred->integer(2) > std::int64_t{config_.session_idle_minutes} * 60'000'000)) {
    return Error::Make(
        ErrorKind::kUnauthorized, is_session ? "session_expired" : "token_expired",
        is_session ? "The session has expired; sign in again." : "The API token has expired.");
  }
  auto user = recent ? recent->user : ActiveUser(t.tenant_id, cred->integer(5));
  if (!user) return Unauthenticated();
  bool touch = now - cred->integer(2) > 60'000'000;
  if (!touch && !recent) {
    RememberChecked(token, {*cred, user, writes, std::chrono::steady_clock::now()});
  }
  if (touch) {
    db_.Write([&](Connection& c) {
         if (is_session) {
           c.Exec(
               "UPDATE user_sessions SET last_seen_at = ? WHERE tenant_id = ? AND session_id = ?",
               {V(now), V(t.tenant_id), V(t.id)});
         } else {
           c.Exec("UPDATE api_tokens SET last_used_at = ? WHERE tenant_id = ? AND token_id = ?",
                  {V(now), V(t.tenant_id), V(t.id)});
         }
         return OkStatus();
       })
        .ok();
  }
  p = PrincipalOf(*user);
  p.credential = is_session ? credential : Credential::kApiToken;
  p.session_id = t.id;
  p.read_only = cred->text(6) == "read";
  p.csrf_token = cred->text(1);
  if (is_session && !cred->is_null(7)) p.proved_at = FromMicros(cred->integer(7));
  p.must_change_password =
      p.must_change_password ||
      (policy_.rotation_days > 0 && meta.now - FromMicros(user->integer(kUPwChanged)) >
                                        std::chrono::days(policy_.rotation_days));
  return p;
}

std::optional<Row> IdentityService::ActiveUser(std::int64_t tenant_id, std::int64_t user_id) {
  auto user = db_.Read([&](Connection& c) {
    return c.QueryOne(
        fmt::format("SELECT {} , (SELECT slug FROM tenants WHERE tenant_id = users.tenant_id), "
                    "(SELECT state FROM tenants WHERE tenant_id = users.tenant_id) "
                    "FROM users WHERE tenant_id = ? AND user_id = ?",
                    kUserColumns),
        {V(tenant_id), V(user_id)});
  });
  if (!user || user->text(kUStatus) != "active") return std::nullopt;
  return user;
}

Principal IdentityService::PrincipalOf(const Row& user) {
  Principal p;
  p.kind = PrincipalKind::kUser;
  p.tenant_id = user.integer(kUTenant);
  p.tenant_slug = user.text(kUTenant + 1);
  p.tenant_state = user.text(kUTenant + 2);
  p.user_id = user.integer(kUId);
  p.name = user.text(kUName);
  p.login = user.text(kULogin);
  p.role = ParseRole(user.text(kURole)).value_or(Role::kMember);
  p.department_id = user.opt_integer(kUDept);
  p.must_change_password = user.boolean(kUMustChange);
  return p;
}

Result<Principal> IdentityService::UserPrincipal(std::int64_t tenant_id, std::int64_t user_id) {
  auto user = ActiveUser(tenant_id, user_id);
  if (!user) return Error::NotFound("user");
  return PrincipalOf(*user);
}

Result<Principal> IdentityService::ResolveSupport(const Principal& op, std::string_view slug,
                                                  const RequestMeta& meta) {
  auto row = db_.Read([&](Connection& c) {
    return c.QueryOne(
        "SELECT t.tenant_id, t.state, g.grant_id, g.access FROM tenants t "
        "JOIN support_grants g ON g.tenant_id = t.tenant_id "
        "WHERE t.slug = ? AND g.revoked_at IS NULL AND g.expires_at > ? "
        "ORDER BY g.expires_at DESC LIMIT 1",
        {V(slug), V(ToMicros(meta.now))});
  });
  if (!row) return Error::NotFound();
  Principal p = op;
  p.kind = PrincipalKind::kSupport;
  p.tenant_id = row->integer(0);
  p.tenant_slug = std::string(slug);
  p.tenant_state = row->text(1);
  p.grant_id = row->integer(2);
  p.role = Role::kAdmin;
  p.read_only = row->text(3) != "write";
  return p;
}

Status IdentityService::Logout(const Principal& who, const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Status {
    if (who.kind == PrincipalKind::kOperator) {
      c.Exec("UPDATE operator_sessions SET revoked_at = ? WHERE session_id = ?",
             {V(ToMicros(meta.now)), V(who.session_id)});
      RecordAudit(c, who, meta,
                  {"operator.logout", "operator", std::to_string(who.operator_id), {}, {}});
      return OkStatus();
    }
    if (who.credential == Credential::kApiToken) {
      return Error::Make(ErrorKind::kBadRequest, "not_a_session",
                         "An API token is not a session; revoke it instead.");
    }
    c.Exec("UPDATE user_sessions SET revoked_at = ? WHERE tenant_id = ? AND session_id = ?",
           {V(ToMicros(meta.now)), V(who.tenant_id), V(who.session_id)});
    RecordAudit(c, who, meta, {"auth.logout", "user", std::to_string(who.user_id), {}, {}});
    return OkStatus();
  });
}

Status IdentityService::LogoutEverywhere(const Principal& who, const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Status {
    if (who.kind == PrincipalKind::kOperator) {
      c.Exec(
          "UPDATE operator_sessions SET revoked_at = ? WHERE operator_id = ? AND "
          "revoked_at IS NULL",
          {V(ToMicros(meta.now)), V(who.operator_id)});
      RecordAudit(
          c, who, meta,
          {"operator.logout_everywhere", "operator", std::to_string(who.operator_id), {}, {}});
      return OkStatus();
    }
    std::int64_t n = RevokeAllOf(c, who.tenant_id, who.user_id, meta.now);
    AuditEntry e{"auth.logout_everywhere", "user", std::to_string(who.user_id), {}, {}};
    e.after["revoked"] = n;
    RecordAudit(c, who, meta, e);
    return OkStatus();
  });
}

Status IdentityService::ChangePassword(const Principal& who, std::string_view current,
                                       std::string_view next, const RequestMeta& meta) {
  auto row = db_.Read([&](Connection& c) {
    return c.QueryOne("SELECT password_hash FROM users WHERE tenant_id = ? AND user_id = ?",
                      {V(who.tenant_id), V(who.user_id)});
  });
  if (!row) return Error::NotFound("user");
  // Guessing the password through a stolen session is slowed like guessing it at sign-in.
  const std::string delay_key = internal::UserDelayKey(who.tenant_id, who.login);
  if (auto wait = delays_.Wait(delay_key, meta.now); wait > 0) return Delayed(wait);
  if (!VerifyPassword(row->text(0), current)) {
    delays_.Failed(delay_key, meta.now);
    return FieldError("current_password", "is wrong");
  }
  KELU_RETURN_IF_ERROR(CheckPassword(policy_, next, who.login, {who.tenant_slug}));
  if (next == current) return FieldError("new_password", "must differ from the current password");
  KELU_RETURN_IF_ERROR(CheckPasswordHistory(who.tenant_id, who.user_id, next));
  std::string hash = HashPassword(next, cost());
  return db_.Write([&](Connection& c) -> Status {
    StorePassword(c, who.tenant_id, who.user_id, row->text(0), hash, meta.now);
    // Other sessions end: whoever else knew the old password is signed out.
    c.Exec(
        "UPDATE user_sessions SET revoked_at = ? WHERE tenant_id = ? AND user_id = ? AND "
        "session_id <> ? AND revoked_at IS NULL",
        {V(ToMicros(meta.now)), V(who.tenant_id), V(who.user_id), V(who.session_id)});
    RecordAudit(c, who, meta,
                {"user.password_change", "user", std::to_string(who.user_id), {}, {}});
    return OkStatus();
  });
}

Status IdentityService::CheckPasswordHistory(std::int64_t tenant_id, std::int64_t user_id,
                                             std::string_view next) {
  if (policy_.history <= 0) return OkStatus();
  auto old = db_.Read([&](Connection& c) {
    return c.Query(
        "SELECT password_hash FROM password_history WHERE tenant_id = ? AND user_id = ? "
        "ORDER BY history_id DESC LIMIT ?",
        {V(tenant_id), V(user_id), V(policy_.history)});
  });
  for (const auto& r : old.rows) {
    if (VerifyPassword(r.text(0), next)) {
      return FieldError("new_password",
                        fmt::format("must not be one of your last {} passwords", policy_.history));
    }
  }
  return OkStatus();
}

void IdentityService::StorePassword(Connection& c, std::int64_t tenant_id, std::int64_t user_id,
                                    const std::string& old_hash, const std::string& new_hash,
                                    Timestamp now) {
  c.Exec(
      "INSERT INTO password_history (tenant_id, user_id, history_id, password_hash, "
      "created_at) VALUES (?, ?, ?, ?, ?)",
      {V(tenant_id), V(user_id), V(c.NextId()), V(old_hash), V(ToMicros(now))});
  c.Exec(
      "UPDATE users SET password_hash = ?, password_changed_at = ?, must_change_password = 0, "
      "updated_at = ? WHERE tenant_id = ? AND user_id = ?",
      {V(new_hash), V(ToMicros(now)), V(ToMicros(now)), V(tenant_id), V(user_id)});
  VoidRecoveryLinks(c, tenant_id, user_id, now);
}

Status IdentityService::RequireRecentProof(const Principal& who, const RequestMeta& meta) const {
  if (who.proved_at && meta.now - *who.proved_at <= kRecentProof) return OkStatus();
  return Error::Forbidden("reauthentication_required",
                          "Enter your password again to do this (POST "
                          "/api/v1/me/reauthenticate); it counts for 5 minutes.");
}

Result<json::object> IdentityService::Me(const Principal& who) {
  auto row = db_.Read([&](Connection& c) { return ReadUser(c, who.tenant_id, who.user_id); });
  if (!row) return Error::NotFound("user");
  auto tenant = db_.Read([&](Connection& c) {
    return c.QueryOne("SELECT tenant_id, slug, name, state, seats FROM tenants WHERE tenant_id = ?",
                      {V(who.tenant_id)});
  });
  json::object out;
  json::object user = UserView(*row);
  user["must_change_password"] = who.must_change_password;
  out["user"] = std::move(user);
  out["role"] = RoleName(who.role);
  out["data_scope"] = ScopeName(ScopeOf(who));
  out["credential"] = who.credential == Credential::kApiToken ? "api_token" : "session";
  out["read_only"] = who.read_only;
  out["mfa"] = MfaStatus(who);
  // The web app keeps no token: after a reload it learns its session's CSRF token here.
  if (who.credential != Credential::kApiToken) out["csrf_token"] = who.csrf_token;
  json::object t;
  t["id"] = tenant->integer(0);
  t["slug"] = tenant->text(1);
  t["name"] = tenant->text(2);
  t["state"] = tenant->text(3);
  t["seats"] = tenant->integer(4);
  out["tenant"] = std::move(t);
  return out;
}

Result<json::object> IdentityService::MyLoginHistory(const Principal& who, const Page& page) {
  return TenantLoginHistory(who, page, who.user_id);
}

Status IdentityService::EnsureOperator(std::string_view email, std::string_view name,
                                       std::string_view password, Timestamp now) {
  std::string hash = HashPassword(password, cost());
  return db_.Write([&](Connection& c) -> Status {
    auto existing = c.QueryOne("SELECT operator_id FROM operators WHERE email = ?", {V(email)});
    if (existing) {
      c.Exec(
          "UPDATE operators SET password_hash = ?, failed_logins = 0, locked_until = NULL, "
          "password_changed_at = ?, updated_at = ? WHERE operator_id = ?",
          {V(hash), V(ToMicros(now)), V(ToMicros(now)), V(existing->integer(0))});
      return OkStatus();
    }
    c.Exec(
        "INSERT INTO operators (operator_id, email, name, password_hash, status, failed_logins, "
        "locked_until, password_changed_at, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, 'active', 0, NULL, ?, ?, ?)",
        {V(c.NextId()), V(email), V(name), V(hash), V(ToMicros(now)), V(ToMicros(now)),
         V(ToMicros(now))});
    return OkStatus();
  });
}

Result<std::int64_t> IdentityService::EnsureTenant(std::string_view slug, std::string_view name,
                                                   int seats, Timestamp now) {
  return db_.Write([&](Connection& c) -> Result<std::int64_t> {
    if (auto t = c.QueryOne("SELECT tenant_id FROM tenants WHERE slug = ?", {V(slug)})) {
      return t->integer(0);
    }
    std::int64_t id = c.NextId();
    c.Exec(
        "INSERT INTO tenants (tenant_id, slug, name, state, seats, created_at, updated_at) "
        "VALUES (?, ?, ?, 'active', ?, ?, ?)",
        {V(id), V(slug), V(name), V(seats), V(ToMicros(now)), V(ToMicros(now))});
    return id;
  });
}

Result<std::int64_t> IdentityService::EnsureUser(std::int64_t tenant_id, std::string_view login,
                                                 std::string_view name, Role role,
                                                 std::string_view password, Timestamp now) {
  std::string hash = HashPassword(password, cost());
  return db_.Write([&](Connection& c) -> Result<std::int64_t> {
    if (auto u = c.QueryOne("SELECT user_id FROM users WHERE tenant_id = ? AND login = ?",
                            {V(tenant_id), V(login)})) {
      c.Exec(
          "UPDATE users SET password_hash = ?, password_changed_at = ?, failed_logins = 0, "
          "locked_until = NULL, must_change_password = 0, status = 'active', role = ?, "
          "updated_at = ? WHERE tenant_id = ? AND user_id = ?",
          {V(hash), V(ToMicros(now)), V(RoleName(role)), V(ToMicros(now)), V(tenant_id),
           V(u->integer(0))});
      return u->integer(0);
    }
    std::int64_t id = c.NextId();
    c.Exec(
        "INSERT INTO users (tenant_id, user_id, login, name, email, mobile, role, "
        "department_id, status, password_hash, password_changed_at, must_change_password, "
        "failed_logins, locked_until, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, '', '', ?, NULL, 'active', ?, ?, 0, 0, NULL, ?, ?)",
        {V(tenant_id), V(id), V(login), V(name), V(RoleName(role)), V(hash), V(ToMicros(now)),
         V(ToMicros(now)), V(ToMicros(now))});
    return id;
  });
}

std::int64_t IdentityService::PurgeEndedSessions(Timestamp now) {
  std::int64_t cutoff = ToMicros(now - std::chrono::hours(24));
  std::int64_t n = 0;
  db_.Write([&](Connection& c) {
       n = c.Exec("DELETE FROM user_sessions WHERE expires_at < ? OR revoked_at < ?",
                  {V(cutoff), V(cutoff)});
       n += c.Exec("DELETE FROM operator_sessions WHERE expires_at < ? OR revoked_at < ?",
                   {V(cutoff), V(cutoff)});
       return OkStatus();
     })
      .ok();
  return n;
}

}  // namespace kelu::identity
