#include "integrations/service.hpp"

#include <fmt/format.h>
#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <array>

#include "core/files.hpp"
#include "core/http_client.hpp"
#include "core/net_address.hpp"
#include "core/random.hpp"
#include "core/validation.hpp"
#include "identity/audit.hpp"
#include "identity/paging.hpp"

namespace kelu::integrations {

using storage::Connection;
using storage::Row;
using storage::V;

namespace {

constexpr const char* kDisclaimer =
    "以下第三方产品与服务仅提供链接，由其各自的提供方负责；客录不对其承担任何责任（服务协议第六"
    "条）。Third-party products are only linked here and are their providers' responsibility; "
    "Kelu owes nothing for them (agreement §6).";
constexpr std::int64_t kLeaseMicros = std::int64_t{60} * 1000000;

// The host of an http(s) URL, or "" when the URL is not one.
std::string HostOf(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return "";
  }
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (rest.starts_with("[")) return std::string(rest.substr(0, rest.find(']') + 1));
  return std::string(rest.substr(0, rest.find(':')));
}

// A host that plainly names a place that is not public: localhost, or an address in any form
// a resolver takes ("127.1", "2130706433", "0x7f.1", "[::1]"). A name is judged where it
// matters, when the delivery connects (Destination::kPublicOnly).
bool PrivateHost(std::string host) {
  for (auto& ch : host) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  while (host.ends_with('.')) host.pop_back();
  if (host == "localhost" || host.ends_with(".localhost")) return true;
  if (auto a = ParseIpAddress(host)) return IsNonPublicAddress(*a);
  in_addr legacy{};
  if (::inet_aton(host.c_str(), &legacy) != 0) {
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &legacy, text, sizeof text);
    return IsNonPublicAddress(*ParseIpAddress(text));
  }
  return host.starts_with('[');  // brackets around something that is not an address
}

}  // namespace

IntegrationService::IntegrationService(storage::Database& db, const Config& config,
                                       const Clock& clock, Zone zone, const SecretBox& secrets)
    : db_(db), config_(config.webhooks), clock_(clock), zone_(std::move(zone)), secrets_(secrets) {}

IntegrationService::~IntegrationService() { Stop(); }

Status IntegrationService::RequireManager(const Principal& who) const {
  if (!who.is_boss_or_admin()) {
    return Error::Forbidden("forbidden", "Only the boss and admins manage webhooks.");
  }
  return OkStatus();
}

// ---- Directory ----------------------------------------------------------------------------

Result<json::object> IntegrationService::Directory() {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    json::array items;
    for (const auto& r : c.Query("SELECT integration_id, name, url, category, description FROM "
                                 "integrations ORDER BY category, name")
                             .rows) {
      items.push_back(json::object{{"id", r.integer(0)},
                                   {"name", r.text(1)},
                                   {"url", r.text(2)},
                                   {"category", r.text(3)},
                                   {"description", r.text(4)}});
    }
    return json::object{{"disclaimer", kDisclaimer}, {"items", std::move(items)}};
  });
}

Result<json::object> IntegrationService::AddLink(const Principal& op, const json::object& body,
                                                 const RequestMeta& meta) {
  Fields f(body);
  f.OnlyKeys({"name", "url", "category", "description"});
  auto name = f.String("name", true, 1, 100);
  auto url = f.String("url", true, 8, 500);
  auto category = f.String("category", false, 0, 60);
  auto description = f.String("description", false, 0, 1000);
  if (url && HostOf(*url).empty()) f.Fail("url", "must be an http(s) address");
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    std::int64_t id = c.NextId();
    c.Exec(
        "INSERT INTO integrations (integration_id, name, url, category, description, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        {V(id), V(*name), V(*url), V(category.value_or("")), V(description.value_or("")),
         V(ToMicros(meta.now)), V(ToMicros(meta.now))});
    json::object view{{"id", id},
                      {"name", *name},
                      {"url", *url},
                      {"category", category.value_or("")},
                      {"description", description.value_or("")}};
    identity::RecordOperatorAudit(c, op.operator_id, op.name, meta,
                                  {"integration.add", "integration", std::to_string(id), {}, view},
                                  0);
    return view;
  });
}

