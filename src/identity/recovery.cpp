// IdentityService: getting back in by email. A user who forgot the password, or whose sign-in
// is delayed after many wrong guesses, asks for a link; the link sets a new password once.
// Nothing in the answer says whether the account exists.
#include <fmt/format.h>

#include "core/random.hpp"
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

Error InvalidLink() {
  return Error::Make(ErrorKind::kUnauthorized, "recovery_link_invalid",
                     "This link has expired, was already used, or a newer one was sent; ask for "
                     "a new one.");
}

}  // namespace

namespace internal {

void VoidRecoveryLinks(Connection& c, std::int64_t tenant_id, std::int64_t user_id,
                       Timestamp now) {
  c.Exec("UPDATE recovery_links SET used_at = ? WHERE tenant_id = ? AND user_id = ? AND "
         "used_at IS NULL",
         {V(ToMicros(now)), V(tenant_id), V(user_id)});
}

}  // namespace internal

Status IdentityService::SendRecoveryLink(std::string_view slug, std::string_view login,
                                         const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(ThrottleAddress(meta));
  return db_.Write([&](Connection& c) -> Status {
    auto tenant = c.QueryOne("SELECT tenant_id, name FROM tenants WHERE slug = ?", {V(slug)});
    AuditEntry e{"auth.recovery_requested", "user", std::string(login), {}, {}};
    if (!tenant) {
      // Written all the same, so an unknown company costs what a known one does.
      RecordOperatorAudit(c, 0, std::string(login), meta, e, 0);
      return OkStatus();
    }
    std::int64_t tenant_id = tenant->integer(0);
    auto user = c.QueryOne(
        "SELECT user_id, name, email, status FROM users WHERE tenant_id = ? AND login = ?",
        {V(tenant_id), V(login)});
    bool can_send = user && user->text(3) == "active" && !user->text(2).empty();
    if (can_send) {
      auto last = c.QueryOne(
          "SELECT max(created_at) FROM recovery_links WHERE tenant_id = ? AND user_id = ?",
          {V(tenant_id), V(user->integer(0))});
      // One link a minute at most: the form cannot be used to flood someone's mailbox.
      if (last && !last->is_null(0) &&
          meta.now - FromMicros(last->integer(0)) <
              std::chrono::seconds(config_.recovery_link_interval_seconds)) {
        can_send = false;
        e.after["outcome"] = "too_soon";
      }
    } else {
      e.after["outcome"] = user ? "no_email_or_inactive" : "unknown_user";
    }
    if (can_send) {
      std::int64_t user_id = user->integer(0);
      std::int64_t link_id = c.NextId();
      std::string secret = RandomToken();
      Timestamp expires = meta.now + std::chrono::minutes(config_.recovery_link_minutes);
      c.Exec(
          "INSERT INTO recovery_links (tenant_id, link_id, user_id, token_hash, created_at, "
          "expires_at, used_at, ip) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
          {V(tenant_id), V(link_id), V(user_id), V(Sha256Hex(secret)), V(ToMicros(meta.now)),
           V(ToMicros(expires)), V(meta.ip)});
      // The token rides in the fragment: browsers send no fragment to the server or in a
      // Referer, so it stays out of access logs.
      std::string url =
          fmt::format("{}/recover#token=kr_{}_{}_{}", site_url_, tenant_id, link_id, secret);
      notices::Enqueue(
          c,
          {user->text(2),
           "[客录] 重新设置密码 / Reset your password",
           fmt::format(
               "{0}，您好：\n\n有人（希望是您本人）申请重新设置“{1}”客录账号 {2} 的密码。请在 {3} "
               "分钟内打开下面的链接设置新密码，链接只能使用一次：\n\n{4}\n\n如果不是您本人申请，"
               "请忽略本邮件，您的密码不会改变。\n\n---\n\nSomeone (we hope you) asked to reset "
               "the password of Kelu account {2} at {1}. Open the link above within {3} minutes "
               "to set a new one; it works once. If it was not you, ignore this email: your "
               "password stays as it is.\n",
               user->text(1), tenant->text(1), login, config_.recovery_link_minutes, url),
           std::nullopt,
           notices::kOneTimeLinkKind,
           {}},
          meta.now);
      e.entity_id = std::to_string(user_id);
      e.after["outcome"] = "sent";
    }
    RecordAnonymousAudit(c, tenant_id, std::string(login), meta, e);
    return OkStatus();
  });
}

Status IdentityService::CompleteRecovery(std::string_view token, std::string_view new_password,
                                         const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(ThrottleAddress(meta));
  ParsedToken t;
  if (!ParseToken(token, t) || t.kind != 'r') return InvalidLink();
  auto link = db_.Read([&](Connection& c) {
    return c.QueryOne(
        "SELECT token_hash, user_id, expires_at, used_at, created_at FROM recovery_links WHERE "
        "tenant_id = ? AND link_id = ?",
        {V(t.tenant_id), V(t.id)});
  });
  if (!link || !ConstantTimeEqual(link->text(0), Sha256Hex(t.secret)) || !link->is_null(3) ||
      link->integer(2) <= ToMicros(meta.now)) {
    return InvalidLink();
  }
  std::int64_t user_id = link->integer(1);
  auto user = ActiveUser(t.tenant_id, user_id);
  if (!user) return InvalidLink();
  const std::string slug = user->text(kUTenant + 1);
  KELU_RETURN_IF_ERROR(CheckPassword(policy_, new_password, user->text(kULogin), {slug}));
  KELU_RETURN_IF_ERROR(CheckPasswordHistory(t.tenant_id, user_id, new_password));
  std::string hash = HashPassword(new_password, cost());
  auto done = db_.Write([&](Connection& c) -> Status {
    // Spent here, once: a second use of the link (or a race of two) finds it used. Only the
    // newest link of the user counts, so an older one in a forwarded mail is worth nothing.
    if (c.Exec("UPDATE recovery_links SET used_at = ? WHERE tenant_id = ? AND link_id = ? AND "
               "used_at IS NULL AND NOT EXISTS (SELECT 1 FROM recovery_links n WHERE "
               "n.tenant_id = recovery_links.tenant_id AND n.user_id = recovery_links.user_id "
               "AND n.created_at > recovery_links.created_at)",
               {V(ToMicros(meta.now)), V(t.tenant_id), V(t.id)}) != 1) {
      return InvalidLink();
    }
    StorePassword(c, t.tenant_id, user_id, user->text(kUHash), hash, meta.now);
    // Whoever held a session with the old password holds nothing now.
    c.Exec("UPDATE user_sessions SET revoked_at = ? WHERE tenant_id = ? AND user_id = ? AND "
           "revoked_at IS NULL",
           {V(ToMicros(meta.now)), V(t.tenant_id), V(user_id)});
    RecordAnonymousAudit(c, t.tenant_id, user->text(kULogin), meta,
                         {"user.password_recovered", "user", std::to_string(user_id), {}, {}});
    return OkStatus();
  });
  KELU_RETURN_IF_ERROR(done);
  delays_.Forget(UserDelayKey(t.tenant_id, user->text(kULogin)));
  return OkStatus();
}

}  // namespace kelu::identity
