// Where messages leave Kelu: an SMS gateway takes one message and answers whether the provider
// accepted it, refused it, or could not be reached (try again later). Every message carries our
// own id, and a provider must treat a second request with the same id as the first (answer the
// same, send nothing again): that is what makes retries after a timeout safe.
//
// SMS drivers: "log" (the default: accepts at once and sends nothing; the boss reads what was
// accepted in the SMS outbox) and "http" (a provider's JSON API, each request signed with
// HMAC-SHA256; see docs/sms-gateway.md). Fax drivers below.
#pragma once

#include <memory>
#include <string>

#include "core/config.hpp"
#include "notices/outbox.hpp"

namespace kelu::messaging {

struct OutgoingSms {
  std::string id;           // ours, stable across retries: "kelu-<tenant>-<message>"
  std::string tenant_code;  // lets the provider route replies back ("ext")
  std::string phone;
  std::string content;  // as sent: 【signature】text (and the unsubscribe text)
};

struct GatewayAnswer {
  enum class Outcome { kAccepted, kRefused, kRetry };
  Outcome outcome = Outcome::kRetry;
  std::string provider_id;  // accepted
  std::string code;         // refused or retry: why
  std::string detail;
};

class SmsGateway {
 public:
  virtual ~SmsGateway() = default;
  virtual std::string name() const = 0;
  virtual GatewayAnswer Send(const OutgoingSms& message) = 0;
};

std::unique_ptr<SmsGateway> MakeSmsGateway(const SmsConfig& config);

struct OutgoingFax {
  std::string id;  // ours, stable across retries: "kelu-fax-<tenant>-<fax>"
  std::string number;
  std::string filename;
  std::string pdf;
  int pages = 0;
};

// Fax drivers: "email" (the PDF mailed to NUMBER@fax.email_domain through the SMTP server; the
// server's acceptance counts as sent) and "http" (the provider protocol of docs/sms-gateway.md,
// the PDF in base64).
class FaxGateway {
 public:
  virtual ~FaxGateway() = default;
  virtual std::string name() const = 0;
  virtual GatewayAnswer Send(const OutgoingFax& fax) = 0;
};

std::unique_ptr<FaxGateway> MakeFaxGateway(const FaxConfig& config, notices::Mailer& mailer);

// The id of a message as the provider sees it, and back (nullopt when it is not one of ours).
std::string ExternalId(std::int64_t tenant_id, std::int64_t message_id);
std::optional<std::pair<std::int64_t, std::int64_t>> ParseExternalId(std::string_view id);

// "sha256=<hex>" over "<timestamp>.<body>": how requests to providers are signed and how
// their callbacks must be.
std::string SignRequest(std::string_view secret, std::string_view timestamp, std::string_view body);

}  // namespace kelu::messaging