Status IntegrationService::RemoveLink(const Principal& op, std::int64_t id,
                                      const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Status {
    if (c.Exec("DELETE FROM integrations WHERE integration_id = ?", {V(id)}) == 0) {
      return Error::NotFound("integration");
    }
    identity::RecordOperatorAudit(c, op.operator_id, op.name, meta,
                                  {"integration.remove", "integration", std::to_string(id), {}, {}},
                                  0);
    return OkStatus();
  });
}

// ---- Webhooks ------------------------------------------------------------------------------

namespace {

json::object WebhookView(const Row& r, const Zone& zone) {
  // webhook_id, url, events, status, created_at, revoked_at
  return json::object{
      {"id", r.integer(0)},
      {"url", r.text(1)},
      {"events", ParseJson(r.text(2)).value_or(json::array{})},
      {"status", r.text(3)},
      {"created_at", FormatRfc3339(FromMicros(r.integer(4)), zone)},
      {"revoked_at", r.is_null(5) ? json::value(nullptr)
                                  : json::value(FormatRfc3339(FromMicros(r.integer(5)), zone))}};
}

}  // namespace

Result<json::object> IntegrationService::ListWebhooks(const Principal& who) {
  KELU_RETURN_IF_ERROR(RequireManager(who));
  return db_.Read([&](Connection& c) -> Result<json::object> {
    json::array items;
    for (const auto& r : c.Query("SELECT webhook_id, url, events, status, created_at, revoked_at "
                                 "FROM webhooks WHERE tenant_id = ? ORDER BY webhook_id DESC",
                                 {V(who.tenant_id)})
                             .rows) {
      items.push_back(WebhookView(r, zone_));
    }
    json::array events;
    for (const auto& e : identity::WebhookEvents()) events.push_back(json::value(e));
    return json::object{
        {"items", std::move(items)}, {"events", std::move(events)}, {"next_cursor", nullptr}};
  });
}

Result<json::object> IntegrationService::CreateWebhook(const Principal& who,
                                                       const json::object& body,
                                                       const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(RequireManager(who));
  Fields f(body);
  f.OnlyKeys({"url", "events"});
  auto url = f.String("url", true, 8, 500);
  json::array events;
  const auto* ev = body.if_contains("events");
  if (!ev || !ev->is_array() || ev->as_array().empty()) {
    f.Fail("events", "a non-empty list of events, or [\"*\"] for all");
  } else {
    for (const auto& e : ev->as_array()) {
      if (!e.is_string() || (e.as_string() != "*" && !identity::IsWebhookEvent(e.as_string()))) {
        f.Fail("events", "unknown event; see GET /api/v1/webhooks for the list");
        break;
      }
      events.push_back(e);
    }
  }
  if (url) {
    std::string host = HostOf(*url);
    if (host.empty()) {
      f.Fail("url", "must be an http(s) address");
    } else if (!config_.allow_http && !url->starts_with("https://")) {
      // The payload is the tenant's data and the signature's timestamp: never in clear.
      f.Fail("url", "must be an https address");
    } else if (!config_.allow_private_addresses && PrivateHost(host)) {
      f.Fail("url", "must not point at a private or loopback address");
    }
  }
  if (!f.ok()) return f.ToError();
  std::string secret = "whsec_" + RandomToken(24);
  return db_.Write([&](Connection& c) -> Result<json::object> {
    std::int64_t id = c.NextId();
    c.Exec(
        "INSERT INTO webhooks (tenant_id, webhook_id, url, events, secret, status, created_by, "
        "created_at) VALUES (?, ?, ?, ?, ?, 'active', ?, ?)",
        {V(who.tenant_id), V(id), V(*url), V(ToJson(events)), V(secrets_.Seal(secret)), V(who.user_id),
         V(ToMicros(meta.now))});
    identity::RecordAudit(c, who, meta,
                          {"webhook.create",
                           "webhook",
                           std::to_string(id),
                           {},
                           json::object{{"url", *url}, {"events", events}}});
    auto row = c.QueryOne(
        "SELECT webhook_id, url, events, status, created_at, revoked_at FROM webhooks WHERE "
        "tenant_id = ? AND webhook_id = ?",
        {V(who.tenant_id), V(id)});
    json::object view = WebhookView(*row, zone_);
    view["secret"] = secret;  // shown once
    return view;
  });
}

