#include "messaging/gateway.hpp"

#include <fmt/format.h>

#include <charconv>
#include <chrono>

#include "core/http_client.hpp"
#include "core/json.hpp"
#include "core/random.hpp"

namespace kelu::messaging {

std::string ExternalId(std::int64_t tenant_id, std::int64_t message_id) {
  return fmt::format("kelu-{}-{}", tenant_id, message_id);
}

std::optional<std::pair<std::int64_t, std::int64_t>> ParseExternalId(std::string_view id) {
  if (!id.starts_with("kelu-")) return std::nullopt;
  id.remove_prefix(5);
  auto dash = id.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::int64_t tenant = 0, message = 0;
  auto a = std::from_chars(id.data(), id.data() + dash, tenant);
  auto b = std::from_chars(id.data() + dash + 1, id.data() + id.size(), message);
  if (a.ec != std::errc{} || a.ptr != id.data() + dash || b.ec != std::errc{} ||
      b.ptr != id.data() + id.size() || tenant <= 0 || message <= 0) {
    return std::nullopt;
  }
  return std::pair{tenant, message};
}

std::string SignRequest(std::string_view secret, std::string_view timestamp,
                        std::string_view body) {
  std::string message;
  message.reserve(timestamp.size() + 1 + body.size());
  message.append(timestamp).append(".").append(body);
  return "sha256=" + HmacSha256Hex(secret, message);
}

namespace {

class LogGateway final : public SmsGateway {
 public:
  std::string name() const override { return "log"; }
  GatewayAnswer Send(const OutgoingSms& m) override {
    return {GatewayAnswer::Outcome::kAccepted, "log-" + m.id, {}, {}};
  }
};

// The provider answers 200 {"status": "accepted", "provider_id": …} or
// {"status": "refused", "code": …, "message": …}; any other 4xx is a refusal, 429, 5xx and no
// answer at all are tried again.
GatewayAnswer Interpret(const HttpAnswer& answer) {
  GatewayAnswer out;
  if (!answer.error.empty()) {
    out.code = answer.timed_out ? "timeout" : "unreachable";
    out.detail = answer.error;
    return out;
  }
  auto parsed = ParseJson(answer.body);
  const json::object* o = parsed && parsed->is_object() ? &parsed->as_object() : nullptr;
  auto field = [&](const char* key) -> std::string {
    if (!o) return "";
    const auto* v = o->if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : "";
  };
  if (answer.status == 429 || answer.status >= 500) {
    out.code = fmt::format("http_{}", answer.status);
    out.detail = field("message");
    return out;
  }
  std::string status = field("status");
  bool ok = answer.status >= 200 && answer.status < 300;
  if (ok && status == "accepted") {
    out.outcome = GatewayAnswer::Outcome::kAccepted;
    out.provider_id = field("provider_id");
    return out;
  }
  if ((ok && status == "refused") || (answer.status >= 400 && answer.status < 500)) {
    out.outcome = GatewayAnswer::Outcome::kRefused;
    out.code = field("code").empty() ? fmt::format("http_{}", answer.status) : field("code");
    out.detail = field("message");
    return out;
  }
  out.code = "bad_answer";
  out.detail = fmt::format("answered {} {}", answer.status, answer.body.substr(0, 200));
  return out;
}

// POSTs `body` signed with `secret` (real time, not the business clock: the provider checks
// how fresh a request is).
HttpAnswer PostSigned(const std::string& url, const std::string& key_id, const std::string& secret,
                      const std::string& body, int timeout_seconds) {
  std::string timestamp = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  return HttpPost(
      url,
      {"Content-Type: application/json", "X-Kelu-Key: " + key_id, "X-Kelu-Timestamp: " + timestamp,
       "X-Kelu-Signature: " + SignRequest(secret, timestamp, body)},
      body, timeout_seconds);
}

class HttpGateway final : public SmsGateway {
 public:
  explicit HttpGateway(SmsConfig config) : config_(std::move(config)) {}
  std::string name() const override { return "http"; }

  GatewayAnswer Send(const OutgoingSms& m) override {
    std::string body = ToJson(json::object{
        {"id", m.id}, {"to", m.phone}, {"content", m.content}, {"ext", m.tenant_code}});
    return Interpret(PostSigned(config_.http_url, config_.http_key_id, config_.http_secret, body,
                                config_.timeout_seconds));
  }

 private:
  SmsConfig config_;
};

class EmailFaxGateway final : public FaxGateway {
 public:
  EmailFaxGateway(FaxConfig config, notices::Mailer& mailer)
      : config_(std::move(config)), mailer_(mailer) {}
  std::string name() const override { return "email"; }

  GatewayAnswer Send(const OutgoingFax& f) override {
    notices::Mail mail;
    mail.to = f.number + "@" + config_.email_domain;
    mail.subject = f.id;
    mail.body = fmt::format("Fax {} to {}: {} page(s), {}.", f.id, f.number, f.pages, f.filename);
    mail.attachments.push_back({f.filename, "application/pdf", f.pdf});
    auto sent = mailer_.Send(
        mail, f.id, std::chrono::time_point_cast<Microseconds>(std::chrono::system_clock::now()));
    GatewayAnswer out;
    if (sent.ok()) {
      out.outcome = GatewayAnswer::Outcome::kAccepted;
      out.provider_id = *sent;
    } else {
      out.code = sent.error().code;
      out.detail = sent.error().message;
    }
    return out;
  }

 private:
  FaxConfig config_;
  notices::Mailer& mailer_;
};

class HttpFaxGateway final : public FaxGateway {
 public:
  explicit HttpFaxGateway(FaxConfig config) : config_(std::move(config)) {}
  std::string name() const override { return "http"; }

  GatewayAnswer Send(const OutgoingFax& f) override {
    std::string body = ToJson(json::object{{"id", f.id},
                                           {"to", f.number},
                                           {"filename", f.filename},
                                           {"pages", f.pages},
                                           {"pdf_base64", Base64Encode(f.pdf)}});
    return Interpret(PostSigned(config_.http_url, config_.http_key_id, config_.http_secret, body,
                                config_.timeout_seconds));
  }

 private:
  FaxConfig config_;
};

}  // namespace

std::unique_ptr<SmsGateway> MakeSmsGateway(const SmsConfig& config) {
  if (config.gateway == "http") return std::make_unique<HttpGateway>(config);
  return std::make_unique<LogGateway>();
}

std::unique_ptr<FaxGateway> MakeFaxGateway(const FaxConfig& config, notices::Mailer& mailer) {
  if (config.gateway == "http") return std::make_unique<HttpFaxGateway>(config);
  return std::make_unique<EmailFaxGateway>(config, mailer);
}

}  // namespace kelu::messaging
