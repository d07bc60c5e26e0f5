// Start here for SMS: the live preview of a draft, the sensitive-word lists (the operator's for
// every tenant plus each tenant's own), signatures, templates, the opt-out list, sending to one
// contact or a filtered list, and the dispatcher that hands queued messages to the gateway.
//
// A send is a batch: each recipient gets a message rendered from the template, checked against
// the filter, the opt-out list and the per-number limits, and sized in segments. The points of
// the messages that may go are held at submit (BillingService::HoldPoints), charged when the
// gateway accepts a message and given back when the gateway refuses it or it cannot be sent.
// Marketing waits for its window. Thread-safe.
#pragma once

#include <memory>
#include <mutex>

#include "billing/service.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/json.hpp"
#include "core/poller.hpp"
#include "crm/service.hpp"
#include "identity/service.hpp"
#include "messaging/gateway.hpp"
#include "messaging/text.hpp"
#include "storage/database.hpp"

namespace kelu::messaging {

using identity::Page;
using identity::Principal;
using identity::RequestMeta;

class MessagingService {
 public:
  MessagingService(storage::Database& db, billing::BillingService& billing, crm::CrmService& crm,
                   SmsGateway& gateway, const Config& config, const Clock& clock, Zone zone);
  ~MessagingService();

  // {text, signature?, recipients?, type: notification|marketing} → size, points and the
  // sensitive words found (a message with any is refused before any charge).
  Result<json::object> Preview(const Principal& who, const json::object& body);
  Result<json::object> OperatorWords();
  Result<json::object> PutOperatorWords(const Principal& op, const json::object& body,
                                        const RequestMeta& meta);
  Result<json::object> TenantWords(const Principal& who);
  Result<json::object> PutTenantWords(const Principal& who, const json::object& body,
                                      const RequestMeta& meta);
  // The signature: the boss asks for one (it waits for the operator), the operator approves or
  // rejects it with a reason. Only an approved signature is sent.
  Result<json::object> Signature(const Principal& who);
  Result<json::object> RequestSignature(const Principal& who, const json::object& body,
                                        const RequestMeta& meta);
  Result<json::object> PendingSignatures(const Principal& op);
  Result<json::object> DecideSignature(const Principal& op, std::int64_t tenant_id, bool approve,
                                       const json::object& body, const RequestMeta& meta);

  // Every sensitive word in `text` for the tenant (the operator's list and its own).
  std::vector<std::string> Check(std::int64_t tenant_id, std::string_view text);

  // --- Templates ----------------------------------------------------------------------------
  Result<json::object> Templates(const Principal& who);
  Result<json::object> CreateTemplate(const Principal& who, const json::object& body,
                                      const RequestMeta& meta);
  Result<json::object> UpdateTemplate(const Principal& who, std::int64_t id,
                                      const json::object& body, const RequestMeta& meta);
  Status DeleteTemplate(const Principal& who, std::int64_t id, const RequestMeta& meta);

  // --- Sending ------------------------------------------------------------------------------
  // {type, text | template_id, to: {contact_ids | customer_ids | filter: {entity, query}},
  //  send_partial?} → the batch. One recipient refused (opted out, limited, no mobile, a
  // sensitive word) is an error; in a bulk send it is listed and the others go. Not enough
  // points: 409 insufficient_points, nothing sent, unless send_partial (then the recipients in
  // list order while the points last).
  Result<json::object> Send(const Principal& who, const json::object& body,
                            const RequestMeta& meta);
  Result<json::object> Batches(const Principal& who, const Page& page);
  Result<json::object> Batch(const Principal& who, std::int64_t id);
  Result<json::object> BatchMessages(const Principal& who, std::int64_t id, const Page& page);
  Result<json::object> CustomerMessages(const Principal& who, std::int64_t customer_id,
                                        const Page& page);
  // The boss: what the log gateway accepted, exactly as it would have gone out.
  Result<json::object> Outbox(const Principal& who, const Page& page);

  // --- Opt-outs -----------------------------------------------------------------------------
  Result<json::object> OptOuts(const Principal& who, const Page& page);
  Result<json::object> AddOptOut(const Principal& who, const json::object& body,
                                 const RequestMeta& meta);
  Status RemoveOptOut(const Principal& who, const std::string& phone, const RequestMeta& meta);

  // --- The provider's callbacks (signed with sms.callback_secret) ---------------------------
  // {receipts: [{id, status: delivered|undelivered, code?}]}: the first receipt of a message
  // sets its delivery status, repeats are counted and change nothing.
  Result<json::object> Receipts(std::string_view body, std::string_view timestamp,
                                std::string_view signature);
  // {replies: [{id?, ext?, from, text}]}: "R"/"TD" puts the number on the tenant's opt-out list.
  Result<json::object> Replies(std::string_view body, std::string_view timestamp,
                               std::string_view signature);

  // --- The dispatcher -----------------------------------------------------------------------
  // Hands every message due now to the gateway; answers how many were handled.
  int DispatchDue();
  void Start(std::chrono::milliseconds poll = std::chrono::milliseconds(1000));
  void Wake() { poller_.Wake(); }
  void Stop();

 private:
  std::shared_ptr<const SensitiveWords> OperatorFilter();
  std::shared_ptr<const SensitiveWords> TenantFilter(std::int64_t tenant_id);
  // A callback's signature must match its body, its timestamp be within 5 minutes of now, and
  // the signature not have been seen before: ClaimCallback records it in the transaction of
  // the callback's effect, so a callback whose effect failed can be sent again.
  Status VerifyCallback(std::string_view body, std::string_view timestamp,
                        std::string_view signature, Timestamp now) const;
  static Status ClaimCallback(storage::Connection& c, std::string_view signature, Timestamp now);

  storage::Database& db_;
  billing::BillingService& billing_;
  crm::CrmService& crm_;
  SmsGateway& gateway_;
  SmsConfig sms_;
  const Clock& clock_;
  Window window_;
  Zone zone_;
  Poller poller_;
  std::mutex mutex_;
  std::shared_ptr<const SensitiveWords> operator_filter_;
};

}  // namespace kelu::messaging