Status IntegrationService::RevokeWebhook(const Principal& who, std::int64_t id,
                                         const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(RequireManager(who));
  return db_.Write([&](Connection& c) -> Status {
    if (c.QueryInt("SELECT count(*) FROM webhooks WHERE tenant_id = ? AND webhook_id = ?",
                   {V(who.tenant_id), V(id)}) == 0) {
      return Error::NotFound("webhook");
    }
    c.Exec(
        "UPDATE webhooks SET status = 'revoked', revoked_at = ? WHERE tenant_id = ? AND "
        "webhook_id = ? AND status = 'active'",
        {V(ToMicros(meta.now)), V(who.tenant_id), V(id)});
    // What was queued for it is not sent any more.
    c.Exec(
        "UPDATE webhook_deliveries SET status = 'cancelled' WHERE tenant_id = ? AND "
        "webhook_id = ? AND status = 'queued'",
        {V(who.tenant_id), V(id)});
    identity::RecordAudit(c, who, meta, {"webhook.revoke", "webhook", std::to_string(id), {}, {}});
    return OkStatus();
  });
}

Result<json::object> IntegrationService::Deliveries(const Principal& who, std::int64_t id,
                                                    const Page& page) {
  KELU_RETURN_IF_ERROR(RequireManager(who));
  return db_.Read([&](Connection& c) -> Result<json::object> {
    if (c.QueryInt("SELECT count(*) FROM webhooks WHERE tenant_id = ? AND webhook_id = ?",
                   {V(who.tenant_id), V(id)}) == 0) {
      return Error::NotFound("webhook");
    }
    auto rows = c.Query(
        "SELECT delivery_id, event, status, attempts, last_status, last_error, sent_at, "
        "created_at FROM webhook_deliveries WHERE tenant_id = ? AND webhook_id = ? AND "
        "delivery_id < ? ORDER BY delivery_id DESC LIMIT ?",
        {V(who.tenant_id), V(id), V(identity::CursorBefore(page)), V(page.limit)});
    return identity::PageOfRows(rows, page, [&](const Row& r) {
      return json::object{{"id", r.integer(0)},
                          {"event", r.text(1)},
                          {"status", r.text(2)},
                          {"attempts", r.integer(3)},
                          {"last_status", OrNull(r.opt_integer(4))},
                          {"last_error", OrNull(r.opt_text(5))},
                          {"sent_at", r.is_null(6) ? json::value(nullptr)
                                                   : json::value(Format(FromMicros(r.integer(6))))},
                          {"created_at", Format(FromMicros(r.integer(7)))}};
    });
  });
}

// ---- Delivery ------------------------------------------------------------------------------

int IntegrationService::DeliverDue() {
  int delivered = 0;
  for (;;) {
    std::int64_t now = ToMicros(clock_.now());
    auto claimed = db_.Write([&](Connection& c) -> Result<std::optional<Row>> {
      auto row = c.QueryOne(
          "SELECT d.tenant_id, d.delivery_id, d.event, d.payload, d.attempts, w.url, w.secret, "
          "w.status FROM webhook_deliveries d JOIN webhooks w ON w.tenant_id = d.tenant_id AND "
          "w.webhook_id = d.webhook_id WHERE (d.status = 'queued' AND d.next_attempt_at <= ?) "
          "OR (d.status = 'sending' AND d.lease_until < ?) ORDER BY d.next_attempt_at LIMIT 1",
          {V(now), V(now)});
      if (!row) return std::optional<Row>{};
      c.Exec(
          "UPDATE webhook_deliveries SET status = 'sending', lease_until = ?, attempts = "
          "attempts + 1 WHERE tenant_id = ? AND delivery_id = ?",
          {V(now + kLeaseMicros), V(row->integer(0)), V(row->integer(1))});
      return std::optional<Row>(std::move(*row));
    });
    if (!claimed.ok() || !*claimed) return delivered;
    const Row& r = **claimed;
    std::int64_t tenant_id = r.integer(0), id = r.integer(1), attempts = r.integer(4) + 1;
    long code = 0;
    std::string error;
    // A secret from before sealing is used as it is until Start seals it.
    std::string stored = r.text(6);
    auto secret = SecretBox::IsSealed(stored) ? secrets_.Open(stored) : std::optional(stored);
    if (r.text(7) != "active") {
      error = "webhook revoked";
    } else if (!secret) {
      error = "the signing secret cannot be opened: security.data_key is not the key it was sealed with";
    } else {
      std::string body = r.text(3);
      std::string timestamp = std::to_string(ToMicros(clock_.now()) / 1000000);
      std::string signature =
          "sha256=" + HmacSha256Hex(*secret, fmt::format("{}.{}", timestamp, body));
      HttpAnswer answer =
          HttpPost(r.text(5),
                   {"Content-Type: application/json", "X-Kelu-Event: " + r.text(2),
                    "X-Kelu-Delivery: " + std::to_string(id), "X-Kelu-Timestamp: " + timestamp,
                    "X-Kelu-Signature: " + signature},
                   body, config_.timeout_seconds,
                   config_.allow_private_addresses ? Destination::kAny
                                                   : Destination::kPublicOnly);
      code = answer.status;
      if (!answer.error.empty()) {
        error = answer.error;
      } else if (code < 200 || code >= 300) {
        error = fmt::format("answered {}", code);
      }
    }
    db_.Write([&](Connection& c) {
      if (error.empty()) {
        c.Exec(
            "UPDATE webhook_deliveries SET status = 'sent', sent_at = ?, last_status = ?, "
            "last_error = NULL, lease_until = NULL WHERE tenant_id = ? AND delivery_id = ?",
            {V(ToMicros(clock_.now())), V(static_cast<std::int64_t>(code)), V(tenant_id), V(id)});
      } else {
        bool give_up = attempts >= config_.max_attempts || error == "webhook revoked";
        std::int64_t backoff = RetryBackoffMicros(config_.retry_base_seconds, attempts, 20);
        c.Exec(
            "UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, last_status = ?, "
            "last_error = ?, lease_until = NULL WHERE tenant_id = ? AND delivery_id = ?",
            {V(give_up ? "failed" : "queued"), V(ToMicros(clock_.now()) + backoff),
             V(static_cast<std::int64_t>(code)), V(error), V(tenant_id), V(id)});
      }
    });
    if (error.empty()) {
      ++delivered;
    } else {
      spdlog::info("webhook delivery {} failed (attempt {}): {}", id, attempts, error);
    }
  }
}

void IntegrationService::Start(std::chrono::milliseconds poll) {
  std::int64_t sealed = 0;
  db_.Write([&](Connection& c) {
       auto clear =
           c.Query("SELECT tenant_id, webhook_id, secret FROM webhooks WHERE secret NOT LIKE 'sb1:%'");
       for (const auto& r : clear.rows) {
         c.Exec("UPDATE webhooks SET secret = ? WHERE tenant_id = ? AND webhook_id = ?",
                {V(secrets_.Seal(r.text(2))), V(r.integer(0)), V(r.integer(1))});
         ++sealed;
       }
       return OkStatus();
     })
      .ok();  // a failure leaves them in clear until the next start; deliveries still open them
  if (sealed > 0) spdlog::info("webhooks: sealed {} signing secrets kept in clear", sealed);
  poller_.Start([this] { DeliverDue(); }, poll,
                [](const std::exception& e) { spdlog::error("webhooks: {}", e.what()); });
}

void IntegrationService::Stop() { poller_.Stop(); }

}  // namespace kelu::integrations
